import { DeadLetterContract } from '@ward/contracts';
import { backoffDelay, buildDeadLetter } from './dead-letter';

const now = new Date('2026-01-01T00:00:00.000Z');

describe('buildDeadLetter', () => {
  it('keeps UTF-8 values as text with their coordinates and reason', () => {
    const sut = buildDeadLetter({
      message: {
        key: Buffer.from('t/a'),
        value: Buffer.from('{"bad":'),
        offset: '42',
        timestamp: '1767225600000',
        headers: { h: Buffer.from('v') },
      },
      sourceTopic: 'ward.behavioral-events.v1',
      partition: 3,
      consumerGroup: 'g',
      code: 'invalid_json',
      reason: 'not JSON',
      now,
    });
    expect(DeadLetterContract.is(sut)).toBe(true);
    expect(sut).toMatchObject({
      sourceTopic: 'ward.behavioral-events.v1',
      partition: 3,
      offset: '42',
      reason: { code: 'invalid_json', message: 'not JSON' },
      key: Buffer.from('t/a').toString('base64'),
      value: { encoding: 'utf8', data: '{"bad":' },
      headers: { h: Buffer.from('v').toString('base64') },
      failedAt: '2026-01-01T00:00:00.000Z',
    });
  });

  it('keeps invalid UTF-8 bytes exactly, as base64', () => {
    const bytes = Buffer.from([0xff, 0xfe, 0x00, 0x41]);
    const sut = buildDeadLetter({
      message: { key: null, value: bytes, offset: '0', timestamp: '0' },
      sourceTopic: 's',
      partition: 0,
      consumerGroup: 'g',
      code: 'invalid_json',
      reason: 'r',
      now,
    });
    expect(sut.value).toEqual({ encoding: 'base64', data: bytes.toString('base64') });
    expect(sut.key).toBeNull();
  });

  it('bounds the reason length', () => {
    const sut = buildDeadLetter({
      message: { key: null, value: null, offset: '0', timestamp: '0' },
      sourceTopic: 's',
      partition: 0,
      consumerGroup: 'g',
      code: 'schema_violation',
      reason: 'x'.repeat(10_000),
      now,
    });
    expect(sut.reason.message).toHaveLength(4000);
    expect(sut.value).toBeNull();
  });
});

describe('backoffDelay', () => {
  it('grows exponentially, is capped, and never drops below the base', () => {
    expect(backoffDelay(0, 200, 30_000, () => 0.999)).toBe(200);
    expect(backoffDelay(3, 200, 30_000, () => 0.999)).toBe(1598);
    expect(backoffDelay(30, 200, 30_000, () => 0.999)).toBe(29_970);
    expect(backoffDelay(5, 200, 30_000, () => 0)).toBe(200);
  });
});
