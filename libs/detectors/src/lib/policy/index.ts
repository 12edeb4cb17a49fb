export * from './evaluate';
export * from './rego';
export * from './bundle';
export * from './mining';
export * from './call-rate';
