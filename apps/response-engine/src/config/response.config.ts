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
import { existsSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';

/** How long a verified API key is trusted before PostgreSQL is asked again (a revocation elsewhere takes this long). */
const API_KEY_CACHE_MS = 5_000;

export const responseEnv = {
  ...infrastructureEnv,
  ...authEnv,
  HOST: env.string({ default: '127.0.0.1', description: 'Address the HTTP server binds to.' }),
  PORT: env.int({
    default: 3004,
    min: 1,
    max: 65535,
    description: 'HTTP port of response-engine.',
  }),
  RESPONSE_CONSUMER_GROUP: env.string({
    default: 'ward-response-engine',
    pattern: /^[A-Za-z0-9._-]+$/,
    description: 'Kafka consumer group; replicas with the same group share partitions.',
  }),
  RESPONSE_PLAYBOOK_DIRS: env.list({
    default: ['deploy/playbooks'],
    description: 'Folders of playbook YAML files, comma-separated; reloaded when a file changes.',
  }),
  RESPONSE_RELOAD_SECONDS: env.int({
    default: 2,
    min: 1,
    max: 3600,
    description: 'How often the playbook folders are checked for changes.',
  }),
  RESPONSE_DRY_RUN: env.bool({
    default: false,
    description: 'Record what every action would do instead of doing it.',
  }),
  RESPONSE_DESTINATIONS_FILE: env.optionalString({
    description:
      'YAML file of named destinations (webhook, slack, splunk_hec, syslog): url or host/port, and the environment variable holding each secret.',
  }),
  RESPONSE_DESTINATION_FAILURE_LIMIT: env.int({
    default: 5,
    min: 1,
    max: 1000,
    description:
      'Consecutive failed deliveries after which a destination is disabled; later deliveries to it are parked for retry or discard.',
  }),
  RESPONSE_OUTBOUND_ALLOW_HOSTS: env.list({
    default: [],
    description: 'Hosts actions may reach (exact, or *.example.com); everything else is refused.',
  }),
  RESPONSE_OUTBOUND_ALLOW_PRIVATE: env.bool({
    default: false,
    description: 'Allow destinations that resolve to private, loopback or link-local addresses.',
  }),
  RESPONSE_SWEEP_SECONDS: env.int({
    default: 5,
    min: 1,
    max: 3600,
    description:
      'How often approval deadlines and due retries are checked (by one replica at a time).',
  }),
  RESPONSE_ADMIN_TOKEN: env.optionalString({
    secret: true,
    description:
      "Break-glass bearer token: admin of every tenant on this service's API (unset: API keys and OIDC tokens only).",
  }),
  ...redisKeyPrefixEnv,
};

export type ResponseEnv = EnvValues<typeof responseEnv>;

export type DestinationKind = 'webhook' | 'slack' | 'splunk_hec' | 'syslog';

export interface Destination {
  readonly name: string;
  readonly kind: DestinationKind;
  /** http(s) URL for webhook, slack and splunk_hec. */
  readonly url?: string;
  /** syslog: host, port and transport. */
  readonly host?: string;
  readonly port?: number;
  readonly transport?: 'tcp' | 'udp' | 'tls';
  /** syslog over TLS: PEM of the CA that signs the receiver's certificate (default: the system's). */
  readonly ca?: string;
  /** Resolved from the environment variable the file names, never written in the file. */
  readonly secret?: string;
}

export interface ResponseConfig {
  readonly http: { readonly host: string; readonly port: number };
  readonly kafka: KafkaSecurity & {
    readonly brokers: readonly string[];
    readonly clientId: string;
    readonly topicPrefix: string;
  };
  readonly consumerGroup: string;
  readonly databaseUrl: string;
  readonly redis: RedisSettings;
  readonly playbookDirs: readonly string[];
  readonly reloadMs: number;
  readonly dryRun: boolean;
  readonly destinations: ReadonlyMap<string, Destination>;
  readonly destinationFailureLimit: number;
  readonly outbound: { readonly allowHosts: readonly string[]; readonly allowPrivate: boolean };
  readonly sweepMs: number;
  readonly adminToken: string | undefined;
  /** For the shared auth guard: break-glass token, OIDC, metrics token, API-key cache. */
  readonly auth: AuthSettings & {
    readonly adminToken: string | undefined;
    readonly keyCacheMs: number;
  };
  readonly logLevel: ResponseEnv['LOG_LEVEL'];
}

export const RESPONSE_CONFIG = Symbol('RESPONSE_CONFIG');

function loadDestinations(
  file: string | undefined,
  source: Readonly<Record<string, string | undefined>>,
  problems: string[],
): Map<string, Destination> {
  const out = new Map<string, Destination>();
  if (file === undefined) {
    return out;
  }
  if (!existsSync(file)) {
    problems.push(`RESPONSE_DESTINATIONS_FILE: ${file} does not exist`);
    return out;
  }
  let doc: unknown;
  try {
    doc = parse(readFileSync(file, 'utf8'));
  } catch (error) {
    problems.push(`RESPONSE_DESTINATIONS_FILE: ${file} is not YAML: ${(error as Error).message}`);
    return out;
  }
  const entries = (doc as { destinations?: unknown })?.destinations;
  if (entries === null || typeof entries !== 'object' || Array.isArray(entries)) {
    problems.push(
      `RESPONSE_DESTINATIONS_FILE: ${file} needs a "destinations" map of name → settings`,
    );
    return out;
  }
  for (const [name, raw] of Object.entries(entries as Record<string, Record<string, unknown>>)) {
    const where = `RESPONSE_DESTINATIONS_FILE: destination ${name}`;
    const kind = raw?.kind;
    if (kind !== 'webhook' && kind !== 'slack' && kind !== 'splunk_hec' && kind !== 'syslog') {
      problems.push(`${where}: kind must be webhook, slack, splunk_hec or syslog`);
      continue;
    }
    const secretEnv = raw.secretEnv;
    const secret = typeof secretEnv === 'string' ? source[secretEnv] : undefined;
    if (typeof secretEnv === 'string' && (secret === undefined || secret === '')) {
      problems.push(`${where}: environment variable ${secretEnv} (its secret) is not set`);
      continue;
    }
    if (kind === 'syslog') {
      const port = Number(raw.port);
      const transport = raw.transport ?? 'tcp';
      if (typeof raw.host !== 'string' || !Number.isInteger(port) || port < 1 || port > 65535) {
        problems.push(`${where}: syslog needs host and port`);
        continue;
      }
      if (transport !== 'tcp' && transport !== 'udp' && transport !== 'tls') {
        problems.push(`${where}: transport must be tcp, udp or tls`);
        continue;
      }
      let ca: string | undefined;
      if (raw.caFile !== undefined) {
        if (transport !== 'tls' || typeof raw.caFile !== 'string' || !existsSync(raw.caFile)) {
          problems.push(`${where}: caFile must name an existing PEM file, with transport tls`);
          continue;
        }
        ca = readFileSync(raw.caFile, 'utf8');
      }
      out.set(name, {
        name,
        kind,
        host: raw.host,
        port,
        transport,
        ...(secret && { secret }),
        ...(ca !== undefined && { ca }),
      });
      continue;
    }
    if (typeof raw.url !== 'string' || !/^https?:\/\//.test(raw.url)) {
      problems.push(`${where}: url must be an http(s) URL`);
      continue;
    }
    out.set(name, { name, kind, url: raw.url, ...(secret && { secret }) });
  }
  return out;
}

export function loadResponseConfig(
  source: Readonly<Record<string, string | undefined>> = process.env,
): ResponseConfig {
  const e = readEnv(responseEnv, source);
  const kafkaSecured = kafkaSecurity(e);
  const auth = authSettings(e);
  const redis = redisSettings(e);
  const problems: string[] = [...kafkaSecured.problems, ...auth.problems, ...redis.problems];
  const destinations = loadDestinations(e.RESPONSE_DESTINATIONS_FILE, source, problems);
  if (problems.length > 0) {
    throw new ConfigError(problems);
  }
  return {
    http: { host: e.HOST, port: e.PORT },
    kafka: {
      brokers: e.KAFKA_BROKERS,
      clientId: e.KAFKA_CLIENT_ID ?? 'ward-response-engine',
      topicPrefix: e.KAFKA_TOPIC_PREFIX,
      ...kafkaSecured.security,
    },
    consumerGroup: e.RESPONSE_CONSUMER_GROUP,
    databaseUrl: e.DATABASE_URL,
    redis: redis.settings,
    playbookDirs: e.RESPONSE_PLAYBOOK_DIRS,
    reloadMs: e.RESPONSE_RELOAD_SECONDS * 1000,
    dryRun: e.RESPONSE_DRY_RUN,
    destinations,
    destinationFailureLimit: e.RESPONSE_DESTINATION_FAILURE_LIMIT,
    outbound: {
      allowHosts: e.RESPONSE_OUTBOUND_ALLOW_HOSTS,
      allowPrivate: e.RESPONSE_OUTBOUND_ALLOW_PRIVATE,
    },
    sweepMs: e.RESPONSE_SWEEP_SECONDS * 1000,
    adminToken: e.RESPONSE_ADMIN_TOKEN,
    auth: { ...auth.settings, adminToken: e.RESPONSE_ADMIN_TOKEN, keyCacheMs: API_KEY_CACHE_MS },
    logLevel: e.LOG_LEVEL,
  };
}
