export * from './context';
export * from './router';
export { createCallerFactory, ERROR_STATUS, type Meta } from './trpc';
