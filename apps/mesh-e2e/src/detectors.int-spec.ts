import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type AgentControl, type Incident, type ThreatAlert, topicRegistry } from '@ward/contracts';
import { createKafka } from '@ward/messaging';
import {
  eventually,
  freePort,
  infraEnv,
  type ServiceProcess,
  startService,
  TopicRecorder,
  uniqueTag,
  scratchPrefix,
} from '@ward/testing';
import { type Kafka } from 'kafkajs';
import { Client } from 'pg';

/**
 * Every detector's demo scenario (`deploy/demo/detectors/<name>.jsonl`) posted
 * over HTTP to a real sentinel-ingest, profiled by a real behavioral-monitor
 * and correlated by a real fusion, must produce exactly the alerts, tier
 * changes and incident its hand-written `<name>.expected.json` lists: nothing
 * missing, nothing extra.
 */
const DIR = join(__dirname, '../../../deploy/demo/detectors');
const tag = uniqueTag('detectors');
const prefix = scratchPrefix(tag);
const topics = topicRegistry(prefix);
const tenant = tag.replace(/[^A-Za-z0-9]/g, '');
const adminToken = uniqueTag('admin');
const group = `${prefix}monitor`;

interface Expectation {
  readonly agents: Record<
    string,
    {
      alerts: string[];
      tiers: number[];
      incident: { severity: string; playbooks: string[] } | null;
    }
  >;
}

const scenarios = readdirSync(DIR)
  .filter((f) => f.endsWith('.jsonl'))
  .map((f) => f.replace(/\.jsonl$/, ''))
  .sort();

describe('every detector scenario through ingest and the monitor', () => {
  const env = infraEnv();
  let ingest: ServiceProcess;
  let monitor: ServiceProcess;
  let fusion: ServiceProcess;
  let respond: ServiceProcess;
  let kafka: Kafka;
  let recorder: TopicRecorder;
  let pg: Client;

  beforeAll(async () => {
    const common = {
      ...env,
      KAFKA_TOPIC_PREFIX: prefix,
      LOG_LEVEL: 'warn',
      REDIS_KEY_PREFIX: `${tag}:`,
    };
    [ingest, monitor, fusion, respond] = await Promise.all([
      startService(
        'sentinel-ingest',
        { ...common, INGEST_ADMIN_TOKEN: adminToken },
        { port: await freePort() },
      ),
      startService(
        'behavioral-monitor',
        { ...common, MONITOR_CONSUMER_GROUP: group },
        { port: await freePort() },
      ),
      startService(
        'fusion',
        { ...common, FUSION_CONSUMER_GROUP: `${prefix}fusion`, FUSION_ADMIN_TOKEN: adminToken },
        { port: await freePort() },
      ),
      // The shipped playbooks of deploy/playbooks, no destinations configured:
      // notifications fail (and continue), the risky steps wait for a person.
      startService(
        'response-engine',
        {
          ...common,
          RESPONSE_CONSUMER_GROUP: `${prefix}respond`,
          RESPONSE_ADMIN_TOKEN: adminToken,
        },
        { port: await freePort() },
      ),
    ]);
    kafka = createKafka({
      brokers: env.KAFKA_BROKERS.split(','),
      clientId: 'detectors-e2e',
      topicPrefix: prefix,
      ensureTopics: false,
    });
    recorder = await new TopicRecorder(
      kafka,
      [topics.threatAlerts.name, topics.agentControl.name, topics.incidents.name],
      `${prefix}recorder`,
    ).start();
    pg = new Client({ connectionString: env.DATABASE_URL });
    await pg.connect();

    const created = await fetch(`${ingest.baseUrl}/v1/api-keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ tenantId: tenant, name: 'detector-scenarios' }),
    });
    expect(created.status).toBe(201);
    const { key } = (await created.json()) as { key: string };

    for (const name of scenarios) {
      const body = readFileSync(join(DIR, `${name}.jsonl`), 'utf8');
      const res = await fetch(`${ingest.baseUrl}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-ndjson', authorization: `Bearer ${key}` },
        body,
      });
      const answer = (await res.json()) as { accepted: number; rejected: number };
      expect({ name, status: res.status, rejected: answer.rejected }).toEqual({
        name,
        status: 202,
        rejected: 0,
      });
    }
    await drained();
  });

  afterAll(async () => {
    await recorder?.stop();
    await pg?.end();
    await Promise.all([ingest?.stop(), monitor?.stop(), fusion?.stop(), respond?.stop()]);
  });

  async function highWatermark(topic: string): Promise<number> {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const offsets = await admin.fetchTopicOffsets(topic);
      return offsets.reduce((n, p) => n + Number(p.high), 0);
    } finally {
      await admin.disconnect();
    }
  }

  /**
   * Waits until the monitor has checkpointed every event (alerts and tier
   * changes are published before the checkpoint), then until the recorder has
   * read everything on the alert and agent-control topics.
   */
  async function drained(): Promise<void> {
    const events = await highWatermark(topics.behavioralEvents.name);
    await eventually(
      async () => {
        const { rows } = await pg.query<{ n: string }>(
          'SELECT coalesce(sum(next_offset), 0) AS n FROM monitor_offsets WHERE consumer_group = $1',
          [group],
        );
        return Number(rows[0]!.n) === events ? true : undefined;
      },
      { timeoutMs: 90_000, description: `the monitor to checkpoint all ${events} events` },
    );
    for (const topic of [topics.threatAlerts.name, topics.agentControl.name]) {
      const total = await highWatermark(topic);
      // At least: playbooks may add agent-control records meanwhile.
      await eventually(() => (recorder.on(topic).length >= total ? true : undefined), {
        description: `the recorder to read all ${total} records of ${topic}`,
      });
    }
  }

  const alertsOf = (agentId: string) =>
    recorder
      .on(topics.threatAlerts.name)
      .map((m) => m.value as ThreatAlert)
      .filter((a) => a.tenantId === tenant && a.agentId === agentId);

  const tiersOf = (agentId: string) =>
    recorder
      .on(topics.agentControl.name)
      .map((m) => m.value as AgentControl)
      // The monitor's own changes; a playbook's tier is a configured tier on top.
      .filter((c) => c.tenantId === tenant && c.agentId === agentId && c.source === 'monitor')
      .map((c) => c.behaviorTier);

  it.each(scenarios)('%s: exactly the expected alerts and tier changes', (name) => {
    const expected = JSON.parse(
      readFileSync(join(DIR, `${name}.expected.json`), 'utf8'),
    ) as Expectation;
    for (const [agentId, want] of Object.entries(expected.agents)) {
      const alerts = alertsOf(agentId);
      expect({
        agentId,
        alerts: alerts.map((a) => `${a.detector}:${a.severity}`).sort(),
        tiers: tiersOf(agentId),
      }).toEqual({ agentId, alerts: [...want.alerts].sort(), tiers: want.tiers });
      for (const a of alerts) {
        expect(a.techniques.length).toBeGreaterThan(0);
        expect(a.evidence.sampleEventIds.length).toBeGreaterThan(0);
      }
    }
  });

  it('carries the tool and resource of the event that completed the evidence', () => {
    const spike = alertsOf('exfil').find((a) => a.detector === 'bytes_out_spike');
    expect(spike?.tools).toEqual(['query']);
    expect(spike?.resources?.[0]).toMatch(/^file:\/\/\/home\/finance\/q\d+\.xlsx$/);
  });

  /** The latest version of each incident on the topic, merged ones left out. */
  function incidents(): Incident[] {
    const latest = new Map<string, Incident>();
    for (const m of recorder.on(topics.incidents.name)) {
      const i = m.value as Incident;
      if (i.tenantId === tenant && (latest.get(i.incidentId)?.version ?? 0) < i.version) {
        latest.set(i.incidentId, i);
      }
    }
    return [...latest.values()].filter((i) => i.status !== 'merged');
  }

  it.each(scenarios)('%s: exactly the expected incident, shown by the API', async (name) => {
    const expected = JSON.parse(
      readFileSync(join(DIR, `${name}.expected.json`), 'utf8'),
    ) as Expectation;
    for (const [agentId, want] of Object.entries(expected.agents)) {
      const alertIds = alertsOf(agentId).map((a) => a.alertId);
      if (want.incident === null) {
        expect(incidents().filter((i) => i.agents.includes(agentId))).toEqual([]);
        continue;
      }
      const mine = await eventually(
        () => {
          const found = incidents().filter((i) => i.agents.includes(agentId));
          const held = new Set(found.flatMap((i) => i.alertIds));
          return alertIds.every((id) => held.has(id)) ? found : undefined;
        },
        { timeoutMs: 60_000, description: `fusion to fold every alert of ${agentId}` },
      );
      expect(mine.map((i) => ({ agents: i.agents, severity: i.severity }))).toEqual([
        { agents: [agentId], severity: want.incident.severity },
      ]);
      const incident = mine[0]!;
      expect(incident.techniques.length).toBeGreaterThan(0);
      expect(incident.graph.nodes.map((n) => n.id)).toContain(`agent:${agentId}`);
      const severity = `${want.incident.severity[0]!.toUpperCase()}${want.incident.severity.slice(1)}`;
      expect(
        incident.narrative.startsWith(`${severity} incident involving agent ${agentId} `),
      ).toBe(true);
      const res = await fetch(
        `${fusion.baseUrl}/v1/tenants/${tenant}/incidents/${incident.incidentId}`,
        { headers: { authorization: `Bearer ${adminToken}` } },
      );
      expect(res.status).toBe(200);
      const detail = (await res.json()) as { incident: Incident };
      expect(detail.incident.incidentId).toBe(incident.incidentId);
      expect(detail.incident.version).toBeGreaterThanOrEqual(incident.version);
      // The shipped playbooks it triggers run: the safe steps done, the risky ones waiting.
      const runs = await eventually(
        async () => {
          const r = await fetch(
            `${respond.baseUrl}/v1/tenants/${tenant}/incidents/${incident.incidentId}/runs`,
            { headers: { authorization: `Bearer ${adminToken}` } },
          );
          const body = (await r.json()) as { playbookId: string; status: string }[];
          return body.length === want.incident!.playbooks.length &&
            body.every((run) => run.status === 'waiting' || run.status === 'succeeded')
            ? body
            : undefined;
        },
        { timeoutMs: 60_000, description: `the playbooks of ${agentId}'s incident` },
      );
      expect(runs.map((r) => r.playbookId).sort()).toEqual(want.incident.playbooks);
    }
  });

  it('raises nothing for an agent no expectation names', () => {
    const named = new Set(
      scenarios.flatMap((name) =>
        Object.keys(
          (JSON.parse(readFileSync(join(DIR, `${name}.expected.json`), 'utf8')) as Expectation)
            .agents,
        ),
      ),
    );
    const strays = recorder
      .on(topics.threatAlerts.name)
      .map((m) => m.value as ThreatAlert)
      .filter((a) => !named.has(a.agentId))
      .map((a) => `${a.agentId}:${a.detector}`);
    expect(strays).toEqual([]);
  });
});
