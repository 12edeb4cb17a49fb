import { env, type EnvValues, infrastructureEnv, readEnv } from '@ward/config';

export const ingestEnv = {
  ...infrastructureEnv,
  HOST: env.string({ default: '127.0.0.1', description: 'Address the HTTP server binds to.' }),
  PORT: env.int({
    default: 3001,
    min: 1,
    max: 65535,
    description: 'HTTP port of sentinel-ingest.',
  }),
  INGEST_MAX_BODY_BYTES: env.int({
    default: 10 * 1024 * 1024,
    min: 1024,
    max: 512 * 1024 * 1024,
    description: 'Largest accepted request body; larger bodies get 413.',
  }),
  INGEST_MAX_RECORDS: env.int({
    default: 10_000,
    min: 1,
    max: 1_000_000,
    description: 'Most records accepted in one request; more get 413.',
  }),
  INGEST_MAX_RECORD_BYTES: env.int({
    default: 64 * 1024,
    min: 256,
    max: 16 * 1024 * 1024,
    description: 'Largest single record; a larger one is rejected with its index.',
  }),
  INGEST_MAX_FUTURE_SKEW_SECONDS: env.int({
    default: 300,
    min: 0,
    max: 86_400,
    description:
      'Events stamped further than this in the future are rejected (they would close windows early).',
  }),
  INGEST_DEFAULT_TENANT: env.string({
    default: 'default',
    pattern: /^[A-Za-z0-9][A-Za-z0-9._:@-]*$/,
    description: 'Tenant for records that name none (until API keys bind tenants).',
  }),
};

export type IngestEnv = EnvValues<typeof ingestEnv>;

export interface IngestConfig {
  readonly http: { readonly host: string; readonly port: number };
  readonly kafka: {
    readonly brokers: readonly string[];
    readonly clientId: string;
    readonly topicPrefix: string;
  };
  readonly limits: {
    readonly maxBodyBytes: number;
    readonly maxRecords: number;
    readonly maxRecordBytes: number;
    readonly maxFutureSkewMs: number;
  };
  readonly defaultTenant: string;
  readonly logLevel: IngestEnv['LOG_LEVEL'];
}

export const INGEST_CONFIG = Symbol('INGEST_CONFIG');

export function loadIngestConfig(
  source: Readonly<Record<string, string | undefined>> = process.env,
): IngestConfig {
  const e = readEnv(ingestEnv, source);
  return {
    http: { host: e.HOST, port: e.PORT },
    kafka: {
      brokers: e.KAFKA_BROKERS,
      clientId: e.KAFKA_CLIENT_ID ?? 'ward-sentinel-ingest',
      topicPrefix: e.KAFKA_TOPIC_PREFIX,
    },
    limits: {
      maxBodyBytes: e.INGEST_MAX_BODY_BYTES,
      maxRecords: e.INGEST_MAX_RECORDS,
      maxRecordBytes: e.INGEST_MAX_RECORD_BYTES,
      maxFutureSkewMs: e.INGEST_MAX_FUTURE_SKEW_SECONDS * 1000,
    },
    defaultTenant: e.INGEST_DEFAULT_TENANT,
    logLevel: e.LOG_LEVEL,
  };
}
