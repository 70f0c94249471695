export * from './create-snapshot';
export * from './decision-export';
export * from './export-labels';
export * from './export-snapshot';
export * from './parquet-stream';
export * from './snapshot-fields';
export * from './snapshot-rows';
export * from './snapshot-structured';
