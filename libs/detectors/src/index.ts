export * from './lib/entropy';
export * from './lib/ids';
export * from './lib/baseline';
export * from './lib/scoring';
export * from './lib/techniques';
export * from './lib/call-rate';
export * from './lib/sensitive';
export * from './lib/univariate';
