import { readFileSync } from 'node:fs';
import { env } from './env';

/**
 * Connection settings every service shares. Defaults match what
 * `deploy/local/infra.sh up` starts on this machine.
 */
export const infrastructureEnv = {
  KAFKA_BROKERS: env.list({
    default: ['127.0.0.1:9092'],
    description: 'Kafka bootstrap servers, comma-separated host:port.',
    itemPattern: /^[A-Za-z0-9.-]+:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$/,
  }),
  KAFKA_CLIENT_ID: env.optionalString({
    description: 'Kafka client id (defaults to the service name).',
  }),
  KAFKA_TOPIC_PREFIX: env.string({
    default: '',
    pattern: /^[A-Za-z0-9._-]*$/,
    description: 'Prefix for every Ward topic name, to share a cluster between deployments.',
  }),
  KAFKA_SSL: env.bool({
    default: false,
    description: 'Connect to Kafka over TLS (the broker certificate is always verified).',
  }),
  KAFKA_SSL_CA_FILE: env.optionalString({
    description:
      "PEM file of the CA that signed the brokers' certificates (default: the system's CAs); implies KAFKA_SSL.",
  }),
  KAFKA_SASL_MECHANISM: env.oneOf(['none', 'plain', 'scram-sha-256', 'scram-sha-512'], {
    default: 'none',
    description: 'SASL authentication to Kafka; plain only together with TLS.',
  }),
  KAFKA_SASL_USERNAME: env.optionalString({
    description: 'SASL user name (required with a SASL mechanism).',
  }),
  KAFKA_SASL_PASSWORD: env.optionalString({
    secret: true,
    description: 'SASL password (required with a SASL mechanism).',
  }),
  DATABASE_URL: env.url({
    default: 'postgres://ward:ward@127.0.0.1:5432/ward',
    protocols: ['postgres', 'postgresql'],
    secret: true,
    description: 'PostgreSQL connection URL.',
  }),
  REDIS_URL: env.url({
    default: 'redis://127.0.0.1:6379',
    protocols: ['redis', 'rediss'],
    secret: true,
    description: 'Redis connection URL.',
  }),
  LOG_LEVEL: env.oneOf(['error', 'warn', 'log', 'debug', 'verbose'], {
    default: 'log',
    description: 'Lowest log level printed.',
  }),
};

/** The key prefix (and TLS trust) of the services that keep state in Redis. */
export const redisKeyPrefixEnv = {
  REDIS_KEY_PREFIX: env.string({
    default: 'ward:',
    pattern: /^[A-Za-z0-9:._-]*$/,
    description: 'Prefix of every Redis key.',
  }),
  REDIS_TLS_CA_FILE: env.optionalString({
    description:
      "PEM file of the CA that signed Redis's certificate, for a rediss:// REDIS_URL (default: the system's CAs).",
  }),
};

/** Where a service's Redis is, and the CA its TLS certificate is checked against. */
export interface RedisSettings {
  readonly url: string;
  readonly keyPrefix: string;
  readonly tlsCa?: string;
}

/** The Redis settings of a validated environment, or the problems (named by variable). */
export function redisSettings(
  e: {
    readonly REDIS_URL: string;
    readonly REDIS_KEY_PREFIX: string;
    readonly REDIS_TLS_CA_FILE: string | undefined;
  },
  readFile: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): { settings: RedisSettings; problems: string[] } {
  const problems: string[] = [];
  let tlsCa: string | undefined;
  if (e.REDIS_TLS_CA_FILE !== undefined) {
    if (!e.REDIS_URL.startsWith('rediss://')) {
      problems.push('REDIS_TLS_CA_FILE: set, but REDIS_URL does not use rediss:// (TLS)');
    }
    try {
      tlsCa = readFile(e.REDIS_TLS_CA_FILE);
      if (!tlsCa.includes('-----BEGIN CERTIFICATE-----')) {
        problems.push(`REDIS_TLS_CA_FILE: ${e.REDIS_TLS_CA_FILE} holds no PEM certificate`);
      }
    } catch (error) {
      problems.push(
        `REDIS_TLS_CA_FILE: cannot read ${e.REDIS_TLS_CA_FILE} (${(error as Error).message})`,
      );
    }
  }
  return {
    settings: {
      url: e.REDIS_URL,
      keyPrefix: e.REDIS_KEY_PREFIX,
      ...(tlsCa !== undefined && { tlsCa }),
    },
    problems,
  };
}

/** TLS and SASL settings for the Kafka client, checked together. */
export interface KafkaSecurity {
  readonly ssl?: { readonly ca?: string };
  readonly sasl?: {
    readonly mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512';
    readonly username: string;
    readonly password: string;
  };
}

type SecurityEnv = {
  readonly KAFKA_SSL: boolean;
  readonly KAFKA_SSL_CA_FILE: string | undefined;
  readonly KAFKA_SASL_MECHANISM: 'none' | 'plain' | 'scram-sha-256' | 'scram-sha-512';
  readonly KAFKA_SASL_USERNAME: string | undefined;
  readonly KAFKA_SASL_PASSWORD: string | undefined;
};

/**
 * The Kafka security settings of a validated environment, or the problems
 * that make them unusable (named by variable): a SASL mechanism without its
 * credentials, an unreadable CA file, plain passwords without TLS.
 */
export function kafkaSecurity(
  e: SecurityEnv,
  readFile: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): { security: KafkaSecurity; problems: string[] } {
  const problems: string[] = [];
  const tls = e.KAFKA_SSL || e.KAFKA_SSL_CA_FILE !== undefined;
  let ca: string | undefined;
  if (e.KAFKA_SSL_CA_FILE !== undefined) {
    try {
      ca = readFile(e.KAFKA_SSL_CA_FILE);
      if (!ca.includes('-----BEGIN CERTIFICATE-----')) {
        problems.push(`KAFKA_SSL_CA_FILE: ${e.KAFKA_SSL_CA_FILE} holds no PEM certificate`);
      }
    } catch (error) {
      problems.push(
        `KAFKA_SSL_CA_FILE: cannot read ${e.KAFKA_SSL_CA_FILE} (${(error as Error).message})`,
      );
    }
  }
  let sasl: KafkaSecurity['sasl'];
  if (e.KAFKA_SASL_MECHANISM !== 'none') {
    if (e.KAFKA_SASL_USERNAME === undefined || e.KAFKA_SASL_PASSWORD === undefined) {
      problems.push(
        `KAFKA_SASL_MECHANISM: ${e.KAFKA_SASL_MECHANISM} needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD`,
      );
    } else {
      sasl = {
        mechanism: e.KAFKA_SASL_MECHANISM,
        username: e.KAFKA_SASL_USERNAME,
        password: e.KAFKA_SASL_PASSWORD,
      };
    }
    if (e.KAFKA_SASL_MECHANISM === 'plain' && !tls) {
      problems.push('KAFKA_SASL_MECHANISM: plain sends the password in clear; set KAFKA_SSL=true');
    }
  } else if (e.KAFKA_SASL_USERNAME !== undefined || e.KAFKA_SASL_PASSWORD !== undefined) {
    problems.push('KAFKA_SASL_USERNAME: set, but KAFKA_SASL_MECHANISM is none');
  }
  return {
    security: {
      ...(tls && { ssl: ca !== undefined ? { ca } : {} }),
      ...(sasl !== undefined && { sasl }),
    },
    problems,
  };
}
