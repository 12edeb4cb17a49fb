import {
  ConfigError,
  env,
  type EnvValues,
  infrastructureEnv,
  readEnv,
  kafkaSecurity,
  type KafkaSecurity,
  authEnv,
  authSettings,
  type AuthSettings,
} from '@ward/config';
import { type CorrelationSettings } from '@ward/detectors';

/** How long a verified API key is trusted before PostgreSQL is asked again (a revocation elsewhere takes this long). */
const API_KEY_CACHE_MS = 5_000;

export const fusionEnv = {
  ...infrastructureEnv,
  ...authEnv,
  HOST: env.string({ default: '127.0.0.1', description: 'Address the HTTP server binds to.' }),
  PORT: env.int({ default: 3003, min: 1, max: 65535, description: 'HTTP port of fusion.' }),
  FUSION_CONSUMER_GROUP: env.string({
    default: 'ward-fusion',
    pattern: /^[A-Za-z0-9._-]+$/,
    description: 'Kafka consumer group; replicas with the same group share partitions.',
  }),
  FUSION_CORRELATION_WINDOW_SECONDS: env.int({
    default: 1800,
    min: 1,
    max: 30 * 86_400,
    description:
      "An alert joins an open incident sharing an agent, session, requester or indicator when it falls within this event-time distance of the incident's span.",
  }),
  FUSION_INTEL_FEEDS: env.list({
    default: [],
    description:
      'Threat-intel feeds, comma-separated: file paths or http(s) URLs; .json is a STIX 2.1 bundle, anything else a CSV indicator list.',
  }),
  FUSION_INTEL_ALLOW_HOSTS: env.list({
    default: [],
    description:
      'Hosts feed URLs and their redirects may reach (exact, or *.example.com); empty: the hosts of the FUSION_INTEL_FEEDS URLs.',
  }),
  FUSION_INTEL_ALLOW_PRIVATE: env.bool({
    default: false,
    description:
      'Allow feed URLs (and redirects) that resolve to private, loopback or link-local addresses.',
  }),
  FUSION_INTEL_REFRESH_SECONDS: env.int({
    default: 60,
    min: 1,
    max: 86_400,
    description: 'How often feeds are checked for changes (file mtime and size, HTTP ETag).',
  }),
  FUSION_INTEL_MIN_CONFIDENCE: env.int({
    default: 50,
    min: 0,
    max: 100,
    description: 'Intel matches at or above this confidence escalate an incident.',
  }),
  FUSION_INTEL_DEFAULT_CONFIDENCE: env.int({
    default: 50,
    min: 0,
    max: 100,
    description: 'Confidence of feed entries that state none.',
  }),
  FUSION_ADMIN_TOKEN: env.optionalString({
    secret: true,
    description:
      "Break-glass bearer token: admin of every tenant on this service's API (unset: API keys and OIDC tokens only).",
  }),
};

export type FusionEnv = EnvValues<typeof fusionEnv>;

export interface FusionConfig {
  readonly http: { readonly host: string; readonly port: number };
  readonly kafka: KafkaSecurity & {
    readonly brokers: readonly string[];
    readonly clientId: string;
    readonly topicPrefix: string;
  };
  readonly consumerGroup: string;
  readonly databaseUrl: string;
  readonly correlation: CorrelationSettings;
  readonly intel: {
    readonly feeds: readonly string[];
    readonly outbound: { readonly allowHosts: readonly string[]; readonly allowPrivate: boolean };
    readonly refreshMs: number;
    readonly defaultConfidence: number;
  };
  readonly adminToken: string | undefined;
  /** For the shared auth guard: break-glass token, OIDC, metrics token, API-key cache. */
  readonly auth: AuthSettings & {
    readonly adminToken: string | undefined;
    readonly keyCacheMs: number;
  };
  readonly logLevel: FusionEnv['LOG_LEVEL'];
}

export const FUSION_CONFIG = Symbol('FUSION_CONFIG');

export function loadFusionConfig(
  source: Readonly<Record<string, string | undefined>> = process.env,
): FusionConfig {
  const e = readEnv(fusionEnv, source);
  const kafkaSecured = kafkaSecurity(e);
  const auth = authSettings(e);
  const problems: string[] = [...kafkaSecured.problems, ...auth.problems];
  for (const feed of e.FUSION_INTEL_FEEDS) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(feed) && !/^https?:\/\//i.test(feed)) {
      problems.push(`FUSION_INTEL_FEEDS: ${feed} is neither a file path nor an http(s) URL`);
    } else if (/^https?:\/\//i.test(feed) && !URL.canParse(feed)) {
      problems.push(`FUSION_INTEL_FEEDS: ${feed} is not a valid URL`);
    }
  }
  if (problems.length > 0) {
    throw new ConfigError(problems);
  }
  return {
    http: { host: e.HOST, port: e.PORT },
    kafka: {
      brokers: e.KAFKA_BROKERS,
      clientId: e.KAFKA_CLIENT_ID ?? 'ward-fusion',
      topicPrefix: e.KAFKA_TOPIC_PREFIX,
      ...kafkaSecured.security,
    },
    consumerGroup: e.FUSION_CONSUMER_GROUP,
    databaseUrl: e.DATABASE_URL,
    correlation: {
      windowMs: e.FUSION_CORRELATION_WINDOW_SECONDS * 1000,
      intelMinConfidence: e.FUSION_INTEL_MIN_CONFIDENCE,
    },
    intel: {
      feeds: e.FUSION_INTEL_FEEDS,
      outbound: {
        allowHosts:
          e.FUSION_INTEL_ALLOW_HOSTS.length > 0
            ? e.FUSION_INTEL_ALLOW_HOSTS
            : e.FUSION_INTEL_FEEDS.filter((f) => /^https?:\/\//i.test(f)).map((f) =>
                new URL(f).hostname.replace(/^\[|\]$/g, ''),
              ),
        allowPrivate: e.FUSION_INTEL_ALLOW_PRIVATE,
      },
      refreshMs: e.FUSION_INTEL_REFRESH_SECONDS * 1000,
      defaultConfidence: e.FUSION_INTEL_DEFAULT_CONFIDENCE,
    },
    adminToken: e.FUSION_ADMIN_TOKEN,
    auth: { ...auth.settings, adminToken: e.FUSION_ADMIN_TOKEN, keyCacheMs: API_KEY_CACHE_MS },
    logLevel: e.LOG_LEVEL,
  };
}
