export * from './admin-schemas';
export * from './ai-failure';
export * from './canonical-json';
export * from './errors';
export * from './routing';
export * from './schemas';
export * from './text-safety';
export * from './workflow';
