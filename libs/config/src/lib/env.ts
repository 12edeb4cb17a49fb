import { readFileSync } from 'node:fs';

/**
 * Configuration from environment variables, validated once at boot. Every
 * problem is reported at once, each naming its variable, so a bad deployment
 * fails with one readable message instead of a stack trace later.
 */
export interface EnvVar<T> {
  readonly description: string;
  readonly secret: boolean;
  readonly defaultText: string | undefined;
  readonly required: boolean;
  parse(raw: string | undefined): T;
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

class InvalidValue extends Error {}

type Options<T> = { default?: T; description: string; secret?: boolean };

function make<T>(
  opts: Options<T>,
  convert: (raw: string) => T,
  show: (value: T) => string = String,
): EnvVar<T> {
  return {
    description: opts.description,
    secret: opts.secret ?? false,
    defaultText: opts.default === undefined ? undefined : show(opts.default),
    required: opts.default === undefined,
    parse(raw) {
      const trimmed = raw?.trim();
      if (trimmed === undefined || trimmed === '') {
        if (opts.default === undefined) {
          throw new InvalidValue('is required');
        }
        return opts.default;
      }
      return convert(trimmed);
    },
  };
}

export const env = {
  string(opts: Options<string> & { pattern?: RegExp }): EnvVar<string> {
    return make(opts, (raw) => {
      if (opts.pattern && !opts.pattern.test(raw)) {
        throw new InvalidValue(`must match ${String(opts.pattern)}`);
      }
      return raw;
    });
  },
  optionalString(opts: { description: string; secret?: boolean }): EnvVar<string | undefined> {
    return {
      description: opts.description,
      secret: opts.secret ?? false,
      defaultText: undefined,
      required: false,
      parse: (raw) => (raw?.trim() ? raw.trim() : undefined),
    };
  },
  int(opts: Options<number> & { min?: number; max?: number }): EnvVar<number> {
    return make(opts, (raw) => {
      if (!/^-?\d+$/.test(raw)) {
        throw new InvalidValue(`must be an integer, got "${raw}"`);
      }
      return checkRange(Number(raw), opts.min, opts.max);
    });
  },
  number(opts: Options<number> & { min?: number; max?: number }): EnvVar<number> {
    return make(opts, (raw) => {
      const value = Number(raw);
      if (!Number.isFinite(value)) {
        throw new InvalidValue(`must be a number, got "${raw}"`);
      }
      return checkRange(value, opts.min, opts.max);
    });
  },
  bool(opts: Options<boolean>): EnvVar<boolean> {
    return make(opts, (raw) => {
      const lower = raw.toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(lower)) {
        return true;
      }
      if (['0', 'false', 'no', 'off'].includes(lower)) {
        return false;
      }
      throw new InvalidValue(`must be true or false, got "${raw}"`);
    });
  },
  url(opts: Options<string> & { protocols: readonly string[] }): EnvVar<string> {
    return make(
      opts,
      (raw) => {
        let parsed: URL;
        try {
          parsed = new URL(raw);
        } catch {
          throw new InvalidValue('must be a URL');
        }
        if (!opts.protocols.includes(parsed.protocol.replace(/:$/, ''))) {
          throw new InvalidValue(`must use ${opts.protocols.join(' or ')}://`);
        }
        return raw;
      },
      (v) => redactUrl(v),
    );
  },
  list(opts: Options<readonly string[]> & { itemPattern?: RegExp }): EnvVar<readonly string[]> {
    return make(
      opts,
      (raw) => {
        const items = raw
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s !== '');
        if (items.length === 0) {
          throw new InvalidValue('must list at least one value');
        }
        const bad = items.find((item) => opts.itemPattern && !opts.itemPattern.test(item));
        if (bad !== undefined) {
          throw new InvalidValue(`has an invalid entry "${bad}"`);
        }
        return items;
      },
      (v) => v.join(','),
    );
  },
  oneOf<const T extends string>(values: readonly T[], opts: Options<T>): EnvVar<T> {
    return make(opts, (raw) => {
      if (!(values as readonly string[]).includes(raw)) {
        throw new InvalidValue(`must be one of ${values.join(', ')}, got "${raw}"`);
      }
      return raw as T;
    });
  },
};

function checkRange(value: number, min?: number, max?: number): number {
  if (min !== undefined && value < min) {
    throw new InvalidValue(`must be at least ${min}, got ${value}`);
  }
  if (max !== undefined && value > max) {
    throw new InvalidValue(`must be at most ${max}, got ${value}`);
  }
  return value;
}

export type EnvSpec = Record<string, EnvVar<unknown>>;
export type EnvValues<S extends EnvSpec> = {
  [K in keyof S]: S[K] extends EnvVar<infer T> ? T : never;
};

/**
 * Validates `source` against `spec`. A secret can also come from a mounted
 * file: `<NAME>_FILE` names the file (its trailing newline dropped), as
 * Kubernetes and Docker secrets are mounted; setting both is refused.
 */
export function readEnv<S extends EnvSpec>(
  spec: S,
  source: Readonly<Record<string, string | undefined>> = process.env,
  readFile: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): EnvValues<S> {
  const problems: string[] = [];
  const values: Record<string, unknown> = {};
  for (const [name, variable] of Object.entries(spec)) {
    let raw = source[name];
    const file = variable.secret ? source[`${name}_FILE`]?.trim() : undefined;
    if (file !== undefined && file !== '') {
      if (raw !== undefined && raw.trim() !== '') {
        problems.push(`${name}_FILE: set, but so is ${name}; use one of them`);
        continue;
      }
      try {
        raw = readFile(file).replace(/\r?\n$/, '');
      } catch (error) {
        problems.push(
          `${name}_FILE: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
        );
        continue;
      }
    }
    try {
      values[name] = variable.parse(raw);
    } catch (error) {
      if (!(error instanceof InvalidValue)) {
        throw error;
      }
      problems.push(`${name} ${error.message} (${variable.description})`);
    }
  }
  if (problems.length > 0) {
    throw new ConfigError(problems);
  }
  return values as EnvValues<S>;
}

/** Replaces a URL's password so it can be logged. */
export function redactUrl(raw: string): string {
  try {
    const url = new URL(raw);
    if (url.password) {
      url.password = '***';
    }
    return url.toString();
  } catch {
    return '***';
  }
}

/** A markdown table of the variables, for README and `--help`. */
export function describeEnv(spec: EnvSpec): string {
  const rows = Object.entries(spec).map(
    ([name, v]) => `| \`${name}\` | ${defaultCell(v)} | ${v.description} |`,
  );
  return ['| variable | default | meaning |', '| --- | --- | --- |', ...rows].join('\n');
}

function defaultCell(variable: EnvVar<unknown>): string {
  if (variable.required) {
    return '(required)';
  }
  if (variable.defaultText === undefined) {
    return '(unset)';
  }
  return variable.defaultText === '' ? '(empty)' : `\`${variable.defaultText}\``;
}
