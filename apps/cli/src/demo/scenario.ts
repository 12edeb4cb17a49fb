import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../cli/config';
import { CliError } from '../cli/errors';
import {
  eventTimeMs,
  parseTelemetry,
  shiftTimestamp,
  type TelemetryRecord,
} from '../telemetry/telemetry';
import { type Expectation } from './expectation';

export const SCENARIO_DIR = join(ROOT, 'deploy/demo/scenarios');

/** The order newcomers meet them in (any others follow by name). */
export const SCENARIO_ORDER = [
  'runaway',
  'credential-probing',
  'injection-exfiltration',
  'slow-drift',
  'session-cycling',
  'lateral-movement',
];

export interface Scenario {
  readonly name: string;
  readonly expectation: Expectation;
  readonly records: readonly TelemetryRecord[];
}

export function scenarioNames(dir = SCENARIO_DIR): string[] {
  const names = existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith('.expected.json'))
        .map((f) => f.replace(/\.expected\.json$/, ''))
    : [];
  const rank = (n: string) =>
    SCENARIO_ORDER.includes(n) ? SCENARIO_ORDER.indexOf(n) : SCENARIO_ORDER.length;
  return names.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

export function loadExpectation(name: string, dir = SCENARIO_DIR): Expectation {
  return JSON.parse(readFileSync(join(dir, `${name}.expected.json`), 'utf8')) as Expectation;
}

export function loadScenario(name: string, dir = SCENARIO_DIR): Scenario {
  const names = scenarioNames(dir);
  if (!names.includes(name)) {
    throw new CliError(`no scenario "${name}"`, `one of: ${names.join(', ')} (ward demo --list)`);
  }
  const file = join(dir, `${name}.jsonl`);
  const { records, problems } = parseTelemetry(
    readFileSync(file, 'utf8'),
    `deploy/demo/scenarios/${name}.jsonl`,
  );
  if (problems.length > 0) {
    throw new CliError(`${file}:${problems[0]!.line}: ${problems[0]!.reason}`);
  }
  return { name, expectation: loadExpectation(name, dir), records };
}

/** Event time moves in steps of ten minutes: windows of 1, 2, 5 or 10 minutes keep their alignment. */
export const REBASE_STEP_MS = 600_000;

/**
 * Moves a storyline's event time by whole steps so that its last event falls
 * within the ten minutes before `nowMs`: windows keep their alignment, what
 * Ward shows reads as just now, and a call made now (the enforcement probe)
 * falls within fusion's correlation window of the storyline's incident.
 */
export function rebase(
  records: readonly TelemetryRecord[],
  nowMs: number,
): { records: TelemetryRecord[]; shiftMs: number } {
  const times = records
    .map((r) => eventTimeMs(r.value))
    .filter((t): t is number => t !== undefined);
  if (times.length === 0) {
    return { records: [...records], shiftMs: 0 };
  }
  const last = Math.max(...times);
  const shiftMs = Math.floor((nowMs - last) / REBASE_STEP_MS) * REBASE_STEP_MS;
  return {
    records: records.map((r) => ({ ...r, value: shiftTimestamp(r.value, shiftMs) })),
    shiftMs,
  };
}
