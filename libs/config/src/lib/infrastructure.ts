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

/** The key prefix of the services that keep state in Redis. */
export const redisKeyPrefixEnv = {
  REDIS_KEY_PREFIX: env.string({
    default: 'ward:',
    pattern: /^[A-Za-z0-9:._-]*$/,
    description: 'Prefix of every Redis key.',
  }),
};
