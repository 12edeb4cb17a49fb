export * from './lib/env';
export * from './lib/infrastructure';
