export * from './context';
export * from './http-context';
export * from './router';
export { createCallerFactory, ERROR_STATUS, type Meta } from './trpc';
