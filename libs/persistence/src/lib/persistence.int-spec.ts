import { type ThreatAlert } from '@ward/contracts';
import { infraEnv, uniqueTag } from '@ward/testing';
import Redis from 'ioredis';
import { createHash } from 'node:crypto';
import { type DataSource } from 'typeorm';
import { createDataSource } from './data-source';
import { CooldownStore } from './redis/cooldown.store';
import { ThreatAlertRepository } from './threat-alert.repository';

const tenant = uniqueTag('tenant');
// Alert ids are global primary keys; derive this file's from its tenant so reruns never collide.
const id = (label: string) =>
  createHash('sha256').update(`${tenant}/${label}`).digest('hex').slice(0, 32);

function alert(alertId: string, agentId = 'bot'): ThreatAlert {
  return {
    schemaVersion: 1,
    alertId,
    tenantId: tenant,
    agentId,
    detector: 'call_rate_spike',
    severity: 'high',
    score: 0.8,
    riskScore: 80,
    summary: 's',
    window: { start: '2026-01-01T00:00:00.000Z', end: '2026-01-01T00:01:00.000Z' },
    observedAt: '2026-01-01T00:00:30.000Z',
    evidence: {
      metric: 'call_count',
      value: 40,
      baselineMean: 10,
      baselineStddev: 3,
      baselineWindows: 3,
      zScore: 10,
      threshold: 4,
      sampleEventIds: ['e1'],
    },
    techniques: [{ framework: 'ATLAS', id: 'AML.T0034', name: 'Cost Harvesting' }],
  };
}

describe('ThreatAlertRepository against PostgreSQL', () => {
  let dataSource: DataSource;
  let sut: ThreatAlertRepository;

  beforeAll(async () => {
    dataSource = await createDataSource({ url: infraEnv().DATABASE_URL }).initialize();
    sut = new ThreatAlertRepository(dataSource);
  });

  afterAll(async () => {
    await dataSource?.destroy();
  });

  it('stores an alert once however often it is saved, and reads it back intact', async () => {
    const a = alert(id('a'));
    expect(await sut.saveNew([a])).toEqual([a.alertId]);
    expect(await sut.saveNew([a, alert(id('b'))])).toEqual([id('b')]);
    expect(await sut.findById(tenant, a.alertId)).toEqual(a);
    expect(await sut.listForTenant(tenant)).toHaveLength(2);
  });

  it('never returns another tenant’s alert', async () => {
    expect(await sut.findById(`${tenant}-other`, id('a'))).toBeNull();
  });

  it('enforces value ranges in the schema itself', async () => {
    await expect(sut.saveNew([{ ...alert(id('c')), riskScore: 1000 }])).rejects.toThrow();
  });
});

describe('CooldownStore against Redis', () => {
  let redis: Redis;
  let sut: CooldownStore;
  const base = {
    tenantId: tenant,
    agentId: 'bot',
    detector: 'call_rate_spike',
    cooldownMs: 300_000,
    retainMs: 600_000,
  };
  const T = Date.UTC(2026, 0, 1);

  beforeAll(() => {
    redis = new Redis(infraEnv().REDIS_URL, { keyPrefix: `${uniqueTag('test')}:` });
    sut = new CooldownStore(redis);
  });

  afterAll(async () => {
    await redis?.quit();
  });

  it('lets the first alert through and suppresses a different one inside the event-time span', async () => {
    expect(await sut.claim({ ...base, alertId: 'first', eventTimeMs: T })).toBe(true);
    expect(await sut.claim({ ...base, alertId: 'second', eventTimeMs: T + 60_000 })).toBe(false);
    expect(await sut.current(tenant, 'bot', 'call_rate_spike')).toEqual({
      alertId: 'first',
      untilMs: T + 300_000,
    });
  });

  it('lets the same alert through again (a replay) and older history too', async () => {
    expect(await sut.claim({ ...base, alertId: 'first', eventTimeMs: T })).toBe(true);
    expect(await sut.claim({ ...base, alertId: 'older', eventTimeMs: T - 600_000 })).toBe(true);
  });

  it('opens a new cooldown once the span has passed in event time', async () => {
    expect(await sut.claim({ ...base, alertId: 'third', eventTimeMs: T + 300_000 })).toBe(true);
    expect(await sut.current(tenant, 'bot', 'call_rate_spike')).toMatchObject({ alertId: 'third' });
  });

  it('sets a wall-clock expiry on the key', async () => {
    const ttl = await redis.pttl(CooldownStore.key(tenant, 'bot', 'call_rate_spike'));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(600_000);
  });
});
