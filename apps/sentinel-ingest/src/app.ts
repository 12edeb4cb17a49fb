import { type NestFastifyApplication } from '@nestjs/platform-fastify';
import { createHttpService } from '@ward/observability';
import { AppModule, SERVICE_NAME } from './app.module';
import { type IngestConfig } from './config/ingest.config';
import { NDJSON_CONTENT_TYPES } from './events/events.controller';

/** Builds the sentinel-ingest application (used by main.ts and the tests). */
export async function createIngestApp(config: IngestConfig): Promise<NestFastifyApplication> {
  return createHttpService(AppModule.register(config), {
    serviceName: SERVICE_NAME,
    title: 'Ward sentinel-ingest',
    description: 'Telemetry intake: raw agent telemetry in, validated BehavioralEvents out.',
    version: '1',
    bodyLimitBytes: config.limits.maxBodyBytes,
    logLevel: config.logLevel,
    configureFastify: (adapter) => {
      adapter
        .getInstance()
        .addContentTypeParser(NDJSON_CONTENT_TYPES, { parseAs: 'string' }, (_req, body, done) =>
          done(null, body),
        );
    },
  });
}
