import { HttpStatus } from '@nestjs/common';
import { type NestFastifyApplication } from '@nestjs/platform-fastify';
import { createHttpService } from '@ward/observability';
import { createGunzip } from 'node:zlib';
import { AppModule, SERVICE_NAME } from './app.module';
import { type IngestConfig } from './config/ingest.config';
import { NDJSON_CONTENT_TYPES } from './events/events.controller';
import { IngestMetrics } from './intake/ingest.metrics';

type CountedStream = NodeJS.ReadableStream & { receivedEncodedLength?: number };

/** Builds the sentinel-ingest application (used by main.ts and the tests). */
export async function createIngestApp(config: IngestConfig): Promise<NestFastifyApplication> {
  const app = await createHttpService(AppModule.register(config), {
    serviceName: SERVICE_NAME,
    title: 'Ward sentinel-ingest',
    description: 'Telemetry intake: raw agent telemetry in, validated BehavioralEvents out.',
    version: '1',
    bodyLimitBytes: config.limits.maxBodyBytes,
    logLevel: config.logLevel,
    configureFastify: (adapter) => {
      const fastify = adapter.getInstance();
      fastify.addContentTypeParser(
        NDJSON_CONTENT_TYPES,
        { parseAs: 'string' },
        (_req, body, done) => done(null, body),
      );
      // gzip bodies: Fastify's body limit counts the decompressed bytes, so a
      // zip bomb stops at the limit with 413; the declared Content-Length is
      // checked against the compressed bytes actually received.
      fastify.addHook('preParsing', async (request, _reply, payload) => {
        const encoding = (request.headers['content-encoding'] ?? 'identity').toLowerCase().trim();
        if (encoding === 'identity') {
          return payload;
        }
        if (encoding !== 'gzip' && encoding !== 'x-gzip') {
          throw Object.assign(
            new Error(`unsupported content-encoding "${encoding}": use gzip or none`),
            {
              statusCode: HttpStatus.UNSUPPORTED_MEDIA_TYPE,
            },
          );
        }
        const gunzip = createGunzip() as ReturnType<typeof createGunzip> & CountedStream;
        gunzip.receivedEncodedLength = 0;
        payload.on('data', (chunk: Buffer) => {
          gunzip.receivedEncodedLength! += chunk.length;
        });
        payload.pipe(gunzip);
        return gunzip;
      });
    },
  });
  const metrics = app.get(IngestMetrics);
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onResponse', async (request, reply) => {
      metrics.httpDuration.observe(
        {
          route: request.routeOptions.url ?? 'unmatched',
          method: request.method,
          status: `${Math.floor(reply.statusCode / 100)}xx`,
        },
        reply.elapsedTime / 1000,
      );
    });
  return app;
}
