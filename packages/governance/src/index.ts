export * from './audit';
export * from './auth';
