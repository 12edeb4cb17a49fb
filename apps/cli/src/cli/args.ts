import { parseArgs } from 'node:util';
import { UsageError } from './errors';

export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  readonly multiple?: boolean;
  /** Shown in help: `--speed <n>`. */
  readonly value?: string;
  readonly description: string;
}

export interface PositionalSpec {
  readonly name: string;
  readonly required: boolean;
  readonly description: string;
}

export interface CommandSpec {
  /** One word, or two for a subcommand (`policy approve`). */
  readonly name: string;
  readonly summary: string;
  readonly description?: string;
  readonly positionals: readonly PositionalSpec[];
  readonly options: Readonly<Record<string, OptionSpec>>;
  /** Which global option groups apply (connection flags are long; only list the relevant ones). */
  readonly uses: readonly ('tenant' | 'http' | 'kafka' | 'infra' | 'ingest')[];
  readonly examples: readonly string[];
}

export type OptionValues = Record<string, string | boolean | string[] | undefined>;

export interface ParsedCommand {
  readonly spec: CommandSpec;
  readonly values: OptionValues;
  readonly positionals: readonly string[];
}

export const GLOBAL_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  help: { type: 'boolean', short: 'h', description: 'Show help for the command.' },
  json: {
    type: 'boolean',
    description: 'Print JSON (one record per line when streaming) for scripts.',
  },
  color: {
    type: 'boolean',
    description: 'Force colors on (default: only on a terminal without NO_COLOR).',
  },
  'no-color': { type: 'boolean', description: 'Never print colors.' },
  config: {
    type: 'string',
    value: 'file',
    description: 'Env file (KEY=value lines) to read settings from.',
  },
};

export const GROUP_OPTIONS: Readonly<Record<string, Readonly<Record<string, OptionSpec>>>> = {
  tenant: {
    tenant: {
      type: 'string',
      short: 't',
      value: 'id',
      description: 'Tenant (default: WARD_TENANT or "default").',
    },
    actor: {
      type: 'string',
      value: 'who',
      description: 'Who you are, for the audit log (default: user@host).',
    },
  },
  http: {
    token: {
      type: 'string',
      value: 'token',
      description: "Bearer token for the services' APIs (default: each service's *_ADMIN_TOKEN).",
    },
    'ingest-url': {
      type: 'string',
      value: 'url',
      description: 'sentinel-ingest (default http://127.0.0.1:3001).',
    },
    'monitor-url': {
      type: 'string',
      value: 'url',
      description: 'behavioral-monitor (default http://127.0.0.1:3002).',
    },
    'fusion-url': {
      type: 'string',
      value: 'url',
      description: 'fusion (default http://127.0.0.1:3003).',
    },
    'response-url': {
      type: 'string',
      value: 'url',
      description: 'response-engine (default http://127.0.0.1:3004).',
    },
    'policy-url': {
      type: 'string',
      value: 'url',
      description: 'policy-generator (default http://127.0.0.1:3005).',
    },
  },
  ingest: {
    'api-key': {
      type: 'string',
      value: 'key',
      description:
        'Ingest API key of the tenant (default: WARD_API_KEY, or one created with the admin token).',
    },
  },
  kafka: {
    brokers: {
      type: 'string',
      value: 'host:port,...',
      description: 'Kafka bootstrap servers (default: KAFKA_BROKERS or 127.0.0.1:9092).',
    },
    'topic-prefix': {
      type: 'string',
      value: 'prefix',
      description: 'Prefix of the Ward topic names (default: KAFKA_TOPIC_PREFIX).',
    },
  },
  infra: {
    'database-url': {
      type: 'string',
      value: 'url',
      description: 'PostgreSQL (default: DATABASE_URL or the local one).',
    },
    'redis-url': {
      type: 'string',
      value: 'url',
      description: 'Redis (default: REDIS_URL or the local one).',
    },
  },
};

/** Every option a command accepts: its own, the groups it uses, and the global ones. */
export function optionsOf(spec: CommandSpec): Record<string, OptionSpec> {
  return {
    ...spec.options,
    ...Object.assign({}, ...spec.uses.map((g) => GROUP_OPTIONS[g])),
    ...GLOBAL_OPTIONS,
  } as Record<string, OptionSpec>;
}

/** Finds the command named at the start of `argv` (one or two words). */
export function findCommand(
  commands: readonly CommandSpec[],
  argv: readonly string[],
): { spec: CommandSpec; rest: string[] } | undefined {
  const two = `${argv[0] ?? ''} ${argv[1] ?? ''}`;
  const byTwo = commands.find((c) => c.name === two);
  if (byTwo) {
    return { spec: byTwo, rest: argv.slice(2) };
  }
  const byOne = commands.find((c) => c.name === argv[0]);
  return byOne ? { spec: byOne, rest: argv.slice(1) } : undefined;
}

/** Parses a command's arguments strictly: an unknown flag or a missing argument is a UsageError. */
export function parseCommand(spec: CommandSpec, rest: readonly string[]): ParsedCommand {
  const options = optionsOf(spec);
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...rest],
      options: Object.fromEntries(
        Object.entries(options).map(([name, o]) => [
          name,
          {
            type: o.type,
            ...(o.short !== undefined && { short: o.short }),
            ...(o.multiple === true && { multiple: true }),
          },
        ]),
      ),
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new UsageError(
      (error as Error).message.replace(/\. To specify a positional argument.*$/s, ''),
      spec.name,
    );
  }
  const values = parsed.values as OptionValues;
  if (values['help'] === true) {
    return { spec, values, positionals: parsed.positionals };
  }
  const required = spec.positionals.filter((p) => p.required).length;
  if (parsed.positionals.length < required) {
    const missing = spec.positionals[parsed.positionals.length]!;
    throw new UsageError(`missing <${missing.name}>: ${missing.description}`, spec.name);
  }
  const variadic = spec.positionals.some((p) => p.name.endsWith('...'));
  if (!variadic && parsed.positionals.length > spec.positionals.length) {
    throw new UsageError(
      `unexpected argument "${parsed.positionals[spec.positionals.length]}"`,
      spec.name,
    );
  }
  return { spec, values, positionals: parsed.positionals };
}

export function stringOption(values: OptionValues, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

export function intOption(
  values: OptionValues,
  name: string,
  range: { min: number; max: number },
  fallback: number,
): number;
export function intOption(
  values: OptionValues,
  name: string,
  range: { min: number; max: number },
): number | undefined;
export function intOption(
  values: OptionValues,
  name: string,
  range: { min: number; max: number },
  fallback?: number,
): number | undefined {
  const raw = stringOption(values, name);
  if (raw === undefined) {
    return fallback;
  }
  if (!/^-?\d+$/.test(raw) || Number(raw) < range.min || Number(raw) > range.max) {
    throw new UsageError(
      `--${name} must be a whole number from ${range.min} to ${range.max}, got "${raw}"`,
    );
  }
  return Number(raw);
}

export function oneOfOption<T extends string>(
  values: OptionValues,
  name: string,
  allowed: readonly T[],
): T | undefined {
  const raw = stringOption(values, name);
  if (raw === undefined) {
    return undefined;
  }
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new UsageError(`--${name} must be one of ${allowed.join(', ')}, got "${raw}"`);
  }
  return raw as T;
}
