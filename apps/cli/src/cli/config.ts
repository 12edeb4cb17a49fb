import { existsSync, readFileSync } from 'node:fs';
import { homedir, hostname, userInfo } from 'node:os';
import { join, relative } from 'node:path';
import { ConfigError, kafkaSecurity, type KafkaSecurity, readEnv } from '@ward/config';
import { cliEnv } from './cli.env';
import { UsageError } from './errors';

export const ROOT = join(__dirname, '../../../..');

export const SERVICES = ['ingest', 'monitor', 'fusion', 'response', 'policy'] as const;
export type Service = (typeof SERVICES)[number];

export const SERVICE_INFO: Record<
  Service,
  { readonly name: string; readonly urlVar: keyof typeof cliEnv; readonly tokenVar: string }
> = {
  ingest: { name: 'sentinel-ingest', urlVar: 'WARD_INGEST_URL', tokenVar: 'INGEST_ADMIN_TOKEN' },
  monitor: {
    name: 'behavioral-monitor',
    urlVar: 'WARD_MONITOR_URL',
    tokenVar: 'MONITOR_ADMIN_TOKEN',
  },
  fusion: { name: 'fusion', urlVar: 'WARD_FUSION_URL', tokenVar: 'FUSION_ADMIN_TOKEN' },
  response: {
    name: 'response-engine',
    urlVar: 'WARD_RESPONSE_URL',
    tokenVar: 'RESPONSE_ADMIN_TOKEN',
  },
  policy: { name: 'policy-generator', urlVar: 'WARD_POLICY_URL', tokenVar: 'POLICY_ADMIN_TOKEN' },
};

export interface ServiceEndpoint {
  readonly name: string;
  readonly url: string;
  readonly token: string | undefined;
  readonly tokenVar: string;
  /** Where the token came from (a flag, the environment, a file), for messages. */
  readonly tokenSource: string | undefined;
}

export interface CliConfig {
  readonly tenant: string;
  readonly actor: string;
  readonly services: Readonly<Record<Service, ServiceEndpoint>>;
  readonly apiKey: string | undefined;
  readonly kafka: {
    readonly brokers: readonly string[];
    readonly topicPrefix: string;
    readonly security: KafkaSecurity;
  };
  readonly databaseUrl: string;
  readonly redisUrl: string;
  /** Where each value that did not come from a default was found. */
  readonly sources: ReadonlyMap<string, string>;
}

/** Flags that override the environment; every one is optional. */
export interface ConfigFlags {
  readonly tenant?: string;
  readonly actor?: string;
  readonly 'api-key'?: string;
  readonly token?: string;
  readonly config?: string;
  readonly brokers?: string;
  readonly 'topic-prefix'?: string;
  readonly 'database-url'?: string;
  readonly 'redis-url'?: string;
  readonly 'ingest-url'?: string;
  readonly 'monitor-url'?: string;
  readonly 'fusion-url'?: string;
  readonly 'response-url'?: string;
  readonly 'policy-url'?: string;
}

export interface EnvFile {
  readonly label: string;
  readonly values: Readonly<Record<string, string>>;
}

/** KEY=value lines; blank lines and # comments ignored; quotes around a value dropped. */
export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (match && !line.trim().startsWith('#')) {
      out[match[1]!] = match[2]!.replace(/^(['"])(.*)\1$/, '$2');
    }
  }
  return out;
}

const FLAG_VARS: Record<string, string> = {
  tenant: 'WARD_TENANT',
  actor: 'WARD_ACTOR',
  'api-key': 'WARD_API_KEY',
  brokers: 'KAFKA_BROKERS',
  'topic-prefix': 'KAFKA_TOPIC_PREFIX',
  'database-url': 'DATABASE_URL',
  'redis-url': 'REDIS_URL',
  'ingest-url': 'WARD_INGEST_URL',
  'monitor-url': 'WARD_MONITOR_URL',
  'fusion-url': 'WARD_FUSION_URL',
  'response-url': 'WARD_RESPONSE_URL',
  'policy-url': 'WARD_POLICY_URL',
};

/**
 * The configuration from, highest first: flags, the environment, then env
 * files in the order given (the first that sets a variable wins), then the
 * defaults. Pure: the caller reads the files.
 */
export function resolveConfig(input: {
  readonly flags: ConfigFlags;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly files: readonly EnvFile[];
  readonly defaultActor: string;
}): CliConfig {
  const merged: Record<string, string> = {};
  const sources = new Map<string, string>();
  const set = (name: string, value: string | undefined, source: string) => {
    if (value !== undefined && value.trim() !== '' && !sources.has(name)) {
      merged[name] = value;
      sources.set(name, source);
    }
  };
  for (const [flag, name] of Object.entries(FLAG_VARS)) {
    set(name, input.flags[flag as keyof ConfigFlags], `--${flag}`);
  }
  if (input.flags.token !== undefined) {
    for (const s of SERVICES) {
      set(SERVICE_INFO[s].tokenVar, input.flags.token, '--token');
    }
  }
  for (const name of Object.keys(cliEnv)) {
    set(name, input.env[name], 'the environment');
  }
  for (const file of input.files) {
    for (const name of Object.keys(cliEnv)) {
      set(name, file.values[name], file.label);
    }
  }
  let e: ReturnType<typeof readEnv<typeof cliEnv>>;
  try {
    e = readEnv(cliEnv, merged);
  } catch (error) {
    if (error instanceof ConfigError) {
      throw new UsageError(
        error.problems
          .map((p) => {
            const name = p.split(' ')[0]!;
            const from = sources.get(name);
            return from === undefined ? p : `${p} [from ${from}]`;
          })
          .join('\n'),
      );
    }
    throw error;
  }
  const { security, problems } = kafkaSecurity(e);
  if (problems.length > 0) {
    throw new UsageError(problems.join('\n'));
  }
  const tokens = e as unknown as Record<string, string | undefined>;
  const services = Object.fromEntries(
    SERVICES.map((s) => {
      const info = SERVICE_INFO[s];
      return [
        s,
        {
          name: info.name,
          url: (e[info.urlVar] as string).replace(/\/+$/, ''),
          token: tokens[info.tokenVar],
          tokenVar: info.tokenVar,
          tokenSource: sources.get(info.tokenVar),
        },
      ];
    }),
  ) as Record<Service, ServiceEndpoint>;
  return {
    tenant: e.WARD_TENANT,
    actor: e.WARD_ACTOR ?? input.defaultActor,
    services,
    apiKey: e.WARD_API_KEY,
    kafka: { brokers: e.KAFKA_BROKERS, topicPrefix: e.KAFKA_TOPIC_PREFIX, security },
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    sources,
  };
}

function wardHome(env: Readonly<Record<string, string | undefined>>): string {
  return env['WARD_HOME'] ?? join(env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache'), 'ward');
}

/** The env files `ward` reads, most specific first. */
export function envFilePaths(
  flags: ConfigFlags,
  env: Readonly<Record<string, string | undefined>>,
): { path: string; required: boolean }[] {
  const explicit = flags.config ?? env['WARD_CONFIG'];
  const configHome = env['XDG_CONFIG_HOME'] ?? join(homedir(), '.config');
  return [
    ...(explicit !== undefined && explicit !== '' ? [{ path: explicit, required: true }] : []),
    { path: join(configHome, 'ward/ward.env'), required: false },
    // Written by `npm start`: the service URLs and the admin tokens it generated.
    { path: join(ROOT, '.ward/services.env'), required: false },
    { path: join(ROOT, '.ward/dev-tokens.env'), required: false },
    // Written by deploy/local/infra.sh up: where Kafka, PostgreSQL and Redis are.
    { path: join(wardHome(env), 'env'), required: false },
  ];
}

export function loadConfig(
  flags: ConfigFlags,
  env: Readonly<Record<string, string | undefined>> = process.env,
): CliConfig {
  const files: EnvFile[] = [];
  for (const { path, required } of envFilePaths(flags, env)) {
    if (!existsSync(path)) {
      if (required) {
        throw new UsageError(`config file ${path} does not exist`);
      }
      continue;
    }
    const shown = path.startsWith(ROOT) ? relative(ROOT, path) : path;
    files.push({ label: shown, values: parseEnvFile(readFileSync(path, 'utf8')) });
  }
  let user = 'someone';
  try {
    user = userInfo().username;
  } catch {
    // No passwd entry (some containers): keep the placeholder.
  }
  return resolveConfig({ flags, env, files, defaultActor: `${user}@${hostname()}` });
}
