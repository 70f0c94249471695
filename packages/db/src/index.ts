export * from './availability';
export * from './connection';
export * from './embedded';
export { isProcessAlive, type PostmasterSupervision, readPostmasterPid } from './embedded-supervisor';
export * from './migrate';
export * from './schema';
