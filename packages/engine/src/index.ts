export * from './execute-step';
export * from './items';
export * from './queue';
export * from './registry';
export * from './review-tasks';
export * from './submit-item';
export * from './transition';
export * from './worker';
