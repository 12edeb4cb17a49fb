export * from './lib/env';
export * from './lib/infrastructure';
export * from './lib/readme-check';
export * from './lib/auth';
