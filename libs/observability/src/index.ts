export * from './lib/metrics.service';
export * from './lib/readiness.service';
export * from './lib/health.controller';
export * from './lib/observability.module';
export * from './lib/bootstrap';
export * from './lib/http-input';
export * from './lib/auth';
export * from './lib/openapi-audit';
