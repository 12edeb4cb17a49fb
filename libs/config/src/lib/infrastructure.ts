import { readFileSync } from 'node:fs';
import { type ConnectionOptions } from 'node:tls';
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
  KAFKA_SSL_CERT_FILE: env.optionalString({
    description:
      'PEM client certificate (chain) for mutual TLS to Kafka; needs KAFKA_SSL_KEY_FILE, implies KAFKA_SSL.',
  }),
  KAFKA_SSL_KEY_FILE: env.optionalString({
    description:
      "PEM private key (unencrypted) of KAFKA_SSL_CERT_FILE's certificate; needs KAFKA_SSL_CERT_FILE.",
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
  /** TLS; `cert` and `key` (PEM, always both) make it mutual. */
  readonly ssl?: { readonly ca?: string; readonly cert?: string; readonly key?: string };
  readonly sasl?: {
    readonly mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512';
    readonly username: string;
    readonly password: string;
  };
}

type SecurityEnv = {
  readonly KAFKA_SSL: boolean;
  readonly KAFKA_SSL_CA_FILE: string | undefined;
  // Optional so that a tool that offers only part of infrastructureEnv still type-checks.
  readonly KAFKA_SSL_CERT_FILE?: string | undefined;
  readonly KAFKA_SSL_KEY_FILE?: string | undefined;
  readonly KAFKA_SASL_MECHANISM: 'none' | 'plain' | 'scram-sha-256' | 'scram-sha-512';
  readonly KAFKA_SASL_USERNAME: string | undefined;
  readonly KAFKA_SASL_PASSWORD: string | undefined;
};

/**
 * A PEM file's text, or why it is unusable (named by `setting`): unreadable,
 * or without a block whose label matches `label`.
 */
function readPem(
  setting: string,
  path: string,
  label: RegExp,
  what: string,
  readFile: (path: string) => string,
  problems: string[],
): string | undefined {
  let text: string;
  try {
    text = readFile(path);
  } catch (error) {
    problems.push(`${setting}: cannot read ${path} (${(error as Error).message})`);
    return undefined;
  }
  if (!new RegExp(`-----BEGIN ${label.source}-----`).test(text)) {
    problems.push(`${setting}: ${path} holds no PEM ${what}`);
    return undefined;
  }
  return text;
}

/** kafkajs `ssl` of KafkaSecurity: the broker always verified; a client certificate (mutual TLS) when given. */
export function kafkaTlsOptions(ssl: NonNullable<KafkaSecurity['ssl']>): ConnectionOptions {
  return {
    rejectUnauthorized: true,
    ...(ssl.ca !== undefined && { ca: [ssl.ca] }),
    ...(ssl.cert !== undefined && ssl.key !== undefined && { cert: ssl.cert, key: ssl.key }),
  };
}

/**
 * The Kafka security settings of a validated environment, or the problems
 * that make them unusable (named by variable): a SASL mechanism without its
 * credentials, an unreadable CA file, a client certificate without its key
 * (or either unreadable), plain passwords without TLS.
 */
export function kafkaSecurity(
  e: SecurityEnv,
  readFile: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): { security: KafkaSecurity; problems: string[] } {
  const problems: string[] = [];
  const certFile = e.KAFKA_SSL_CERT_FILE;
  const keyFile = e.KAFKA_SSL_KEY_FILE;
  const tls =
    e.KAFKA_SSL ||
    e.KAFKA_SSL_CA_FILE !== undefined ||
    certFile !== undefined ||
    keyFile !== undefined;
  let ca: string | undefined;
  if (e.KAFKA_SSL_CA_FILE !== undefined) {
    ca = readPem(
      'KAFKA_SSL_CA_FILE',
      e.KAFKA_SSL_CA_FILE,
      /CERTIFICATE/,
      'certificate',
      readFile,
      problems,
    );
  }
  let clientAuth: { cert: string; key: string } | undefined;
  if (certFile !== undefined && keyFile === undefined) {
    problems.push('KAFKA_SSL_CERT_FILE: set, but KAFKA_SSL_KEY_FILE is not; set both or neither');
  } else if (keyFile !== undefined && certFile === undefined) {
    problems.push('KAFKA_SSL_KEY_FILE: set, but KAFKA_SSL_CERT_FILE is not; set both or neither');
  } else if (certFile !== undefined && keyFile !== undefined) {
    const cert = readPem(
      'KAFKA_SSL_CERT_FILE',
      certFile,
      /CERTIFICATE/,
      'certificate',
      readFile,
      problems,
    );
    // PKCS#8 (PRIVATE KEY), PKCS#1 (RSA PRIVATE KEY) or SEC1 (EC PRIVATE KEY); an
    // ENCRYPTED PRIVATE KEY needs a passphrase Ward has no setting for.
    const key = readPem(
      'KAFKA_SSL_KEY_FILE',
      keyFile,
      /(?:RSA |EC )?PRIVATE KEY/,
      'private key (PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY, unencrypted)',
      readFile,
      problems,
    );
    if (key?.includes('Proc-Type: 4,ENCRYPTED') === true) {
      problems.push(`KAFKA_SSL_KEY_FILE: ${keyFile} is encrypted; give the key unencrypted`);
    } else if (cert !== undefined && key !== undefined) {
      clientAuth = { cert, key };
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
      ...(tls && { ssl: { ...(ca !== undefined && { ca }), ...clientAuth } }),
      ...(sasl !== undefined && { sasl }),
    },
    problems,
  };
}
