import {
  byEventTime,
  eventTimeMs,
  paceBatches,
  parseSpeed,
  parseTelemetry,
  shiftTimestamp,
  type TelemetryRecord,
} from './telemetry';

const rec = (value: Record<string, unknown>, line = 1): TelemetryRecord => ({
  value,
  source: 'f',
  line,
});

describe('telemetry files', () => {
  it('reads JSONL, keeping line numbers and reporting bad lines without stopping', () => {
    const sut = parseTelemetry('{"agentId":"a"}\n\nnot json\n[1]\n{"agentId":"b"}\n', 'x.jsonl');
    expect(sut.records.map((r) => [r.value['agentId'], r.line])).toEqual([
      ['a', 1],
      ['b', 5],
    ]);
    expect(sut.problems.map((p) => [p.line, p.reason.split(' (')[0]])).toEqual([
      [3, 'not JSON'],
      [4, 'not a JSON object'],
    ]);
  });

  it('reads a JSON array and a single pretty-printed object', () => {
    expect(parseTelemetry('[{"a":1},{"a":2},3]', 's').records).toHaveLength(2);
    expect(parseTelemetry('[{"a":1},{"a":2},3]', 's').problems[0]).toMatchObject({ line: 3 });
    expect(parseTelemetry('{\n  "agentId": "a"\n}\n', 's').records).toEqual([
      { value: { agentId: 'a' }, source: 's', line: 1 },
    ]);
  });

  it('reads event time in seconds, milliseconds, microseconds, nanoseconds and ISO 8601', () => {
    const ms = Date.UTC(2026, 0, 5, 9, 0, 0);
    for (const t of [
      ms / 1000,
      ms,
      ms * 1000,
      ms * 1e6,
      new Date(ms).toISOString(),
      String(ms / 1000),
    ]) {
      expect(eventTimeMs({ timestamp: t })).toBe(ms);
    }
    expect(eventTimeMs({})).toBeUndefined();
  });

  it('orders by event time, keeping the file order of ties and of records without a time', () => {
    const sut = byEventTime([
      rec({ id: 1, timestamp: 20 }),
      rec({ id: 2 }),
      rec({ id: 3, timestamp: 10 }),
      rec({ id: 4, timestamp: 10 }),
    ]);
    expect(sut.map((r) => r.value['id'])).toEqual([3, 4, 1, 2]);
  });

  it('paces batches by event time at the chosen speed', () => {
    const t0 = Date.UTC(2026, 0, 1);
    const records = [0, 50, 1000, 60_000].map((dt) =>
      rec({ timestamp: new Date(t0 + dt).toISOString() }),
    );
    expect(paceBatches(records, 1).map((b) => [b.atMs, b.records.length])).toEqual([
      [0, 2],
      [1000, 1],
      [60_000, 1],
    ]);
    expect(paceBatches(records, 60).map((b) => [b.atMs, b.records.length])).toEqual([
      [0, 3],
      [1000, 1],
    ]);
    expect(
      paceBatches(records, Infinity, { maxBatch: 3 }).map((b) => [b.atMs, b.records.length]),
    ).toEqual([
      [0, 3],
      [0, 1],
    ]);
  });

  it('takes --speed as a positive number or max', () => {
    expect(parseSpeed(undefined, 60)).toBe(60);
    expect(parseSpeed('max', 60)).toBe(Infinity);
    expect(parseSpeed('2.5', 60)).toBe(2.5);
    expect(parseSpeed('0', 60)).toBeUndefined();
    expect(parseSpeed('fast', 60)).toBeUndefined();
  });

  it('moves timestamps keeping their format', () => {
    const hour = 3_600_000;
    expect(shiftTimestamp({ timestamp: '2026-01-05T09:00:00.000Z', a: 1 }, hour)).toEqual({
      timestamp: '2026-01-05T10:00:00.000Z',
      a: 1,
    });
    expect(shiftTimestamp({ timestamp: 1_767_600_000 }, hour)).toEqual({
      timestamp: 1_767_603_600,
    });
    expect(shiftTimestamp({ timestamp: 1_767_600_000_000 }, hour)).toEqual({
      timestamp: 1_767_603_600_000,
    });
    expect(shiftTimestamp({ agentId: 'a' }, hour)).toEqual({ agentId: 'a' });
  });
});
