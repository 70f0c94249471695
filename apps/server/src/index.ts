export * from './env';
export * from './http';
export * from './seed';
export * from './start';
export * from './workflow-module-resolution';
export * from './workflow-modules';
export * from './workflows';
