import { type IntakeRecord } from '../intake/intake.types';

export type BodyRecord = IntakeRecord;

export class TooManyRecordsError extends Error {
  constructor(readonly limit: number) {
    super(`more than ${limit} records in one request`);
  }
}

/** A parsed JSON body: one object is one record, an array is one record per element. */
export function recordsFromJson(body: unknown, maxRecords: number): BodyRecord[] {
  const items: readonly unknown[] = Array.isArray(body) ? body : [body];
  if (items.length > maxRecords) {
    throw new TooManyRecordsError(maxRecords);
  }
  return items.map((value, index) => ({ index, value, bytes: approximateBytes(value) }));
}

/** NDJSON / JSON Lines: one record per non-blank line; a bad line fails alone. */
export function recordsFromNdjson(body: string, maxRecords: number): BodyRecord[] {
  const records: BodyRecord[] = [];
  let start = 0;
  let line = 0;
  while (start <= body.length) {
    let end = body.indexOf('\n', start);
    if (end === -1) {
      end = body.length;
    }
    line += 1;
    const text = body.slice(start, end).trim();
    start = end + 1;
    if (text === '') {
      continue;
    }
    if (records.length >= maxRecords) {
      throw new TooManyRecordsError(maxRecords);
    }
    const index = records.length;
    const bytes = Buffer.byteLength(text, 'utf8');
    try {
      records.push({ index, line, value: JSON.parse(text) as unknown, bytes });
    } catch (error) {
      records.push({
        index,
        line,
        bytes,
        error: `line ${line} is not JSON: ${(error as Error).message}`,
      });
    }
  }
  return records;
}

function approximateBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');
}
