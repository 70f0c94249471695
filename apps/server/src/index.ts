export * from './client-address';
export * from './env';
export * from './http';
export * from './listen';
export * from './seed';
export * from './start';
export * from './workflow-modules';
export * from './workflows';
