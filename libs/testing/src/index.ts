export * from './lib/infra-env';
export * from './lib/wait';
export * from './lib/topic-recorder';
export * from './lib/service-process';
export * from './lib/factories';
export * from './lib/metrics';
export * from './lib/opa';
