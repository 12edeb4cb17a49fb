import { env, type EnvValues, infrastructureEnv, readEnv } from '@ward/config';
import { type CallRateSettings, validateCallRateSettings } from '@ward/detectors';

export const monitorEnv = {
  ...infrastructureEnv,
  HOST: env.string({ default: '127.0.0.1', description: 'Address the HTTP server binds to.' }),
  PORT: env.int({
    default: 3002,
    min: 1,
    max: 65535,
    description: 'HTTP port of behavioral-monitor.',
  }),
  MONITOR_CONSUMER_GROUP: env.string({
    default: 'ward-behavioral-monitor',
    pattern: /^[A-Za-z0-9._-]+$/,
    description: 'Kafka consumer group; replicas with the same group share partitions.',
  }),
  MONITOR_WINDOW_SECONDS: env.int({
    default: 60,
    min: 10,
    max: 86_400,
    description: 'Event-time tumbling window size.',
  }),
  MONITOR_EMA_ALPHA: env.number({
    default: 0.2,
    min: 0.001,
    max: 1,
    description: 'EMA smoothing factor of the per-agent baseline.',
  }),
  MONITOR_SIGMA: env.number({
    default: 4,
    min: 0.5,
    max: 100,
    description: 'Robust z-score at or above which a window is anomalous.',
  }),
  MONITOR_WARMUP_WINDOWS: env.int({
    default: 3,
    min: 1,
    max: 10_000,
    description: 'Closed windows an agent needs before any verdict.',
  }),
  MONITOR_ALERT_COOLDOWN_SECONDS: env.int({
    default: 300,
    min: 0,
    max: 7 * 86_400,
    description: 'Event-time span after an alert in which the same agent and detector stay quiet.',
  }),
  REDIS_KEY_PREFIX: env.string({
    default: 'ward:',
    pattern: /^[A-Za-z0-9:._-]*$/,
    description: 'Prefix of every Redis key.',
  }),
};

export type MonitorEnv = EnvValues<typeof monitorEnv>;

export interface MonitorConfig {
  readonly http: { readonly host: string; readonly port: number };
  readonly kafka: {
    readonly brokers: readonly string[];
    readonly clientId: string;
    readonly topicPrefix: string;
  };
  readonly consumerGroup: string;
  readonly databaseUrl: string;
  readonly redis: { readonly url: string; readonly keyPrefix: string };
  readonly callRate: CallRateSettings;
  readonly cooldownMs: number;
  readonly logLevel: MonitorEnv['LOG_LEVEL'];
}

export const MONITOR_CONFIG = Symbol('MONITOR_CONFIG');

export function loadMonitorConfig(
  source: Readonly<Record<string, string | undefined>> = process.env,
): MonitorConfig {
  const e = readEnv(monitorEnv, source);
  const callRate: CallRateSettings = {
    windowMs: e.MONITOR_WINDOW_SECONDS * 1000,
    alpha: e.MONITOR_EMA_ALPHA,
    sigma: e.MONITOR_SIGMA,
    warmupWindows: e.MONITOR_WARMUP_WINDOWS,
    sampleSize: 10,
  };
  validateCallRateSettings(callRate);
  return {
    http: { host: e.HOST, port: e.PORT },
    kafka: {
      brokers: e.KAFKA_BROKERS,
      clientId: e.KAFKA_CLIENT_ID ?? 'ward-behavioral-monitor',
      topicPrefix: e.KAFKA_TOPIC_PREFIX,
    },
    consumerGroup: e.MONITOR_CONSUMER_GROUP,
    databaseUrl: e.DATABASE_URL,
    redis: { url: e.REDIS_URL, keyPrefix: e.REDIS_KEY_PREFIX },
    callRate,
    cooldownMs: e.MONITOR_ALERT_COOLDOWN_SECONDS * 1000,
    logLevel: e.LOG_LEVEL,
  };
}
