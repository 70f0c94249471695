export * from './env';
export * from './http';
export * from './seed';
export * from './start';
export * from './workflows';
export * from './workflow-modules';
