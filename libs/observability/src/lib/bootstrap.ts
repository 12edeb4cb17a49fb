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
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { API_KEY_SCHEME, BEARER_SCHEME } from './auth/auth.decorators';
import { BODY_BY_MEDIA_TYPE } from './http-input';

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

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

/**
 * A known path with a method it does not serve answers 405 with Allow (not
 * 404, and before any body is read), as HTTP asks.
 */
function answerWrongMethodWith405(adapter: FastifyAdapter): void {
  const fastify = adapter.getInstance();
  fastify.addHook('onRequest', async (request, reply) => {
    if (request.routeOptions.url !== undefined) {
      return;
    }
    const url = request.url.split('?')[0] ?? '/';
    const allowed = METHODS.filter((method) => fastify.findRoute({ method, url }) !== null);
    if (allowed.length > 0) {
      await reply
        .code(405)
        .header('Allow', allowed.join(', '))
        .send({
          statusCode: 405,
          message: `${request.method} is not allowed here`,
          error: 'Method Not Allowed',
        });
    }
  });
}

/** PostgreSQL text cannot hold NUL: a path or query carrying one is refused before any handler. */
function refuseNulInUrls(adapter: FastifyAdapter): void {
  adapter.getInstance().addHook('onRequest', async (request, reply) => {
    if (/%00/i.test(request.url)) {
      await reply.code(400).send({
        statusCode: 400,
        message: 'the URL must not contain NUL (%00)',
        error: 'Bad Request',
      });
    }
  });
}

/** API under `/v1`; health and metrics at the root. */
export function useApiPrefix(app: INestApplication): void {
  app.setGlobalPrefix('v1', {
    exclude: [
      { path: 'healthz', method: RequestMethod.GET },
      { path: 'readyz', method: RequestMethod.GET },
      { path: 'metrics', method: RequestMethod.GET },
    ],
  });
}

/** The OpenAPI document of an application's controllers, as served at `/docs/json`. */
export function createOpenApiDocument(
  app: INestApplication,
  info: Pick<HttpServiceOptions, 'title' | 'description' | 'version'>,
): OpenAPIObject {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle(info.title)
      .setDescription(info.description)
      .setVersion(info.version)
      .addBearerAuth(
        {
          type: 'http',
          scheme: 'bearer',
          description:
            "An API key (ward_…), an OIDC access token when the service accepts them, or the service's admin token.",
        },
        BEARER_SCHEME,
      )
      .addApiKey(
        { type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'An API key (ward_…).' },
        API_KEY_SCHEME,
      )
      .build(),
  );
  for (const item of Object.values(document.paths)) {
    for (const operation of Object.values(item as Record<string, Record<string, unknown>>)) {
      const body = operation[BODY_BY_MEDIA_TYPE];
      if (body !== undefined) {
        operation.requestBody = body;
        delete operation[BODY_BY_MEDIA_TYPE];
      }
    }
  }
  return document;
}

const LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];

/**
 * Builds a service's Nest application on Fastify: API under `/v1`, health and
 * metrics at the root, OpenAPI at `/docs` (JSON at `/docs/json`).
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
  answerWrongMethodWith405(adapter);
  refuseNulInUrls(adapter);
  const level = options.logLevel ?? 'log';
  const app = await NestFactory.create<NestFastifyApplication>(module, adapter, {
    logger: LEVELS.slice(0, LEVELS.indexOf(level) + 1),
    bufferLogs: false,
  });
  useApiPrefix(app);
  const document = createOpenApiDocument(app, options);
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

const SHUTDOWN_TIMEOUT_MS = 30_000;

/**
 * Serves until SIGTERM or SIGINT, then closes the application (consumers finish
 * their batch, commit and leave the group; the producer flushes; pools close)
 * and exits 0. A second signal, or a drain longer than 30 s, exits 1 at once.
 */
export function closeOnSignals(app: INestApplication, serviceName: string): void {
  const logger = new Logger(serviceName);
  let closing = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (closing) {
      logger.warn(`${signal} again: exiting without draining`);
      process.exit(1);
    }
    closing = true;
    logger.log(`${signal}: draining and shutting down`);
    const timer = setTimeout(() => {
      logger.error(`shutdown took longer than ${SHUTDOWN_TIMEOUT_MS} ms: exiting`);
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS);
    timer.unref();
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error(`shutdown failed: ${String(error)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
