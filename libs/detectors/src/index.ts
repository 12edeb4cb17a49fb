export * from './lib/entropy';
export * from './lib/ids';
export * from './lib/baseline';
export * from './lib/scoring';
export * from './lib/techniques';
export * from './lib/sensitive';
export * from './lib/univariate';
export * from './lib/profile';
