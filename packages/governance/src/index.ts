export * from './api-keys';
export * from './audit';
export * from './auth';
export * from './login-throttle';
export * from './pii';
export * from './queue-members';
export * from './users';
