export * from './lib/expression';
export * from './lib/load';
export * from './lib/trigger';
export * from './lib/audit';
export * from './lib/formats';
export * from './lib/outbound';
export * from './lib/run';
export * from './lib/outbound-http';
