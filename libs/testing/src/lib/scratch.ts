/**
 * Scratch topics: every topic a test or benchmark creates lives under
 * `scratch.<run>.`, where `<run>` is `r` + the run's start time in base 36.
 * `npm test` and `npm run bench` delete their own run's scratch topics when they
 * finish and any left by runs older than SCRATCH_MAX_AGE_MS when they start, so
 * the broker's partition count (and with it the broker's start-up time) stays
 * bounded however many runs a machine sees.
 */
export const SCRATCH_ROOT = 'scratch';
export const SCRATCH_MAX_AGE_MS = 3 * 60 * 60 * 1000;

let adhocRun: string | undefined;

/** The run id `npm test` exported as WARD_SCRATCH_RUN, or one for this process when a spec is run alone. */
export function scratchRun(): string {
  const fromEnv = process.env['WARD_SCRATCH_RUN'];
  if (fromEnv && /^r[0-9a-z]{1,12}$/.test(fromEnv)) {
    return fromEnv;
  }
  adhocRun ??= scratchRunId(Date.now());
  return adhocRun;
}

export function scratchRunId(startedAtMs: number): string {
  return `r${startedAtMs.toString(36)}`;
}

/** The topic prefix (ending in `.`) for one test's topics: `scratch.<run>.<tag>.`. */
export function scratchPrefix(tag: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(tag)) {
    throw new Error(`scratch tag must be letters, digits, '_' or '-': ${JSON.stringify(tag)}`);
  }
  return `${SCRATCH_ROOT}.${scratchRun()}.${tag}.`;
}

/**
 * Which of `names` (topics or consumer groups) are scratch names to delete:
 * those of `run` when given, and those whose run started before `now - maxAgeMs`.
 */
export function scratchNamesToPrune(
  names: readonly string[],
  options: { readonly now: number; readonly run?: string; readonly maxAgeMs?: number },
): string[] {
  const maxAge = options.maxAgeMs ?? SCRATCH_MAX_AGE_MS;
  const out: string[] = [];
  for (const name of names) {
    const match = /^scratch\.(r([0-9a-z]{1,12}))\./.exec(name);
    if (!match) {
      continue;
    }
    const startedAt = parseInt(match[2] as string, 36);
    if (match[1] === options.run || startedAt < options.now - maxAge) {
      out.push(name);
    }
  }
  return out;
}
