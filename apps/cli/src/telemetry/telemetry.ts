/** One telemetry record read from a file or stdin, with where it came from. */
export interface TelemetryRecord {
  readonly value: Record<string, unknown>;
  readonly source: string;
  readonly line: number;
}

export interface ParseProblem {
  readonly source: string;
  readonly line: number;
  readonly reason: string;
}

/**
 * Records of a JSONL text, or of a JSON array or single object. A line that is
 * not a JSON object is a problem with its line number, never fatal.
 */
export function parseTelemetry(
  text: string,
  source: string,
): { records: TelemetryRecord[]; problems: ParseProblem[] } {
  const records: TelemetryRecord[] = [];
  const problems: ParseProblem[] = [];
  const whole = parseWhole(text);
  if (Array.isArray(whole)) {
    whole.forEach((value, i) => {
      if (isObject(value)) {
        records.push({ value, source, line: i + 1 });
      } else {
        problems.push({ source, line: i + 1, reason: 'array item is not a JSON object' });
      }
    });
    return { records, problems };
  }
  if (isObject(whole)) {
    return { records: [{ value: whole, source, line: 1 }], problems };
  }
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') {
      return;
    }
    try {
      const value = JSON.parse(line) as unknown;
      if (isObject(value)) {
        records.push({ value, source, line: i + 1 });
      } else {
        problems.push({ source, line: i + 1, reason: 'not a JSON object' });
      }
    } catch (error) {
      problems.push({ source, line: i + 1, reason: `not JSON (${(error as Error).message})` });
    }
  });
  return { records, problems };
}

/** The text as one JSON document (an array, or an object spread over lines), if it is one. */
function parseWhole(text: string): unknown {
  const t = text.trimStart();
  if (!t.startsWith('[') && !t.startsWith('{')) {
    return undefined;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Event time of a record in ms, read like ingest reads it (seconds,
 * milliseconds, microseconds, nanoseconds or ISO 8601); undefined if none.
 */
export function eventTimeMs(record: Record<string, unknown>): number | undefined {
  const t = record['timestamp'] ?? record['time'] ?? record['ts'];
  if (typeof t === 'number' && Number.isFinite(t)) {
    if (t < 1e11) {
      return t * 1000;
    }
    if (t < 1e14) {
      return t;
    }
    if (t < 1e17) {
      return t / 1000;
    }
    return t / 1e6;
  }
  if (typeof t === 'string') {
    if (/^\d+(\.\d+)?$/.test(t)) {
      return eventTimeMs({ timestamp: Number(t) });
    }
    const parsed = Date.parse(t);
    return Number.isNaN(parsed) ? undefined : parsed;
  }
  return undefined;
}

/** Records in event-time order; records without a time keep their place after the one before. */
export function byEventTime(records: readonly TelemetryRecord[]): TelemetryRecord[] {
  let last = -Infinity;
  return records
    .map((r, i) => {
      const t = eventTimeMs(r.value);
      last = t ?? last;
      return { r, t: t ?? last, i };
    })
    .sort((a, b) => a.t - b.t || a.i - b.i)
    .map((x) => x.r);
}

export interface PacedBatch {
  /** Wall-clock offset from the start of the replay at which to send. */
  readonly atMs: number;
  readonly records: TelemetryRecord[];
}

/**
 * Groups event-time-ordered records into batches sent at `speed` event-time
 * ms per wall-clock ms: records due within `tickMs` of each other go
 * together, and no batch holds more than `maxBatch` records. Speed Infinity
 * sends everything at once in batches of maxBatch.
 */
export function paceBatches(
  records: readonly TelemetryRecord[],
  speed: number,
  options: { readonly tickMs?: number; readonly maxBatch?: number } = {},
): PacedBatch[] {
  const tick = options.tickMs ?? 100;
  const max = options.maxBatch ?? 1000;
  const batches: PacedBatch[] = [];
  const first = records.map((r) => eventTimeMs(r.value)).find((t) => t !== undefined);
  let lastTime = first ?? 0;
  for (const record of records) {
    const t = eventTimeMs(record.value) ?? lastTime;
    lastTime = t;
    const due = speed === Infinity || first === undefined ? 0 : (t - first) / speed;
    const current = batches.at(-1);
    if (current !== undefined && due - current.atMs < tick && current.records.length < max) {
      current.records.push(record);
    } else {
      batches.push({ atMs: Math.max(due, current?.atMs ?? 0), records: [record] });
    }
  }
  return batches;
}

/** `--speed`: a positive number, or max. */
export function parseSpeed(raw: string | undefined, fallback: number): number | undefined {
  if (raw === undefined) {
    return fallback;
  }
  if (raw === 'max') {
    return Infinity;
  }
  const n = Number(raw);
  return /^\d+(\.\d+)?$/.test(raw) && n > 0 ? n : undefined;
}

/**
 * Moves every timestamp by `shiftMs`, keeping each record's format (ISO or a
 * number in the same unit), so event time can be brought to the present.
 */
export function shiftTimestamp(
  record: Record<string, unknown>,
  shiftMs: number,
): Record<string, unknown> {
  const t = record['timestamp'];
  const ms = eventTimeMs({ timestamp: t });
  if (ms === undefined) {
    return record;
  }
  let moved: unknown;
  if (typeof t === 'string' && !/^\d+(\.\d+)?$/.test(t)) {
    moved = new Date(ms + shiftMs).toISOString();
  } else {
    const n = Number(t);
    const scale = n / ms;
    moved = (ms + shiftMs) * scale;
  }
  return { ...record, timestamp: moved };
}
