export * from './ai-failure';
export * from './canonical-json';
export * from './errors';
export * from './lead-schemas';
export * from './routing';
export * from './schemas';
export * from './text-safety';
export * from './workflow';
