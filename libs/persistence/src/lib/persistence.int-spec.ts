import { type ThreatAlert } from '@ward/contracts';
import { infraEnv, uniqueTag } from '@ward/testing';
import { createHash } from 'node:crypto';
import { type DataSource } from 'typeorm';
import { createDataSource } from './data-source';
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
