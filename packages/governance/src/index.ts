export * from './api-keys';
export * from './audit';
export * from './auth';
export * from './login-throttle';
export * from './queue-members';
export * from './users';
export * from './decision-search';
export * from './search-sql';
