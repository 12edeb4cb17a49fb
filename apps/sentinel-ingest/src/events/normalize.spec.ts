import { BehavioralEventContract } from '@ward/contracts';
import fc from 'fast-check';
import {
  canonicalJson,
  deriveEventId,
  normalizeRawEvent,
  type NormalizeContext,
  parseTimestamp,
} from './normalize';

const receivedAt = new Date('2026-03-01T12:00:00.000Z');
const ctx: NormalizeContext = {
  receivedAt,
  channel: 'http',
  origin: '127.0.0.1',
  defaultTenant: 'default',
  maxFutureSkewMs: 300_000,
};
const ISO = '2026-03-01T11:59:00.000Z';
const MS = Date.parse(ISO);

describe('parseTimestamp', () => {
  it.each([
    ['epoch seconds', MS / 1000, MS],
    ['fractional seconds', MS / 1000 + 0.25, MS + 250],
    ['epoch milliseconds', MS, MS],
    ['epoch microseconds', MS * 1000, MS],
    ['epoch nanoseconds', MS * 1e6, MS],
    ['digit string', String(MS), MS],
    ['ISO with zone', ISO, MS],
    ['ISO with offset', '2026-03-01T13:59:00+02:00', MS],
    ['ISO without zone is UTC', '2026-03-01T11:59:00', MS],
  ])('reads %s', (_label, input, expected) => {
    expect(parseTimestamp(input)).toBe(expected);
  });

  it.each(['yesterday', '', '-5', 'NaN', '2026-13-45T00:00:00Z'])('refuses %p', (input) => {
    expect(parseTimestamp(input)).toBeUndefined();
  });
});

describe('normalizeRawEvent', () => {
  it('produces a valid BehavioralEvent with defaults, entropy and a derived id', () => {
    const result = normalizeRawEvent(
      { agentId: 'bot', action: 'search', timestamp: MS / 1000, parameters: { q: 'abcd' } },
      ctx,
    );
    expect(result.ok).toBe(true);
    const event = result.ok ? result.event : undefined;
    expect(BehavioralEventContract.is(event)).toBe(true);
    expect(event).toMatchObject({
      tenantId: 'default',
      timestamp: ISO,
      receivedAt: '2026-03-01T12:00:00.000Z',
      source: { channel: 'http', origin: '127.0.0.1' },
      type: 'custom',
      outcome: 'ok',
      labels: {},
    });
    expect(event?.eventId).toMatch(/^sha256:[a-f0-9]{40}$/);
    expect(event?.parameterEntropy).toBeGreaterThan(2);
  });

  it('derives the same id for the same record whatever its key order, and keeps a given id', () => {
    const a = normalizeRawEvent({ agentId: 'bot', action: 'x', timestamp: MS }, ctx);
    const b = normalizeRawEvent({ timestamp: MS, action: 'x', agentId: 'bot' }, ctx);
    expect(a.ok && b.ok && a.event.eventId === b.event.eventId).toBe(true);
    const given = normalizeRawEvent(
      { eventId: 'mine-1', agentId: 'bot', action: 'x', timestamp: MS },
      ctx,
    );
    expect(given.ok && given.event.eventId).toBe('mine-1');
  });

  it('scopes derived ids by tenant', () => {
    expect(deriveEventId('a', { x: 1 })).not.toBe(deriveEventId('b', { x: 1 }));
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: undefined }] })).toBe('{"a":[{"d":2}],"b":1}');
  });

  it.each([
    ['missing agent', { action: 'x', timestamp: MS }, '/agentId'],
    ['unknown field', { agentId: 'a', action: 'x', timestamp: MS, evil: true }, '/evil'],
    ['bad outcome', { agentId: 'a', action: 'x', timestamp: MS, outcome: 'meh' }, '/outcome'],
    ['far future', { agentId: 'a', action: 'x', timestamp: MS + 3_600_000 }, '/timestamp'],
    ['before 2000', { agentId: 'a', action: 'x', timestamp: 1000 }, '/timestamp'],
    ['unreadable time', { agentId: 'a', action: 'x', timestamp: 'soon' }, '/timestamp'],
    [
      'oversized parameters',
      { agentId: 'a', action: 'x', timestamp: MS, parameters: { blob: 'x'.repeat(20_000) } },
      '/parameters',
    ],
    ['not an object', 'just a string', '/'],
    [
      'prototype pollution key',
      JSON.parse(
        '{"agentId":"a","action":"x","timestamp":1,"__proto__":{"admin":true}}',
      ) as unknown,
      '/',
    ],
  ])('refuses %s and names the field', (_label, raw, path) => {
    const result = normalizeRawEvent(raw, ctx);
    expect(result.ok).toBe(false);
    expect(result.ok ? [] : result.issues.map((i) => i.path)).toContainEqual(
      expect.stringContaining(path),
    );
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });
});

describe('normalizeRawEvent properties', () => {
  it('gives a valid event or named issues for any JSON, never an exception', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (raw) => {
        const result = normalizeRawEvent(raw, ctx);
        if (result.ok) {
          expect(BehavioralEventContract.is(result.event)).toBe(true);
        } else {
          expect(result.issues.length).toBeGreaterThan(0);
          expect(
            result.issues.every((i) => typeof i.path === 'string' && i.message.length > 0),
          ).toBe(true);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('accepts every well-formed record, whatever its timestamp format', () => {
    const record = fc.record(
      {
        agentId: fc
          .string({ minLength: 1, maxLength: 40 })
          .filter((s) => ![...s].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)),
        action: fc.string({ minLength: 1, maxLength: 40 }),
        timestamp: fc.oneof(
          fc.integer({ min: Date.UTC(2001, 0, 1), max: receivedAt.getTime() }),
          fc.integer({ min: Date.UTC(2001, 0, 1) / 1000, max: receivedAt.getTime() / 1000 }),
          fc
            .date({ min: new Date(Date.UTC(2001, 0, 1)), max: receivedAt, noInvalidDate: true })
            .map((d) => d.toISOString()),
        ),
        outcome: fc.constantFrom('ok', 'denied', 'error'),
        parameters: fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 2 }), {
          maxKeys: 5,
        }),
      },
      { requiredKeys: ['agentId', 'action', 'timestamp'] },
    );
    fc.assert(
      fc.property(record, (raw) => {
        const result = normalizeRawEvent(raw, ctx);
        expect(result.ok ? true : result.issues).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});
