export * from './auth.decorators';
export * from './auth.guard';
export * from './auth.module';
export * from './auth.options';
export * from './oidc.verifier';
export * from './principal';
export * from './secrets';
