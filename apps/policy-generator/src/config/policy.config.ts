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

const DAY = 86_400;

/** How long a verified API key is trusted before PostgreSQL is asked again (a revocation elsewhere takes this long). */
const API_KEY_CACHE_MS = 5_000;

export const policyEnv = {
  ...infrastructureEnv,
  ...authEnv,
  HOST: env.string({ default: '127.0.0.1', description: 'Address the HTTP server binds to.' }),
  PORT: env.int({
    default: 3005,
    min: 1,
    max: 65535,
    description: 'HTTP port of policy-generator.',
  }),
  POLICY_CONSUMER_GROUP: env.string({
    default: 'ward-policy-generator',
    pattern: /^[A-Za-z0-9._-]+$/,
    description: 'Kafka consumer group; replicas with the same group share partitions.',
  }),
  POLICY_WINDOW_SECONDS: env.int({
    default: 7 * DAY,
    min: 60,
    max: 365 * DAY,
    description:
      'Sliding event-time window of a pattern: only evidence this close to its latest counts towards confidence.',
  }),
  POLICY_MIN_CONFIDENCE: env.number({
    default: 0.5,
    min: 0,
    max: 1,
    description: 'A pattern becomes a proposal once its confidence reaches this.',
  }),
  POLICY_EXPIRY_SECONDS: env.int({
    default: 30 * DAY,
    min: 60,
    max: 3650 * DAY,
    description:
      "A proposed or active policy whose pattern has had no evidence for this long (in the tenant's event time) is retired.",
  }),
  POLICY_AUTO_ACTIVATE: env.list({
    default: [],
    itemPattern: /^[A-Za-z0-9][A-Za-z0-9._:@-]*=(?:0(?:\.\d+)?|1(?:\.0+)?)$/,
    description:
      'Per-tenant auto-activation thresholds, `tenant=confidence` comma-separated; the settings API overrides them; a tenant in neither never auto-activates.',
  }),
  POLICY_DRY_RUN_MAX_EVENTS: env.int({
    default: 200_000,
    min: 1,
    max: 10_000_000,
    description: 'Most events a dry run reads from ward.behavioral-events.v1.',
  }),
  POLICY_ADMIN_TOKEN: env.optionalString({
    secret: true,
    description:
      "Break-glass bearer token: admin of every tenant on this service's API (unset: API keys and OIDC tokens only).",
  }),
  POLICY_BUNDLE_TOKEN: env.optionalString({
    secret: true,
    description:
      "Secret each tenant's bundle token is derived from (GET /v1/tenants/{tenant}/bundle-token); OPA agents hold only their tenant's token; bundles answer 404 while it is unset.",
  }),
};

export type PolicyEnv = EnvValues<typeof policyEnv>;

export interface PolicyConfig {
  readonly http: { readonly host: string; readonly port: number };
  readonly kafka: KafkaSecurity & {
    readonly brokers: readonly string[];
    readonly clientId: string;
    readonly topicPrefix: string;
  };
  readonly consumerGroup: string;
  readonly databaseUrl: string;
  readonly windowMs: number;
  readonly minConfidence: number;
  readonly expiryMs: number;
  readonly autoActivate: ReadonlyMap<string, number>;
  readonly dryRunMaxEvents: number;
  readonly adminToken: string | undefined;
  /** For the shared auth guard: break-glass token, OIDC, metrics token, API-key cache. */
  readonly auth: AuthSettings & {
    readonly adminToken: string | undefined;
    readonly keyCacheMs: number;
  };
  readonly bundleToken: string | undefined;
  readonly logLevel: PolicyEnv['LOG_LEVEL'];
}

export const POLICY_CONFIG = Symbol('POLICY_CONFIG');

export function loadPolicyConfig(
  source: Readonly<Record<string, string | undefined>> = process.env,
): PolicyConfig {
  const e = readEnv(policyEnv, source);
  const kafkaSecured = kafkaSecurity(e);
  const autoActivate = new Map<string, number>();
  const auth = authSettings(e);
  const problems: string[] = [...kafkaSecured.problems, ...auth.problems];
  for (const item of e.POLICY_AUTO_ACTIVATE) {
    const at = item.lastIndexOf('=');
    const tenant = item.slice(0, at);
    if (autoActivate.has(tenant)) {
      problems.push(`POLICY_AUTO_ACTIVATE: tenant ${tenant} is listed twice`);
    }
    autoActivate.set(tenant, Number(item.slice(at + 1)));
  }
  if (
    e.POLICY_ADMIN_TOKEN !== undefined &&
    e.POLICY_BUNDLE_TOKEN !== undefined &&
    e.POLICY_ADMIN_TOKEN === e.POLICY_BUNDLE_TOKEN
  ) {
    problems.push(
      'POLICY_BUNDLE_TOKEN: must differ from POLICY_ADMIN_TOKEN (OPA agents must not hold the admin token)',
    );
  }
  if (problems.length > 0) {
    throw new ConfigError(problems);
  }
  return {
    http: { host: e.HOST, port: e.PORT },
    kafka: {
      brokers: e.KAFKA_BROKERS,
      clientId: e.KAFKA_CLIENT_ID ?? 'ward-policy-generator',
      topicPrefix: e.KAFKA_TOPIC_PREFIX,
      ...kafkaSecured.security,
    },
    consumerGroup: e.POLICY_CONSUMER_GROUP,
    databaseUrl: e.DATABASE_URL,
    windowMs: e.POLICY_WINDOW_SECONDS * 1000,
    minConfidence: e.POLICY_MIN_CONFIDENCE,
    expiryMs: e.POLICY_EXPIRY_SECONDS * 1000,
    autoActivate,
    dryRunMaxEvents: e.POLICY_DRY_RUN_MAX_EVENTS,
    adminToken: e.POLICY_ADMIN_TOKEN,
    auth: { ...auth.settings, adminToken: e.POLICY_ADMIN_TOKEN, keyCacheMs: API_KEY_CACHE_MS },
    bundleToken: e.POLICY_BUNDLE_TOKEN,
    logLevel: e.LOG_LEVEL,
  };
}
