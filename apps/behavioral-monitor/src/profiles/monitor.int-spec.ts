import { type NestFastifyApplication } from '@nestjs/platform-fastify';
import {
  type AgentControl,
  agentKey,
  type BehavioralEvent,
  type ThreatAlert,
  topicRegistry,
} from '@ward/contracts';
import { createKafka } from '@ward/messaging';
import { eventually, infraEnv, TopicRecorder, uniqueTag, scratchPrefix } from '@ward/testing';
import Redis from 'ioredis';
import { type Admin, type Producer } from 'kafkajs';
import { Client } from 'pg';
import { createMonitorApp } from '../app';
import { loadMonitorConfig, type MonitorConfig } from '../config/monitor.config';

const tag = uniqueTag('monitor');
const prefix = scratchPrefix(tag);
const topics = topicRegistry(prefix);
const tenant = tag.replace(/[^A-Za-z0-9]/g, '');
const WINDOW = 60_000;
const START = Date.UTC(2026, 0, 1, 8, 0);

function events(agentId: string, perWindow: number[]): BehavioralEvent[] {
  return perWindow.flatMap((count, w) =>
    Array.from({ length: count }, (_, i) => ({
      schemaVersion: 1 as const,
      eventId: `${agentId}-${w}-${i}`,
      tenantId: tenant,
      agentId,
      timestamp: new Date(
        START + w * WINDOW + Math.floor(((i + 0.5) * WINDOW) / count),
      ).toISOString(),
      receivedAt: new Date(START).toISOString(),
      source: { channel: 'kafka' as const },
      type: 'tool_call' as const,
      action: 'search',
      outcome: 'ok' as const,
      parameterEntropy: 0,
      labels: {},
    })),
  );
}

describe('behavioral-monitor against the real broker, PostgreSQL and Redis', () => {
  const env = infraEnv();
  let app: NestFastifyApplication;
  let base: string;
  let producer: Producer;
  let recorder: TopicRecorder;
  let pg: Client;
  let config: MonitorConfig;

  async function startApp(): Promise<void> {
    app = await createMonitorApp(config);
    await app.listen(0, '127.0.0.1');
    base = await app.getUrl();
    await eventually(
      async () => ((await fetch(`${base}/readyz`)).status === 200 ? true : undefined),
      {
        description: 'the monitor to be ready',
      },
    );
  }

  beforeAll(async () => {
    config = loadMonitorConfig({
      ...env,
      KAFKA_TOPIC_PREFIX: prefix,
      MONITOR_CONSUMER_GROUP: `${prefix}monitor`,
      REDIS_KEY_PREFIX: `${tag}:`,
      MONITOR_ADMIN_TOKEN: 'test-admin-token',
      LOG_LEVEL: 'error',
    });
    await startApp();
    const kafka = createKafka({
      brokers: env.KAFKA_BROKERS.split(','),
      clientId: 'test',
      topicPrefix: prefix,
      ensureTopics: false,
    });
    producer = kafka.producer();
    await producer.connect();
    recorder = await new TopicRecorder(
      kafka,
      [topics.threatAlerts.name, topics.agentControl.name],
      `${prefix}recorder`,
    ).start();
    pg = new Client({ connectionString: env.DATABASE_URL });
    await pg.connect();
  });

  afterAll(async () => {
    await recorder?.stop();
    await producer?.disconnect();
    await pg?.end();
    await app?.close();
  });

  async function publish(batch: BehavioralEvent[], chunk: number): Promise<void> {
    for (let i = 0; i < batch.length; i += chunk) {
      await producer.send({
        topic: topics.behavioralEvents.name,
        messages: batch
          .slice(i, i + chunk)
          .map((e) => ({ key: agentKey(e.tenantId, e.agentId), value: JSON.stringify(e) })),
      });
    }
  }

  it('reports every dependency in /readyz', async () => {
    const report = (await (await fetch(`${base}/readyz`)).json()) as {
      ready: boolean;
      checks: Record<string, { ok: boolean }>;
    };
    expect(report.ready).toBe(true);
    expect(Object.keys(report.checks).sort()).toEqual([
      'kafka',
      'kafka-consumer',
      'kafka-producer',
      'postgres',
      'redis',
    ]);
  });

  it('alerts once per burst and severity, and keeps a second burst inside the cooldown quiet', async () => {
    // Sent in uneven chunks so batches straddle windows.
    await publish(events('double-burst', [8, 9, 8, 60, 70]), 7);
    await publish(events('steady', [8, 9, 8, 9, 8]), 13);

    const first = await recorder.waitFor(
      topics.threatAlerts.name,
      (m) => (m.value as ThreatAlert).agentId === 'double-burst',
    );
    const alert = first.value as ThreatAlert;
    expect(alert.window.start).toBe(new Date(START + 3 * WINDOW).toISOString());

    const metrics = await eventually(async () => {
      const text = await (await fetch(`${base}/metrics`)).text();
      // Both agents may sit on different partitions: wait until each is profiled.
      return /ward_alerts_suppressed_total\{detector="call_rate_spike",service="behavioral-monitor"\} 3/.test(
        text,
      ) && /ward_monitor_tracked_agents\{service="behavioral-monitor"\} 2/.test(text)
        ? text
        : undefined;
    });
    for (const severity of ['medium', 'high', 'critical']) {
      expect(metrics).toMatch(
        new RegExp(
          `ward_alerts_emitted_total\\{detector="call_rate_spike",severity="${severity}",service="behavioral-monitor"\\} 1`,
        ),
      );
    }
    expect(metrics).toMatch(
      /ward_monitor_event_to_alert_seconds_count\{service="behavioral-monitor"\} 3/,
    );
    expect(metrics).toMatch(
      /ward_monitor_windows_closed_total\{service="behavioral-monitor"\} [1-9]/,
    );
    // Profiles are checkpointed on an interval (MONITOR_CHECKPOINT_INTERVAL_MS), not per batch.
    const checkpointed = await eventually(async () => {
      const text = await (await fetch(`${base}/metrics`)).text();
      return /ward_monitor_checkpoint_seconds_count\{service="behavioral-monitor"\} [1-9]/.test(
        text,
      )
        ? text
        : undefined;
    });
    expect(checkpointed).toMatch(
      /ward_monitor_checkpoint_failures_total\{service="behavioral-monitor"\} 0/,
    );
    expect(metrics).toMatch(/ward_monitor_tracked_agents\{service="behavioral-monitor"\} 2/);
    expect(metrics).not.toMatch(/agent_?id=/i);

    const alerts = recorder.on(topics.threatAlerts.name).map((m) => m.value as ThreatAlert);
    expect(alerts.map((a) => a.agentId)).toEqual(['double-burst', 'double-burst', 'double-burst']);
    expect(alerts.map((a) => a.severity)).toEqual(['medium', 'high', 'critical']);
    const rows = await pg.query<{ alert_id: string }>(
      'SELECT alert_id FROM threat_alerts WHERE tenant_id = $1 ORDER BY observed_at',
      [tenant],
    );
    expect(rows.rows.map((r) => r.alert_id)).toEqual(alerts.map((a) => a.alertId));
  });

  const auth = { authorization: 'Bearer test-admin-token', 'content-type': 'application/json' };

  it('serves profiles, tiers and baselines, sorted by risk', async () => {
    const agent = await eventually(async () => {
      const res = await fetch(`${base}/v1/tenants/${tenant}/agents/double-burst`, {
        headers: auth,
      });
      return res.status === 200 ? ((await res.json()) as Record<string, unknown>) : undefined;
    });
    expect(agent).toEqual(
      expect.objectContaining({
        agentId: 'double-burst',
        tier: 4,
        behaviorTier: 4,
        configuredTier: null,
      }),
    );
    expect(
      (agent['baselines'] as Record<string, { windows: number }>)['calls']!.windows,
    ).toBeGreaterThan(2);
    expect((agent['tierHistory'] as unknown[]).length).toBeGreaterThan(0);
    const list = (await (
      await fetch(`${base}/v1/tenants/${tenant}/agents?tier=4`, { headers: auth })
    ).json()) as { agentId: string }[];
    expect(list.map((a) => a.agentId)).toEqual(['double-burst']);
    expect((await fetch(`${base}/v1/tenants/${tenant}/agents`)).status).toBe(401);
    expect(
      (await fetch(`${base}/v1/tenants/${tenant}/agents?tier=9`, { headers: auth })).status,
    ).toBe(400);
    expect(
      (await fetch(`${base}/v1/tenants/${tenant}/agents/nobody`, { headers: auth })).status,
    ).toBe(404);
  });

  it('lets an operator set a tier with a reason, published to agent-control', async () => {
    const res = await fetch(`${base}/v1/tenants/${tenant}/agents/steady/tier`, {
      method: 'PUT',
      headers: auth,
      body: JSON.stringify({ tier: 3, reason: 'investigating INC-7', actor: 'alice' }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(
      expect.objectContaining({ tier: 3, configuredTier: 3, source: 'operator', actor: 'alice' }),
    );
    const agent = (await (
      await fetch(`${base}/v1/tenants/${tenant}/agents/steady`, { headers: auth })
    ).json()) as { tier: number; configuredReason: string; tierHistory: { source: string }[] };
    expect(agent.tier).toBe(3);
    expect(agent.configuredReason).toBe('investigating INC-7');
    expect(agent.tierHistory[0]!.source).toBe('operator');
    const bad = await fetch(`${base}/v1/tenants/${tenant}/agents/steady/tier`, {
      method: 'PUT',
      headers: auth,
      body: JSON.stringify({ tier: 7, reason: 'x', actor: 'alice' }),
    });
    expect(bad.status).toBe(400);
    const reset = await fetch(`${base}/v1/tenants/${tenant}/agents/steady/reset-baseline`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ reason: 'new version', actor: 'alice' }),
    });
    expect(reset.status).toBe(202);
    await eventually(async () => {
      const { rows } = await pg.query<{ state: string }>(
        `SELECT state FROM agent_profiles WHERE tenant_id = $1 AND agent_id = 'steady'`,
        [tenant],
      );
      return rows[0] && (JSON.parse(rows[0].state) as { rs: number }).rs > 0 ? true : undefined;
    });
  });

  it('keeps a quarantine set by a response playbook as a configured tier, once', async () => {
    const control: AgentControl = {
      schemaVersion: 1,
      tenantId: tenant,
      agentId: 'contained',
      tier: 4,
      behaviorTier: 4,
      configuredTier: 4,
      quarantined: true,
      source: 'response-engine',
      actor: 'playbook run 0123',
      reason: 'Runaway agent (incident 42)',
      changedAt: new Date(START).toISOString(),
    };
    const rateOnly: AgentControl = {
      ...control,
      agentId: 'throttled',
      tier: 2,
      behaviorTier: 2,
      configuredTier: 2,
      quarantined: false,
      rateLimitPerMinute: 30,
    };
    // The record twice (a replay) and a rate limit alone.
    for (const value of [control, control, rateOnly]) {
      await producer.send({
        topic: topics.agentControl.name,
        messages: [{ key: agentKey(tenant, value.agentId), value: JSON.stringify(value) }],
      });
    }
    // The monitor answers with the agent's whole control state, configured tier 4.
    const kept = await recorder.waitFor(
      topics.agentControl.name,
      (m) => {
        const v = m.value as AgentControl;
        return v.agentId === 'contained' && v.previousTier !== undefined;
      },
      60_000,
    );
    expect(kept.value).toMatchObject({
      tier: 4,
      configuredTier: 4,
      behaviorTier: 1,
      quarantined: true,
      previousTier: 1,
      source: 'response-engine',
      actor: 'playbook run 0123',
    });
    const agent = (await (
      await fetch(`${base}/v1/tenants/${tenant}/agents/contained`, { headers: auth })
    ).json()) as { tier: number; tierHistory: { source: string; toTier: number }[] };
    expect(agent.tier).toBe(4);
    expect(agent.tierHistory).toEqual([
      expect.objectContaining({ source: 'response-engine', toTier: 4 }),
    ]);
    // The rate limit alone is left to its own record: no configured tier.
    const { rows } = await pg.query<{ agent_id: string; n: number }>(
      `SELECT agent_id, count(*)::int AS n FROM agent_operator_actions
        WHERE tenant_id = $1 AND agent_id IN ('contained', 'throttled') GROUP BY agent_id`,
      [tenant],
    );
    expect(rows).toEqual([{ agent_id: 'contained', n: 1 }]);
  });

  it('validates and persists per-tenant detector settings, naming a bad one', async () => {
    const bad = await fetch(`${base}/v1/tenants/${tenant}/detector-settings`, {
      method: 'PUT',
      headers: auth,
      body: JSON.stringify({ overrides: { weights: { calls: 2 } }, reason: 'x', actor: 'alice' }),
    });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toMatch(/weights\.calls must be in \[0, 1\]/);
    const ok = await fetch(`${base}/v1/tenants/${tenant}/detector-settings`, {
      method: 'PUT',
      headers: auth,
      body: JSON.stringify({ overrides: { sigma: 6 }, reason: 'noisy fleet', actor: 'alice' }),
    });
    expect(ok.status).toBe(200);
    const got = (await (
      await fetch(`${base}/v1/tenants/${tenant}/detector-settings`, { headers: auth })
    ).json()) as { effective: { sigma: number }; overrides: unknown; reason: string };
    expect(got.effective.sigma).toBe(6);
    expect(got.overrides).toEqual({ sigma: 6 });
    expect(got.reason).toBe('noisy fleet');
  });

  it('alerts on telemetry carrying NUL characters: stored and published with U+FFFD, the partition going on', async () => {
    // A hostile agent's tool, resource and indicator with NUL, which PostgreSQL cannot store:
    // an alert carrying them as they are would fail its insert, and every retry after it.
    const nulTenant = `${tenant}-nul`;
    await publish(
      events('nul-burst', [8, 9, 8, 60]).map((e) => ({
        ...e,
        tenantId: nulTenant,
        action: 'search\u0000exec',
        resource: 'db://orders\u0000/1',
        iocs: { domains: ['evil\u0000.example'] },
      })),
      50,
    );
    const first = await recorder.waitFor(
      topics.threatAlerts.name,
      (m) => (m.value as ThreatAlert).tenantId === nulTenant,
    );
    const alert = first.value as ThreatAlert;
    expect(alert.tools).toEqual(['search\ufffdexec']);
    expect(alert.resources).toEqual(['db://orders\ufffd/1']);
    expect(alert.iocs).toEqual({ domains: ['evil\ufffd.example'] });
    const { rows } = await pg.query<{ alert_id: string }>(
      'SELECT alert_id FROM threat_alerts WHERE tenant_id = $1',
      [nulTenant],
    );
    expect(rows.map((r) => r.alert_id)).toContain(alert.alertId);
    // The batches after it are profiled too: the escalation to critical follows.
    const critical = await recorder.waitFor(
      topics.threatAlerts.name,
      (m) =>
        (m.value as ThreatAlert).tenantId === nulTenant &&
        (m.value as ThreatAlert).severity === 'critical',
    );
    expect((critical.value as ThreatAlert).agentId).toBe('nul-burst');
  });

  it('keeps a cooldown across a restart that finds Redis empty: it is checkpointed with the profile (an unreadable one is dropped)', async () => {
    const agentId = 'restart-burst';
    const all = events(agentId, [8, 9, 8, 60, 70]);
    const secondBurstAt = START + 4 * WINDOW;
    await publish(
      all.filter((e) => Date.parse(e.timestamp) < secondBurstAt),
      50,
    );
    const opened = await eventually(async () => {
      const { rows } = await pg.query<{ cooldowns: [string, number, number][] | null }>(
        'SELECT cooldowns FROM agent_profiles WHERE consumer_group = $1 AND tenant_id = $2 AND agent_id = $3',
        [config.consumerGroup, tenant, agentId],
      );
      return rows[0]?.cooldowns?.length === 3 ? rows[0].cooldowns : undefined;
    });
    expect(opened.map(([key]) => key)).toEqual([
      'call_rate_spike:medium',
      'call_rate_spike:high',
      'call_rate_spike:critical',
    ]);
    const alertsOf = () =>
      recorder
        .on(topics.threatAlerts.name)
        .map((m) => m.value as ThreatAlert)
        .filter((a) => a.agentId === agentId);
    await eventually(() => (alertsOf().length === 3 ? true : undefined), {
      description: 'the first burst to alert once per severity',
    });

    // A restart, and Redis restarted without persistence: all the monitor kept there is gone.
    await app.close();
    const redis = new Redis(env.REDIS_URL);
    try {
      const keys = await redis.keys(`${tag}:*`);
      if (keys.length > 0) {
        await redis.del(...keys);
      }
      expect(await redis.keys(`${tag}:*`)).toEqual([]);
    } finally {
      redis.disconnect();
    }
    // And another agent's checkpointed cooldowns are unreadable (written by hand).
    const corrupted = await pg.query(
      `UPDATE agent_profiles SET cooldowns = '[["call_rate_spike:medium", "soon", 0]]'
        WHERE consumer_group = $1 AND tenant_id = $2 AND agent_id = 'steady'`,
      [config.consumerGroup, tenant],
    );
    expect(corrupted.rowCount).toBe(1);
    await startApp();

    // The second burst, inside the cooldowns the first one opened, and more
    // of that other agent; then waits until the monitor has checkpointed
    // everything on the topic.
    await publish(
      all.filter((e) => Date.parse(e.timestamp) >= secondBurstAt),
      50,
    );
    await publish(events('steady', [0, 0, 0, 0, 0, 8]), 8);
    const kafka = createKafka({
      brokers: env.KAFKA_BROKERS.split(','),
      clientId: 'test',
      topicPrefix: prefix,
      ensureTopics: false,
    });
    const admin: Admin = kafka.admin();
    await admin.connect();
    try {
      const ends = await admin.fetchTopicOffsets(topics.behavioralEvents.name);
      const want = ends.reduce((n, p) => n + Number(p.high), 0);
      await eventually(
        async () => {
          const { rows } = await pg.query<{ n: string }>(
            'SELECT coalesce(sum(next_offset), 0) AS n FROM monitor_offsets WHERE consumer_group = $1',
            [config.consumerGroup],
          );
          return Number(rows[0]!.n) === want ? true : undefined;
        },
        { description: `the monitor to checkpoint all ${want} events` },
      );
      const alertEnds = await admin.fetchTopicOffsets(topics.threatAlerts.name);
      const total = alertEnds.reduce((n, p) => n + Number(p.high), 0);
      await eventually(
        () => (recorder.on(topics.threatAlerts.name).length >= total ? true : undefined),
        { description: `the recorder to read all ${total} alerts` },
      );
    } finally {
      await admin.disconnect();
    }
    // The first burst's three alerts (a re-publication carries the same id), nothing more.
    const distinct = new Map(alertsOf().map((a) => [a.alertId, a.severity]));
    expect([...distinct.values()]).toEqual(['medium', 'high', 'critical']);
    // The unreadable cooldowns were dropped, not a stalled partition: that
    // agent's new events were profiled and checkpointed.
    const { rows } = await pg.query<{ cooldowns: unknown; last_event_at: Date }>(
      `SELECT cooldowns, last_event_at FROM agent_profiles
        WHERE consumer_group = $1 AND tenant_id = $2 AND agent_id = 'steady'`,
      [config.consumerGroup, tenant],
    );
    expect(rows[0]!.cooldowns).toBeNull();
    expect(rows[0]!.last_event_at.getTime()).toBeGreaterThanOrEqual(START + 5 * WINDOW);
  });
});
