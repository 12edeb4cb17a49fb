import { type NestFastifyApplication } from '@nestjs/platform-fastify';
import { agentKey, type BehavioralEvent, type ThreatAlert, topicRegistry } from '@ward/contracts';
import { createKafka } from '@ward/messaging';
import { eventually, infraEnv, TopicRecorder, uniqueTag } from '@ward/testing';
import { type Producer } from 'kafkajs';
import { Client } from 'pg';
import { createMonitorApp } from '../app';
import { loadMonitorConfig } from '../config/monitor.config';

const tag = uniqueTag('monitor');
const prefix = `${tag}.`;
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

  beforeAll(async () => {
    const config = loadMonitorConfig({
      ...env,
      KAFKA_TOPIC_PREFIX: prefix,
      MONITOR_CONSUMER_GROUP: `${prefix}monitor`,
      REDIS_KEY_PREFIX: `${tag}:`,
      LOG_LEVEL: 'error',
    });
    app = await createMonitorApp(config);
    await app.listen(0, '127.0.0.1');
    base = await app.getUrl();
    await eventually(
      async () => ((await fetch(`${base}/readyz`)).status === 200 ? true : undefined),
      {
        description: 'the monitor to be ready',
      },
    );
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
      [topics.threatAlerts.name],
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
      'kafka-consumer',
      'kafka-producer',
      'postgres',
      'redis',
    ]);
  });

  it('alerts once per burst and keeps a second burst inside the cooldown quiet', async () => {
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
      return /ward_alerts_suppressed_total\{detector="call_rate_spike",service="behavioral-monitor"\} 1/.test(
        text,
      )
        ? text
        : undefined;
    });
    expect(metrics).toMatch(
      /ward_alerts_emitted_total\{detector="call_rate_spike",severity="[a-z]+",service="behavioral-monitor"\} 1/,
    );
    expect(metrics).toMatch(
      /ward_monitor_event_to_alert_seconds_count\{service="behavioral-monitor"\} 1/,
    );
    expect(metrics).toMatch(/ward_monitor_tracked_agents\{service="behavioral-monitor"\} 2/);
    expect(metrics).not.toMatch(/agent_?id=/i);

    const alerts = recorder.on(topics.threatAlerts.name).map((m) => m.value as ThreatAlert);
    expect(alerts.map((a) => a.agentId)).toEqual(['double-burst']);
    const rows = await pg.query<{ alert_id: string }>(
      'SELECT alert_id FROM threat_alerts WHERE tenant_id = $1',
      [tenant],
    );
    expect(rows.rows.map((r) => r.alert_id)).toEqual([alert.alertId]);
  });
});
