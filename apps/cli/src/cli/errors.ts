/** Exit codes of every `ward` command (docs/CLI.md). */
export const EXIT = {
  ok: 0,
  /** The operation failed: a service refused, a check failed, an expectation was not met. */
  failure: 1,
  /** The command line was wrong: unknown command or flag, missing argument, bad value. */
  usage: 2,
} as const;

/** A wrong command line: printed with a pointer to `--help`, exit code 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly command?: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/** An operation that failed for a reason the user can act on: printed without a stack, exit code 1. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
