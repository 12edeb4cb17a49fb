import { env, infrastructureEnv } from '@ward/config';

/**
 * The environment `ward` reads, with defaults that match `npm start`. Values
 * also come from env files (see config.ts), which act as defaults under the
 * real environment; flags override both. docs/CLI.md holds this table, and a
 * unit test keeps it true.
 */
export const cliEnv = {
  WARD_TENANT: env.string({
    default: 'default',
    pattern: /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/,
    description: 'Tenant the commands act on (--tenant).',
  }),
  WARD_ACTOR: env.optionalString({
    description:
      'Who approves, rejects and activates, as recorded in the audit log (--actor; default: user@host).',
  }),
  WARD_INGEST_URL: env.url({
    default: 'http://127.0.0.1:3001',
    protocols: ['http', 'https'],
    description: 'sentinel-ingest base URL (--ingest-url).',
  }),
  WARD_MONITOR_URL: env.url({
    default: 'http://127.0.0.1:3002',
    protocols: ['http', 'https'],
    description: 'behavioral-monitor base URL (--monitor-url).',
  }),
  WARD_FUSION_URL: env.url({
    default: 'http://127.0.0.1:3003',
    protocols: ['http', 'https'],
    description: 'fusion base URL (--fusion-url).',
  }),
  WARD_RESPONSE_URL: env.url({
    default: 'http://127.0.0.1:3004',
    protocols: ['http', 'https'],
    description: 'response-engine base URL (--response-url).',
  }),
  WARD_POLICY_URL: env.url({
    default: 'http://127.0.0.1:3005',
    protocols: ['http', 'https'],
    description: 'policy-generator base URL (--policy-url).',
  }),
  WARD_API_KEY: env.optionalString({
    secret: true,
    description:
      'Ingest API key for send, replay and demo (--api-key); without it, one is created for the tenant with INGEST_ADMIN_TOKEN and kept in .ward/cli-keys.json.',
  }),
  WARD_CONFIG: env.optionalString({
    description: 'An env file (KEY=value lines) read under the environment (--config).',
  }),
  INGEST_ADMIN_TOKEN: env.optionalString({
    secret: true,
    description:
      "sentinel-ingest's admin token (API keys); npm start keeps it in .ward/dev-tokens.env.",
  }),
  MONITOR_ADMIN_TOKEN: env.optionalString({
    secret: true,
    description:
      "behavioral-monitor's admin token (agents); npm start keeps it in .ward/dev-tokens.env.",
  }),
  FUSION_ADMIN_TOKEN: env.optionalString({
    secret: true,
    description: "fusion's admin token (incidents); npm start keeps it in .ward/dev-tokens.env.",
  }),
  RESPONSE_ADMIN_TOKEN: env.optionalString({
    secret: true,
    description:
      "response-engine's admin token (approvals, runs); npm start keeps it in .ward/dev-tokens.env.",
  }),
  POLICY_ADMIN_TOKEN: env.optionalString({
    secret: true,
    description:
      "policy-generator's admin token (policies); npm start keeps it in .ward/dev-tokens.env.",
  }),
  KAFKA_BROKERS: infrastructureEnv.KAFKA_BROKERS,
  KAFKA_TOPIC_PREFIX: infrastructureEnv.KAFKA_TOPIC_PREFIX,
  KAFKA_SSL: infrastructureEnv.KAFKA_SSL,
  KAFKA_SSL_CA_FILE: infrastructureEnv.KAFKA_SSL_CA_FILE,
  KAFKA_SSL_CERT_FILE: infrastructureEnv.KAFKA_SSL_CERT_FILE,
  KAFKA_SSL_KEY_FILE: infrastructureEnv.KAFKA_SSL_KEY_FILE,
  KAFKA_SASL_MECHANISM: infrastructureEnv.KAFKA_SASL_MECHANISM,
  KAFKA_SASL_USERNAME: infrastructureEnv.KAFKA_SASL_USERNAME,
  KAFKA_SASL_PASSWORD: infrastructureEnv.KAFKA_SASL_PASSWORD,
  DATABASE_URL: infrastructureEnv.DATABASE_URL,
  REDIS_URL: infrastructureEnv.REDIS_URL,
};
