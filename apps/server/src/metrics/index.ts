export * from './database-metrics';
export * from './metrics-access';
export * from './metrics-route';
export * from './process-metrics';
export * from './provider-metrics';
export * from './signoff-metrics';
