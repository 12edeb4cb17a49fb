import { hostname } from 'node:os';
import {
  env,
  type EnvValues,
  infrastructureEnv,
  redisKeyPrefixEnv,
  readEnv,
  kafkaSecurity,
  type KafkaSecurity,
  ConfigError,
  authEnv,
  authSettings,
  type AuthSettings,
  redisSettings,
  type RedisSettings,
} from '@ward/config';

const TENANT = /^[A-Za-z0-9][A-Za-z0-9._:@-]*$/;

export const ingestEnv = {
  ...infrastructureEnv,
  ...authEnv,
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
    pattern: TENANT,
    description:
      'Tenant of raw-topic records that name none (HTTP records take the API key’s tenant).',
  }),
  INGEST_ADMIN_TOKEN: env.optionalString({
    secret: true,
    description:
      "Break-glass bearer token: admin of every tenant on this service's API (unset: API keys and OIDC tokens only).",
  }),
  INGEST_API_KEY_CACHE_SECONDS: env.int({
    default: 5,
    min: 0,
    max: 300,
    description:
      'How long a verified API key is trusted without asking PostgreSQL (a revocation elsewhere takes at most this long).',
  }),
  INGEST_RATE_LIMIT_EVENTS_PER_SECOND: env.number({
    default: 20_000,
    min: 1,
    max: 10_000_000,
    description:
      'Per-tenant sustained HTTP intake rate (records per second), shared by all replicas through Redis.',
  }),
  INGEST_RATE_LIMIT_BURST: env.int({
    default: 100_000,
    min: 1,
    max: 100_000_000,
    description:
      'Per-tenant burst (token bucket capacity, records); a request over the remaining tokens gets 429 with Retry-After.',
  }),
  INGEST_DEDUP_WINDOW_SECONDS: env.int({
    default: 600,
    min: 0,
    max: 7 * 86_400,
    description:
      'Retention window in which a repeated eventId is acknowledged but not published again (0 turns it off).',
  }),
  INGEST_REDACT: env.bool({
    default: true,
    description:
      'Replace secrets and personal data found in parameters and results before publishing.',
  }),
  INGEST_INJECTION_MIN_SCORE: env.number({
    default: 0.5,
    min: 0.01,
    max: 1,
    description:
      'Prompt-injection score (0..1) of a tool result at or above which an alert is raised.',
  }),
  INGEST_RAW_TOPIC_ENABLED: env.bool({
    default: true,
    description: 'Consume ward.telemetry.raw.v1 (native, OTLP JSON and MCP shapes).',
  }),
  INGEST_CONSUMER_GROUP: env.string({
    default: 'ward-sentinel-ingest',
    pattern: /^[A-Za-z0-9._-]+$/,
    description: 'Kafka consumer group for the raw telemetry topic.',
  }),
  INGEST_FILE_PATTERNS: env.optionalString({
    description:
      'Comma-separated globs or folders of JSON/JSONL files to tail; unset disables file intake.',
  }),
  INGEST_FILE_SOURCE: env.string({
    default: hostname().replace(/[^A-Za-z0-9._-]/g, '-') || 'ingest',
    pattern: /^[A-Za-z0-9._-]+$/,
    description:
      'Name under which this instance saves its file read positions (one tailer per host or sidecar).',
  }),
  INGEST_FILE_TENANT: env.string({
    default: 'default',
    pattern: TENANT,
    description: 'Tenant of records read from files.',
  }),
  INGEST_FILE_POLL_MS: env.int({
    default: 1000,
    min: 50,
    max: 60_000,
    description: 'How often tailed files are checked for new lines.',
  }),
  INGEST_FILE_START_AT: env.oneOf(['beginning', 'end'], {
    default: 'beginning',
    description: 'Where to start in a file never seen before.',
  }),
  ...redisKeyPrefixEnv,
};

export type IngestEnv = EnvValues<typeof ingestEnv>;

export interface IngestConfig {
  readonly http: { readonly host: string; readonly port: number };
  readonly kafka: KafkaSecurity & {
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
  readonly databaseUrl: string;
  readonly redis: RedisSettings;
  readonly auth: AuthSettings & {
    readonly adminToken: string | undefined;
    readonly keyCacheMs: number;
  };
  readonly rateLimit: { readonly ratePerSecond: number; readonly burst: number };
  readonly dedupWindowMs: number;
  readonly redact: boolean;
  readonly injectionMinScore: number;
  readonly rawTopic: { readonly enabled: boolean; readonly consumerGroup: string };
  readonly files: {
    readonly patterns: readonly string[];
    readonly source: string;
    readonly tenant: string;
    readonly pollMs: number;
    readonly startAt: 'beginning' | 'end';
  };
  readonly logLevel: IngestEnv['LOG_LEVEL'];
}

export const INGEST_CONFIG = Symbol('INGEST_CONFIG');

export function loadIngestConfig(
  source: Readonly<Record<string, string | undefined>> = process.env,
): IngestConfig {
  const e = readEnv(ingestEnv, source);
  const kafkaSecured = kafkaSecurity(e);
  const auth = authSettings(e);
  const redis = redisSettings(e);
  const problems = [...kafkaSecured.problems, ...auth.problems, ...redis.problems];
  if (problems.length > 0) {
    throw new ConfigError(problems);
  }
  return {
    http: { host: e.HOST, port: e.PORT },
    kafka: {
      brokers: e.KAFKA_BROKERS,
      clientId: e.KAFKA_CLIENT_ID ?? 'ward-sentinel-ingest',
      topicPrefix: e.KAFKA_TOPIC_PREFIX,
      ...kafkaSecured.security,
    },
    limits: {
      maxBodyBytes: e.INGEST_MAX_BODY_BYTES,
      maxRecords: e.INGEST_MAX_RECORDS,
      maxRecordBytes: e.INGEST_MAX_RECORD_BYTES,
      maxFutureSkewMs: e.INGEST_MAX_FUTURE_SKEW_SECONDS * 1000,
    },
    defaultTenant: e.INGEST_DEFAULT_TENANT,
    databaseUrl: e.DATABASE_URL,
    redis: redis.settings,
    auth: {
      ...auth.settings,
      adminToken: e.INGEST_ADMIN_TOKEN,
      keyCacheMs: e.INGEST_API_KEY_CACHE_SECONDS * 1000,
    },
    rateLimit: {
      ratePerSecond: e.INGEST_RATE_LIMIT_EVENTS_PER_SECOND,
      burst: e.INGEST_RATE_LIMIT_BURST,
    },
    dedupWindowMs: e.INGEST_DEDUP_WINDOW_SECONDS * 1000,
    redact: e.INGEST_REDACT,
    injectionMinScore: e.INGEST_INJECTION_MIN_SCORE,
    rawTopic: { enabled: e.INGEST_RAW_TOPIC_ENABLED, consumerGroup: e.INGEST_CONSUMER_GROUP },
    files: {
      patterns: (e.INGEST_FILE_PATTERNS ?? '')
        .split(',')
        .map((p) => p.trim())
        .filter((p) => p !== ''),
      source: e.INGEST_FILE_SOURCE,
      tenant: e.INGEST_FILE_TENANT,
      pollMs: e.INGEST_FILE_POLL_MS,
      startAt: e.INGEST_FILE_START_AT,
    },
    logLevel: e.LOG_LEVEL,
  };
}
