import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '../../../..');
const TOOLS_SCRIPT = join(ROOT, 'deploy/local/tools.sh');
const HINT =
  'install it with `bash deploy/local/tools.sh opa` (npm test does this) or set WARD_OPA';

/** The OPA version deploy/local/tools.sh pins, read from the script so it is stated once. */
export function pinnedOpaVersion(): string {
  const match = /^OPA_VERSION="([^"]+)"/m.exec(readFileSync(TOOLS_SCRIPT, 'utf8'));
  if (!match) {
    throw new Error(`no OPA_VERSION in ${TOOLS_SCRIPT}`);
  }
  return match[1]!;
}

/**
 * The OPA binary: WARD_OPA, else the pinned install under $WARD_HOME. Throws
 * when there is neither: tests that need OPA fail, they are never skipped.
 */
export function opaBinary(source: NodeJS.ProcessEnv = process.env): string {
  if (source.WARD_OPA) {
    if (!existsSync(source.WARD_OPA)) {
      throw new Error(`WARD_OPA=${source.WARD_OPA} does not exist; ${HINT}`);
    }
    return source.WARD_OPA;
  }
  const home = source.WARD_HOME ?? join(source.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'ward');
  const version = pinnedOpaVersion();
  const path = join(home, 'tools', `opa-${version}`, 'opa');
  if (!existsSync(path)) {
    throw new Error(`OPA ${version} is not installed at ${path}: ${HINT}`);
  }
  return path;
}

export interface OpaOutput {
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `opa <args>` (no shell), with `stdin` as its standard input; throws on a non-zero exit. */
export function runOpa(args: readonly string[], stdin?: string): OpaOutput {
  const result = spawnSync(opaBinary(), args, {
    input: stdin,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    timeout: 60_000,
  });
  if (result.error) {
    throw result.error;
  }
  if (result.status !== 0) {
    throw new Error(
      `opa ${args.join(' ')} exited with ${result.status ?? result.signal}:\n${result.stderr}${result.stdout}`,
    );
  }
  return { stdout: result.stdout, stderr: result.stderr };
}

export interface OpaEvalOptions {
  /** The input document, sent on stdin. */
  readonly input?: unknown;
  /** Bundles (directories or .tar.gz files), loaded with --bundle. */
  readonly bundles?: readonly string[];
  /** Rego or data files and directories, loaded with --data. */
  readonly data?: readonly string[];
  /** Make builtin errors (a bad regex, a type error) fail the query instead of leaving it undefined. */
  readonly strictBuiltinErrors?: boolean;
}

interface EvalOutput {
  readonly result?: { readonly expressions: { readonly value: unknown }[] }[];
}

/**
 * Evaluates one Rego query with `opa eval` and returns the value of its first
 * expression, or undefined when the query is undefined.
 */
export function opaEval<T = unknown>(query: string, options: OpaEvalOptions = {}): T | undefined {
  const args = ['eval', '--format', 'json'];
  for (const bundle of options.bundles ?? []) {
    args.push('--bundle', bundle);
  }
  for (const data of options.data ?? []) {
    args.push('--data', data);
  }
  if (options.strictBuiltinErrors) {
    args.push('--strict-builtin-errors');
  }
  if (options.input !== undefined) {
    args.push('--stdin-input');
  }
  args.push(query);
  const stdin = options.input === undefined ? undefined : JSON.stringify(options.input);
  const output = JSON.parse(runOpa(args, stdin).stdout) as EvalOutput;
  return output.result?.[0]?.expressions[0]?.value as T | undefined;
}
