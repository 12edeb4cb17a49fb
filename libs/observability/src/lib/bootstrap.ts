import {
  type DynamicModule,
  type INestApplication,
  Logger,
  type LogLevel,
  RequestMethod,
  type Type,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';

export interface HttpServiceOptions {
  readonly serviceName: string;
  readonly title: string;
  readonly description: string;
  readonly version: string;
  readonly bodyLimitBytes?: number;
  readonly logLevel?: LogLevel;
  /** Registers content-type parsers or hooks before routes are bound. */
  readonly configureFastify?: (adapter: FastifyAdapter) => void;
}

const LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];

/**
 * Builds a service's Nest application on Fastify: API under `/v1`, health and
 * metrics at the root, OpenAPI at `/docs` (JSON at `/docs/json`), shutdown
 * hooks on so SIGTERM drains consumers before the process exits.
 */
export async function createHttpService(
  module: Type | DynamicModule,
  options: HttpServiceOptions,
): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: options.bodyLimitBytes ?? 1024 * 1024,
    trustProxy: false,
    // Ward ids and agent names can be long; keep the router's limit generous but bounded.
    routerOptions: { maxParamLength: 512 },
  });
  options.configureFastify?.(adapter);
  const level = options.logLevel ?? 'log';
  const app = await NestFactory.create<NestFastifyApplication>(module, adapter, {
    logger: LEVELS.slice(0, LEVELS.indexOf(level) + 1),
    bufferLogs: false,
  });
  app.setGlobalPrefix('v1', {
    exclude: [
      { path: 'healthz', method: RequestMethod.GET },
      { path: 'readyz', method: RequestMethod.GET },
      { path: 'metrics', method: RequestMethod.GET },
    ],
  });
  app.enableShutdownHooks();
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle(options.title)
      .setDescription(options.description)
      .setVersion(options.version)
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs/json' });
  return app;
}

export async function listen(
  app: INestApplication,
  host: string,
  port: number,
  serviceName: string,
): Promise<void> {
  await app.listen(port, host);
  const url = await app.getUrl();
  new Logger(serviceName).log(
    `listening on ${url} (API ${url}/v1, metrics ${url}/metrics, docs ${url}/docs)`,
  );
}
