export * from './sensitive';
export * from './injection';
export * from './checksums';
export * from './corpus';
