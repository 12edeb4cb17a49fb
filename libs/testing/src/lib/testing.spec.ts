import { callSeries, toNdjson } from './factories';
import { infraEnv } from './infra-env';
import { metricValue } from './metrics';
import { eventually } from './wait';
import { scratchNamesToPrune, scratchPrefix, scratchRunId } from './scratch';

describe('eventually', () => {
  it('returns the first defined value', async () => {
    let calls = 0;
    await expect(
      eventually(() => (++calls >= 3 ? calls : undefined), { intervalMs: 1 }),
    ).resolves.toBe(3);
  });

  it('fails with the description and the last error after the timeout', async () => {
    await expect(
      eventually(
        () => {
          throw new Error('still down');
        },
        { timeoutMs: 20, intervalMs: 5, description: 'the thing' },
      ),
    ).rejects.toThrow(/the thing: still down/);
  });
});

describe('callSeries', () => {
  it('spreads each window count inside its window with stable ids', () => {
    const events = callSeries({
      tenantId: 't',
      agentId: 'a',
      startMs: 0,
      windowMs: 1000,
      perWindow: [2, 1],
    });
    expect(events.map((e) => e.timestamp)).toEqual([250, 750, 1500]);
    expect(events.map((e) => e.eventId)).toEqual(['a.w0.c0', 'a.w0.c1', 'a.w1.c0']);
    expect(toNdjson(events).split('\n')).toHaveLength(4);
  });
});

describe('infraEnv', () => {
  it('prefers explicit variables over the infra env file and defaults', () => {
    const env = infraEnv({ WARD_HOME: '/nonexistent', KAFKA_BROKERS: 'k:1' });
    expect(env).toEqual({
      KAFKA_BROKERS: 'k:1',
      DATABASE_URL: 'postgres://ward:ward@127.0.0.1:5432/ward',
      REDIS_URL: 'redis://127.0.0.1:6379',
    });
  });
});

describe('metricValue', () => {
  const text = [
    '# HELP x_total help',
    'x_total{service="s",route="/v1/events",status="2xx"} 7',
    'x_total{route="/healthz",service="s",status="2xx"} 2',
    'x_total_sum 3',
  ].join('\n');

  it('matches labels in any order and ignores other names', () => {
    expect(metricValue(text, 'x_total', { status: '2xx', route: '/v1/events' })).toBe(7);
    expect(metricValue(text, 'x_total', { route: '/healthz' })).toBe(2);
    expect(metricValue(text, 'x_total', { route: '/nope' })).toBeUndefined();
    expect(metricValue(text, 'x_total_sum')).toBe(3);
  });
});

describe('scratch topics', () => {
  const now = Date.UTC(2026, 10, 23, 12);
  const hour = 3_600_000;
  const current = scratchRunId(now - 60_000);
  const old = scratchRunId(now - 4 * hour);
  const recent = scratchRunId(now - hour);

  it('picks the given run and runs older than the age limit, never other names', () => {
    const names = [
      `scratch.${current}.monitor-1.ward.threat-alerts.v1`,
      `scratch.${old}.e2e-2.ward.dlq.v1`,
      `scratch.${recent}.fusion-3.ward.incidents.v1`,
      'ward.behavioral-events.v1',
      'tenant-a.ward.dlq.v1',
      '__consumer_offsets',
      'scratch.not-a-run.ward.dlq.v1',
    ];
    expect(scratchNamesToPrune(names, { now, run: current })).toEqual([names[0], names[1]]);
    expect(scratchNamesToPrune(names, { now })).toEqual([names[1]]);
  });

  it('prefixes topics by run and refuses tags that would change the topic name', () => {
    expect(scratchPrefix('monitor-abc')).toMatch(/^scratch\.r[0-9a-z]+\.monitor-abc\.$/);
    expect(() => scratchPrefix('a.b')).toThrow(/scratch tag/);
  });
});
