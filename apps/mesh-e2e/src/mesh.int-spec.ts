import { agentKey, type DeadLetter, type ThreatAlert, topicRegistry } from '@ward/contracts';
import { createKafka } from '@ward/messaging';
import {
  callSeries,
  eventually,
  freePort,
  infraEnv,
  type ServiceProcess,
  startService,
  TopicRecorder,
  toNdjson,
  uniqueTag,
  scratchPrefix,
} from '@ward/testing';
import { type Kafka, type Producer } from 'kafkajs';
import { Client } from 'pg';

/**
 * The walking skeleton end to end: both services as real processes against the
 * real broker, PostgreSQL and Redis. Telemetry posted over HTTP becomes
 * BehavioralEvents, the monitor profiles them and a burst becomes one alert on
 * the topic, in PostgreSQL and as a cooldown checkpointed with the agent's profile.
 */
const tag = uniqueTag('e2e');
const prefix = scratchPrefix(tag);
const topics = topicRegistry(prefix);
const tenant = tag.replace(/[^A-Za-z0-9]/g, '');
const redisPrefix = `${tag}:`;
const adminToken = uniqueTag('admin');
const WINDOW = 60_000;
// Aligned to a window, two hours back: event time, so the test takes seconds, not minutes.
const START = Math.floor((Date.now() - 2 * 3_600_000) / WINDOW) * WINDOW;

describe('ingest → monitor → alert, end to end', () => {
  const env = infraEnv();
  const common = {
    ...env,
    KAFKA_TOPIC_PREFIX: prefix,
    LOG_LEVEL: 'warn',
    REDIS_KEY_PREFIX: redisPrefix,
  };
  let ingest: ServiceProcess;
  let monitor: ServiceProcess;
  let kafka: Kafka;
  let producer: Producer;
  let recorder: TopicRecorder;
  let pg: Client;
  let apiKey: string;

  beforeAll(async () => {
    [ingest, monitor] = await Promise.all([
      startService(
        'sentinel-ingest',
        { ...common, INGEST_ADMIN_TOKEN: adminToken },
        { port: await freePort() },
      ),
      startService(
        'behavioral-monitor',
        { ...common, MONITOR_CONSUMER_GROUP: `${prefix}monitor` },
        { port: await freePort() },
      ),
    ]);
    kafka = createKafka({
      brokers: env.KAFKA_BROKERS.split(','),
      clientId: 'e2e',
      topicPrefix: prefix,
      ensureTopics: false,
    });
    producer = kafka.producer();
    await producer.connect();
    recorder = await new TopicRecorder(
      kafka,
      [topics.threatAlerts.name, topics.dlq.name],
      `${prefix}recorder`,
    ).start();
    pg = new Client({ connectionString: env.DATABASE_URL });
    await pg.connect();
    const created = await fetch(`${ingest.baseUrl}/v1/api-keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ tenantId: tenant, name: 'e2e' }),
    });
    expect(created.status).toBe(201);
    apiKey = ((await created.json()) as { key: string }).key;
  });

  afterAll(async () => {
    await recorder?.stop();
    await producer?.disconnect();
    await pg?.end();
    const codes = await Promise.all([ingest?.stop(), monitor?.stop()]);
    // A clean SIGTERM drains and exits 0; anything else is a shutdown bug.
    expect(codes).toEqual([0, 0]);
  });

  async function send(records: readonly unknown[]): Promise<void> {
    const res = await fetch(`${ingest.baseUrl}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson', authorization: `Bearer ${apiKey}` },
      body: toNdjson(records),
    });
    expect(res.status).toBe(202);
    const body = (await res.json()) as { accepted: number; rejected: number };
    expect(body).toMatchObject({ accepted: records.length, rejected: 0 });
  }

  const alertsFor = (agentId: string) =>
    recorder
      .on(topics.threatAlerts.name)
      .map((m) => m.value as ThreatAlert)
      .filter((a) => a.agentId === agentId);

  it('turns a burst posted over HTTP into one alert on the topic, in PostgreSQL and in its cooldown', async () => {
    const calm = ['calm-1', 'calm-2', 'calm-3'].flatMap((agentId) =>
      callSeries({
        tenantId: tenant,
        agentId,
        startMs: START,
        windowMs: WINDOW,
        perWindow: [10, 12, 11, 10, 11],
      }),
    );
    const burst = callSeries({
      tenantId: tenant,
      agentId: 'runaway',
      startMs: START,
      windowMs: WINDOW,
      perWindow: [10, 12, 11, 10, 80],
    });
    await send([...calm, ...burst]);

    // The open window escalates as the burst grows: medium, then high, then critical.
    await eventually(() => (alertsFor('runaway').length >= 3 ? true : undefined), {
      description: 'three escalating alerts for the runaway agent',
    });
    const alerts = alertsFor('runaway');
    expect(alerts.map((a) => a.severity)).toEqual(['medium', 'high', 'critical']);
    const message = recorder
      .on(topics.threatAlerts.name)
      .find((m) => (m.value as ThreatAlert).alertId === alerts[0]!.alertId)!;
    const alert = alerts[0]!;
    expect(message.key).toBe(agentKey(tenant, 'runaway'));
    expect(alert).toMatchObject({
      tenantId: tenant,
      detector: 'call_rate_spike',
      window: {
        start: new Date(START + 4 * WINDOW).toISOString(),
        end: new Date(START + 5 * WINDOW).toISOString(),
      },
      evidence: { metric: 'calls', baselineWindows: 4 },
    });
    // Fired mid-window, at the call that crossed the threshold, not when the window closed.
    expect(alert.evidence.value).toBeLessThan(80);
    expect(alert.techniques.map((t) => t.id)).toContain('AML.T0034');

    const rows = await eventually(async () => {
      const r = await pg.query<{ alert_id: string; payload: ThreatAlert }>(
        'SELECT alert_id, payload FROM threat_alerts WHERE tenant_id = $1 ORDER BY observed_at',
        [tenant],
      );
      return r.rows.length === 3 ? r.rows : undefined;
    });
    expect(rows.map((r) => r.alert_id)).toEqual(alerts.map((a) => a.alertId));
    expect(rows[0]!.payload).toEqual(alert);

    // Each severity's cooldown, opened by its alert, checkpointed with the agent's profile.
    const cooldowns = await eventually(async () => {
      const r = await pg.query<{ cooldowns: [string, number, number][] | null }>(
        'SELECT cooldowns FROM agent_profiles WHERE consumer_group = $1 AND tenant_id = $2 AND agent_id = $3',
        [`${prefix}monitor`, tenant, 'runaway'],
      );
      return r.rows[0]?.cooldowns?.length === 3 ? r.rows[0].cooldowns : undefined;
    });
    expect(cooldowns).toEqual(
      ['medium', 'high', 'critical'].map((severity) => {
        const opened = Date.parse(alerts.find((a) => a.severity === severity)!.window.start);
        return [`call_rate_spike:${severity}`, opened, opened + 300_000];
      }),
    );

    for (const agent of ['calm-1', 'calm-2', 'calm-3']) {
      expect(alertsFor(agent)).toHaveLength(0);
    }
  });

  it('dead-letters a malformed message on the events topic and still processes the next good one', async () => {
    const agentId = 'after-poison';
    await producer.send({
      topic: topics.behavioralEvents.name,
      messages: [{ key: agentKey(tenant, agentId), value: '{"this is": "not a BehavioralEvent"' }],
    });
    await send(
      callSeries({
        tenantId: tenant,
        agentId,
        startMs: START,
        windowMs: WINDOW,
        perWindow: [5, 5, 5, 60],
      }),
    );

    const dead = await recorder.waitFor(
      topics.dlq.name,
      (m) => (m.value as DeadLetter).sourceTopic === topics.behavioralEvents.name,
    );
    const letter = dead.value as DeadLetter;
    expect(letter.reason.code).toBe('invalid_json');
    expect(letter.value).toEqual({ encoding: 'utf8', data: '{"this is": "not a BehavioralEvent"' });
    expect(letter.consumerGroup).toBe(`${prefix}monitor`);

    await eventually(() => (alertsFor(agentId).length >= 3 ? true : undefined), {
      description: `the escalating alerts for ${agentId}`,
    });
    expect(alertsFor(agentId).map((a) => `${a.detector}:${a.severity}`)).toEqual([
      'call_rate_spike:medium',
      'call_rate_spike:high',
      'call_rate_spike:critical',
    ]);
  });

  it('gives the same alert ids when the same input is replayed by a fresh consumer group', async () => {
    const before = new Map(
      recorder
        .on(topics.threatAlerts.name)
        .map((m) => [(m.value as ThreatAlert).alertId, m.value as ThreatAlert]),
    );
    expect(before.size).toBe(6);
    const replay = await startService(
      'behavioral-monitor',
      { ...common, MONITOR_CONSUMER_GROUP: `${prefix}replay` },
      { port: await freePort() },
    );
    try {
      await recorder.waitFor(
        topics.threatAlerts.name,
        () => recorder.on(topics.threatAlerts.name).length >= 12,
      );
      const all = recorder.on(topics.threatAlerts.name).map((m) => m.value as ThreatAlert);
      expect(new Set(all.map((a) => a.alertId))).toEqual(new Set(before.keys()));
      for (const alert of all) {
        expect(alert).toEqual(before.get(alert.alertId));
      }
      const rows = await pg.query(
        'SELECT count(*)::int AS n FROM threat_alerts WHERE tenant_id = $1',
        [tenant],
      );
      expect(rows.rows[0]).toEqual({ n: 6 });
    } finally {
      expect(await replay.stop()).toBe(0);
    }
  });
});
