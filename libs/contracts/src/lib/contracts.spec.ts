import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type BehavioralEvent,
  BehavioralEventContract,
  RawTelemetryEventContract,
} from './behavioral-event';
import { formatIssues } from './contract';
import { DeadLetterContract } from './dead-letter';
import { agentKey, parseAgentKey } from './keys';
import { renderSchemaFiles } from './schema-export';
import { ThreatAlertContract } from './threat-alert';
import { allTopics, topicRegistry } from './topics';

const event: BehavioralEvent = {
  schemaVersion: 1,
  eventId: 'evt-1',
  tenantId: 'acme',
  agentId: 'agent/7',
  timestamp: '2026-01-01T00:00:00.000Z',
  receivedAt: '2026-01-01T00:00:01.000Z',
  source: { channel: 'http' },
  type: 'tool_call',
  action: 'search',
  outcome: 'ok',
  parameterEntropy: 0,
  labels: {},
};

describe('BehavioralEvent contract', () => {
  it('accepts a complete event', () => {
    expect(BehavioralEventContract.validate(event)).toEqual({ ok: true, value: event });
  });

  it('names every offending field', () => {
    const result = BehavioralEventContract.validate({
      ...event,
      outcome: 'maybe',
      timestamp: 'yesterday',
      extra: 1,
    });
    expect(result.ok).toBe(false);
    const text = result.ok ? '' : formatIssues(result.issues);
    expect(text).toContain('/outcome');
    expect(text).toContain('/timestamp');
    expect(text).toContain('/extra');
  });

  it('decodes bytes and refuses non-JSON and tombstones with a reason', () => {
    expect(BehavioralEventContract.decode(Buffer.from(JSON.stringify(event))).ok).toBe(true);
    const bad = BehavioralEventContract.decode(Buffer.from('{nope'));
    expect(bad.ok ? '' : bad.issues[0]!.message).toMatch(/^not JSON/);
    const empty = BehavioralEventContract.decode(null);
    expect(empty.ok ? '' : empty.issues[0]!.message).toMatch(/tombstone/);
  });

  it('rejects tenant ids with a slash so message keys stay unambiguous', () => {
    expect(BehavioralEventContract.is({ ...event, tenantId: 'a/b' })).toBe(false);
  });

  it('rejects control characters in ids', () => {
    expect(BehavioralEventContract.is({ ...event, agentId: 'bad\u0000id' })).toBe(false);
  });
});

describe('RawTelemetryEvent contract', () => {
  it('accepts the minimal native shape with epoch or ISO timestamps', () => {
    expect(RawTelemetryEventContract.is({ agentId: 'a', action: 'x', timestamp: 1767225600 })).toBe(
      true,
    );
    expect(
      RawTelemetryEventContract.is({
        agentId: 'a',
        action: 'x',
        timestamp: '2026-01-01T00:00:00Z',
      }),
    ).toBe(true);
    expect(RawTelemetryEventContract.is({ agentId: 'a', timestamp: 1 })).toBe(false);
  });
});

describe('other contracts', () => {
  it('ThreatAlert ids are 32 hex characters', () => {
    const result = ThreatAlertContract.validate({ schemaVersion: 1, alertId: 'x' });
    expect(result.ok).toBe(false);
  });

  it('DeadLetter requires the source coordinates and reason', () => {
    expect(DeadLetterContract.is({ schemaVersion: 1 })).toBe(false);
  });
});

describe('topic registry', () => {
  it('prefixes every topic name and keeps the specs', () => {
    const topics = topicRegistry('t1-');
    expect(topics.behavioralEvents.name).toBe('t1-ward.behavioral-events.v1');
    expect(topics.agentControl.cleanupPolicy).toBe('compact');
    expect(allTopics(topics)).toHaveLength(8);
    expect(topicRegistry().dlq.name).toBe('ward.dlq.v1');
  });

  it('refuses prefixes Kafka would not accept', () => {
    expect(() => topicRegistry('bad prefix')).toThrow(/invalid topic prefix/);
  });
});

describe('message keys', () => {
  it('round-trips tenant/agent even when the agent id has slashes', () => {
    expect(parseAgentKey(agentKey('acme', 'team/bot'))).toEqual({
      tenantId: 'acme',
      agentId: 'team/bot',
    });
    expect(parseAgentKey('no-slash')).toBeUndefined();
  });
});

describe('JSON Schema export', () => {
  it('is up to date in docs/schemas (run `npm run schemas` after changing a contract)', () => {
    for (const file of renderSchemaFiles()) {
      const path = join(__dirname, '../../../../docs/schemas', file.fileName);
      expect(readFileSync(path, 'utf8')).toBe(file.content);
    }
  });
});
