import { type Static, type TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { FormatRegistry } from '@sinclair/typebox';

/** One problem found in a record, with the JSON pointer of the offending field. */
export interface ContractIssue {
  readonly path: string;
  readonly message: string;
}

export type ContractResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly issues: readonly ContractIssue[] };

const MAX_ISSUES = 10;

// RFC 3339 date-time with a mandatory zone; Date.parse alone accepts too much.
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/i;
if (!FormatRegistry.Has('date-time')) {
  FormatRegistry.Set('date-time', (v) => DATE_TIME.test(v) && !Number.isNaN(Date.parse(v)));
}

/**
 * A named, versioned record schema. The TypeBox schema is plain JSON Schema
 * (exported to docs/schemas); the compiled checker validates at every edge.
 */
export class Contract<S extends TSchema> {
  private compiled: TypeCheck<S> | undefined;

  constructor(
    readonly name: string,
    readonly schemaVersion: number,
    readonly schema: S,
  ) {}

  private get checker(): TypeCheck<S> {
    this.compiled ??= TypeCompiler.Compile(this.schema);
    return this.compiled;
  }

  is(value: unknown): value is Static<S> {
    return this.checker.Check(value);
  }

  validate(value: unknown): ContractResult<Static<S>> {
    if (this.checker.Check(value)) {
      return { ok: true, value };
    }
    const issues: ContractIssue[] = [];
    for (const error of this.checker.Errors(value)) {
      issues.push({ path: error.path || '/', message: error.message });
      if (issues.length >= MAX_ISSUES) {
        break;
      }
    }
    return { ok: false, issues };
  }

  /** Decodes UTF-8 JSON bytes and validates them. */
  decode(bytes: Buffer | string | null): ContractResult<Static<S>> {
    if (bytes === null) {
      return { ok: false, issues: [{ path: '/', message: 'empty message (tombstone)' }] };
    }
    let value: unknown;
    try {
      value = JSON.parse(typeof bytes === 'string' ? bytes : bytes.toString('utf8'));
    } catch (error) {
      return {
        ok: false,
        issues: [{ path: '/', message: `not JSON: ${(error as Error).message}` }],
      };
    }
    return this.validate(value);
  }

  /** JSON Schema document for other languages. */
  jsonSchema(): Record<string, unknown> {
    return {
      $schema: 'http://json-schema.org/draft-07/schema#',
      $id: `https://ward.dev/schemas/${this.name}.v${this.schemaVersion}.json`,
      title: this.name,
      ...(JSON.parse(JSON.stringify(this.schema)) as Record<string, unknown>),
    };
  }
}

export function formatIssues(issues: readonly ContractIssue[]): string {
  return issues.map((i) => `${i.path}: ${i.message}`).join('; ');
}
