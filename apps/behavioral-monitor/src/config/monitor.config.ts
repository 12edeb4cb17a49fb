import {
  ConfigError,
  env,
  type EnvValues,
  infrastructureEnv,
  redisKeyPrefixEnv,
  readEnv,
  kafkaSecurity,
  type KafkaSecurity,
  authEnv,
  authSettings,
  type AuthSettings,
  redisSettings,
  type RedisSettings,
} from '@ward/config';
import {
  DEFAULT_PROFILE_SETTINGS,
  METRICS,
  type Metric,
  type ProfileSettings,
  profileSettingsProblems,
} from '@ward/detectors';

/** How long a verified API key is trusted before PostgreSQL is asked again (a revocation elsewhere takes this long). */
const API_KEY_CACHE_MS = 5_000;

export const monitorEnv = {
  ...infrastructureEnv,
  ...authEnv,
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
  MONITOR_ALLOWED_LATENESS_SECONDS: env.int({
    default: 10,
    min: 0,
    max: 86_400,
    description:
      'How long after a window ends its late events still count in it (at most one window); later ones are counted as late.',
  }),
  MONITOR_WEIGHTS: env.list({
    default: [],
    itemPattern: /^[a-z_]+=[0-9.]+$/,
    description: `Composite-score weights in [0, 1] as metric=weight, comma-separated; metrics: ${METRICS.join(', ')}.`,
  }),
  MONITOR_COMPOSITE_THRESHOLD: env.number({
    default: DEFAULT_PROFILE_SETTINGS.compositeThreshold,
    min: 0.01,
    max: 1,
    description:
      'Composite anomaly score (0..1) at or above which an anomaly_composite alert fires.',
  }),
  MONITOR_MIN_CALLS_FOR_RATES: env.int({
    default: DEFAULT_PROFILE_SETTINGS.minCallsForRates,
    min: 1,
    max: 1_000_000,
    description: 'Calls a window needs before its deny rate, error rate and entropy are judged.',
  }),
  MONITOR_DRIFT_WINDOWS: env.int({
    default: DEFAULT_PROFILE_SETTINGS.driftWindows,
    min: 3,
    max: 64,
    description: 'Windows in the run over which slow drift is measured.',
  }),
  MONITOR_TOOL_MIX_THRESHOLD: env.number({
    default: DEFAULT_PROFILE_SETTINGS.toolMixThreshold,
    min: 0.01,
    max: 1,
    description:
      'Bray-Curtis dissimilarity from the usual tool mix at or above which an alert fires.',
  }),
  MONITOR_PROMOTION_WINDOWS: env.int({
    default: DEFAULT_PROFILE_SETTINGS.promotionWindows,
    min: 1,
    max: 10_000,
    description: "Consecutive normal windows before an agent's behavior tier improves by one.",
  }),
  MONITOR_DEDUP_WINDOW_SECONDS: env.int({
    default: 600,
    min: 0,
    max: 7 * 86_400,
    description:
      'Retention of eventIds in Redis so a duplicate event is profiled once across replicas (0 turns it off).',
  }),
  MONITOR_REFRESH_SECONDS: env.int({
    default: 2,
    min: 1,
    max: 300,
    description:
      'How often operator actions and tenant detector settings are picked up from PostgreSQL.',
  }),
  MONITOR_ALERT_COOLDOWN_SECONDS: env.int({
    default: 300,
    min: 0,
    max: 7 * 86_400,
    description: 'Event-time span after an alert in which the same agent and detector stay quiet.',
  }),
  MONITOR_CHECKPOINT_INTERVAL_MS: env.int({
    default: 1000,
    min: 0,
    max: 600_000,
    description:
      "How often a partition's profiles are checkpointed with its offset (0: after every batch); a restart replays at most this much, with the same results.",
  }),
  MONITOR_PARTITIONS_CONCURRENTLY: env.int({
    default: 6,
    min: 1,
    max: 256,
    description:
      "Partitions whose batches are profiled at once (each partition's stay in order), so one partition's round trips do not hold back another's events.",
  }),
  MONITOR_ADMIN_TOKEN: env.optionalString({
    secret: true,
    description:
      "Break-glass bearer token: admin of every tenant on this service's API (unset: API keys and OIDC tokens only).",
  }),
  ...redisKeyPrefixEnv,
};

export type MonitorEnv = EnvValues<typeof monitorEnv>;

export interface MonitorConfig {
  readonly http: { readonly host: string; readonly port: number };
  readonly kafka: KafkaSecurity & {
    readonly brokers: readonly string[];
    readonly clientId: string;
    readonly topicPrefix: string;
  };
  readonly consumerGroup: string;
  readonly databaseUrl: string;
  readonly redis: RedisSettings;
  readonly profile: ProfileSettings;
  readonly cooldownMs: number;
  readonly dedupWindowMs: number;
  readonly checkpointIntervalMs: number;
  readonly partitionsConcurrently: number;
  readonly adminToken: string | undefined;
  /** For the shared auth guard: break-glass token, OIDC, metrics token, API-key cache. */
  readonly auth: AuthSettings & {
    readonly adminToken: string | undefined;
    readonly keyCacheMs: number;
  };
  readonly refreshMs: number;
  readonly logLevel: MonitorEnv['LOG_LEVEL'];
}

export const MONITOR_CONFIG = Symbol('MONITOR_CONFIG');

/** The environment variable behind each detector setting, to name it in errors. */
const ENV_OF: Readonly<Record<string, string>> = {
  windowMs: 'MONITOR_WINDOW_SECONDS',
  allowedLatenessMs: 'MONITOR_ALLOWED_LATENESS_SECONDS',
  alpha: 'MONITOR_EMA_ALPHA',
  sigma: 'MONITOR_SIGMA',
  warmupWindows: 'MONITOR_WARMUP_WINDOWS',
  weights: 'MONITOR_WEIGHTS',
  compositeThreshold: 'MONITOR_COMPOSITE_THRESHOLD',
  minCallsForRates: 'MONITOR_MIN_CALLS_FOR_RATES',
  driftWindows: 'MONITOR_DRIFT_WINDOWS',
  toolMixThreshold: 'MONITOR_TOOL_MIX_THRESHOLD',
  promotionWindows: 'MONITOR_PROMOTION_WINDOWS',
};

export function loadMonitorConfig(
  source: Readonly<Record<string, string | undefined>> = process.env,
): MonitorConfig {
  const e = readEnv(monitorEnv, source);
  const kafkaSecured = kafkaSecurity(e);
  const weights: Record<string, number> = { ...DEFAULT_PROFILE_SETTINGS.weights };
  const auth = authSettings(e);
  const redis = redisSettings(e);
  const problems: string[] = [...kafkaSecured.problems, ...auth.problems, ...redis.problems];
  for (const item of e.MONITOR_WEIGHTS) {
    const [name, value] = item.split('=') as [string, string];
    if (!(METRICS as readonly string[]).includes(name)) {
      problems.push(`MONITOR_WEIGHTS: ${name} is not a metric (one of ${METRICS.join(', ')})`);
    }
    weights[name] = Number(value);
  }
  const profile: ProfileSettings = {
    ...DEFAULT_PROFILE_SETTINGS,
    windowMs: e.MONITOR_WINDOW_SECONDS * 1000,
    allowedLatenessMs: e.MONITOR_ALLOWED_LATENESS_SECONDS * 1000,
    alpha: e.MONITOR_EMA_ALPHA,
    sigma: e.MONITOR_SIGMA,
    warmupWindows: e.MONITOR_WARMUP_WINDOWS,
    weights: weights as Record<Metric, number>,
    compositeThreshold: e.MONITOR_COMPOSITE_THRESHOLD,
    minCallsForRates: e.MONITOR_MIN_CALLS_FOR_RATES,
    driftWindows: e.MONITOR_DRIFT_WINDOWS,
    toolMixThreshold: e.MONITOR_TOOL_MIX_THRESHOLD,
    promotionWindows: e.MONITOR_PROMOTION_WINDOWS,
  };
  for (const problem of profileSettingsProblems(profile)) {
    problems.push(`${ENV_OF[problem.split(/[ .]/)[0] ?? ''] ?? 'MONITOR'}: ${problem}`);
  }
  if (problems.length > 0) {
    throw new ConfigError([...new Set(problems)]);
  }
  return {
    http: { host: e.HOST, port: e.PORT },
    kafka: {
      brokers: e.KAFKA_BROKERS,
      clientId: e.KAFKA_CLIENT_ID ?? 'ward-behavioral-monitor',
      topicPrefix: e.KAFKA_TOPIC_PREFIX,
      ...kafkaSecured.security,
    },
    consumerGroup: e.MONITOR_CONSUMER_GROUP,
    databaseUrl: e.DATABASE_URL,
    redis: redis.settings,
    profile,
    cooldownMs: e.MONITOR_ALERT_COOLDOWN_SECONDS * 1000,
    dedupWindowMs: e.MONITOR_DEDUP_WINDOW_SECONDS * 1000,
    checkpointIntervalMs: e.MONITOR_CHECKPOINT_INTERVAL_MS,
    partitionsConcurrently: e.MONITOR_PARTITIONS_CONCURRENTLY,
    adminToken: e.MONITOR_ADMIN_TOKEN,
    auth: { ...auth.settings, adminToken: e.MONITOR_ADMIN_TOKEN, keyCacheMs: API_KEY_CACHE_MS },
    refreshMs: e.MONITOR_REFRESH_SECONDS * 1000,
    logLevel: e.LOG_LEVEL,
  };
}
