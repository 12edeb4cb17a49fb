import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  agentKey,
  type DeadLetter,
  type Incident,
  type ThreatAlert,
  topicRegistry,
} from '@ward/contracts';
import { DETECTOR_TECHNIQUES, type DetectorId, deterministicId } from '@ward/detectors';
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
import { type Kafka, type Producer } from 'kafkajs';
import { Client } from 'pg';

/**
 * fusion as a real process against the real broker and PostgreSQL: alerts in
 * on ward.threat-alerts.v1, incidents out on ward.incidents.v1 and through
 * the API.
 */
const env = infraEnv();
const tag = uniqueTag('fusion');
const prefix = scratchPrefix(tag);
const topics = topicRegistry(prefix);
const token = uniqueTag('token');
const T0 = Date.UTC(2026, 0, 5, 9, 0);
const MIN = 60_000;

function alert(
  tenantId: string,
  n: number,
  over: Partial<ThreatAlert> & { detector: DetectorId; atMin: number },
): ThreatAlert {
  const { atMin, ...rest } = over;
  const at = new Date(T0 + atMin * MIN).toISOString();
  return {
    schemaVersion: 1,
    alertId: deterministicId('int-alert', tenantId, n),
    tenantId,
    agentId: 'agent-1',
    severity: 'medium',
    score: 0.55,
    riskScore: 55,
    summary: `${over.detector} #${n}`,
    window: { start: at, end: at },
    observedAt: at,
    evidence: {
      metric: 'm',
      value: 1,
      baselineMean: 0,
      baselineStddev: 1,
      baselineWindows: 5,
      zScore: 5,
      threshold: 4,
      sampleEventIds: [`e${n}`],
    },
    techniques: [...DETECTOR_TECHNIQUES[over.detector]],
    ...rest,
  };
}

describe('fusion', () => {
  let fusion: ServiceProcess;
  let kafka: Kafka;
  let producer: Producer;
  let recorder: TopicRecorder;
  let pg: Client;
  const feedDir = mkdtempSync(join(tmpdir(), 'ward-intel-'));
  const feed = join(feedDir, 'blocklist.csv');
  const common = () => ({
    ...env,
    KAFKA_TOPIC_PREFIX: prefix,
    LOG_LEVEL: 'warn',
    FUSION_CONSUMER_GROUP: `${prefix}fusion`,
    FUSION_ADMIN_TOKEN: token,
    FUSION_INTEL_FEEDS: feed,
    FUSION_INTEL_REFRESH_SECONDS: '1',
  });

  beforeAll(async () => {
    writeFileSync(feed, 'indicator,type,confidence,source\n192.0.2.66,ip,90,test-cert\n');
    fusion = await startService('fusion', common(), { port: await freePort() });
    kafka = createKafka({
      brokers: env.KAFKA_BROKERS.split(','),
      clientId: 'fusion-test',
      topicPrefix: prefix,
      ensureTopics: false,
    });
    producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    recorder = await new TopicRecorder(
      kafka,
      [topics.incidents.name, topics.dlq.name],
      `${prefix}recorder`,
    ).start();
    pg = new Client({ connectionString: env.DATABASE_URL });
    await pg.connect();
  });

  afterAll(async () => {
    await recorder?.stop();
    await producer?.disconnect();
    await pg?.end();
    await fusion?.stop();
    rmSync(feedDir, { recursive: true, force: true });
  });

  async function send(alerts: readonly ThreatAlert[]): Promise<void> {
    await producer.send({
      topic: topics.threatAlerts.name,
      messages: alerts.map((a) => ({
        key: agentKey(a.tenantId, a.agentId),
        value: JSON.stringify(a),
      })),
    });
  }

  /** The latest version of every incident of a tenant seen on the topic. */
  function latest(tenantId: string): Map<string, Incident> {
    const out = new Map<string, Incident>();
    for (const m of recorder.on(topics.incidents.name)) {
      const i = m.value as Incident;
      if (i.tenantId === tenantId && (out.get(i.incidentId)?.version ?? 0) < i.version) {
        out.set(i.incidentId, i);
      }
    }
    return out;
  }

  /** Waits until every listed alert is in some published incident of the tenant. */
  async function settled(tenantId: string, alerts: readonly ThreatAlert[]) {
    return eventually(
      () => {
        const incidents = latest(tenantId);
        const held = new Set([...incidents.values()].flatMap((i) => i.alertIds));
        return alerts.every((a) => held.has(a.alertId)) ? incidents : undefined;
      },
      {
        timeoutMs: 60_000,
        description: `incidents holding ${alerts.length} alerts of ${tenantId}`,
      },
    );
  }

  const active = (incidents: Map<string, Incident>) =>
    [...incidents.values()].filter((i) => i.status !== 'merged');

  it('makes one escalated incident of two agents sharing an IP, with techniques, graph and narrative', async () => {
    const tenant = `${tag.replace(/[^A-Za-z0-9]/g, '')}a`;
    const alerts = [
      alert(tenant, 1, {
        detector: 'bytes_out_spike',
        atMin: 0,
        agentId: 'billing-bot',
        iocs: { ips: ['198.51.100.7'] },
        severity: 'high',
        score: 0.75,
      }),
      alert(tenant, 2, {
        detector: 'new_resource',
        atMin: 3,
        agentId: 'support-bot',
        iocs: { ips: ['198.51.100.7'] },
      }),
    ];
    await send(alerts);
    const incidents = active(await settled(tenant, alerts));
    expect(incidents).toHaveLength(1);
    const incident = incidents[0]!;
    expect(incident.agents).toEqual(['billing-bot', 'support-bot']);
    expect(incident.escalations.map((e) => e.code)).toEqual([
      'independent_detectors',
      'multiple_agents',
    ]);
    expect(incident.severity).toBe('critical');
    expect(incident.techniques.length).toBeGreaterThan(0);
    expect(incident.graph.nodes.map((n) => n.id)).toContain('indicator:ip:198.51.100.7');
    expect(incident.narrative).toMatch(
      /^Critical incident involving 2 agents \(billing-bot and support-bot\)/,
    );

    const res = await fetch(
      `${fusion.baseUrl}/v1/tenants/${tenant}/incidents/${incident.incidentId}`,
      {
        headers: { authorization: `Bearer ${token}` },
      },
    );
    expect(res.status).toBe(200);
    const detail = (await res.json()) as {
      incident: Incident;
      alerts: ThreatAlert[];
      timeline: unknown[];
    };
    expect(detail.incident).toEqual(incident);
    expect(detail.alerts.map((a) => a.alertId)).toEqual(alerts.map((a) => a.alertId));
    expect(detail.timeline).toHaveLength(2);
  });

  it('merges two incidents into the older when an alert links them', async () => {
    const tenant = `${tag.replace(/[^A-Za-z0-9]/g, '')}b`;
    const first = [
      alert(tenant, 1, { detector: 'call_rate_spike', atMin: 0, agentId: 'a', sessionId: 'sa' }),
      alert(tenant, 2, { detector: 'deny_rate_spike', atMin: 2, agentId: 'b', sessionId: 'sb' }),
    ];
    await send(first);
    expect(active(await settled(tenant, first))).toHaveLength(2);
    const bridge = alert(tenant, 3, {
      detector: 'behavior_reversal',
      atMin: 4,
      agentId: 'a',
      requesterId: 'mallory',
      iocs: { domains: ['x.example'] },
    });
    const viaB = alert(tenant, 4, {
      detector: 'new_tool',
      atMin: 5,
      agentId: 'b',
      iocs: { domains: ['x.example'] },
    });
    await send([bridge, viaB]);
    const incidents = await settled(tenant, [...first, bridge, viaB]);
    const open = active(incidents);
    expect(open).toHaveLength(1);
    expect(open[0]!.alertIds.sort()).toEqual([...first, bridge, viaB].map((a) => a.alertId).sort());
    const merged = [...incidents.values()].filter((i) => i.status === 'merged');
    expect(merged).toHaveLength(1);
    expect(merged[0]!.mergedInto).toBe(open[0]!.incidentId);
    // The survivor is the incident opened by the oldest alert.
    expect(open[0]!.alertIds).toContain(first[0]!.alertId);
  });

  it('picks up a feed change without a restart and escalates on the match', async () => {
    const tenant = `${tag.replace(/[^A-Za-z0-9]/g, '')}c`;
    const a = alert(tenant, 1, {
      detector: 'bytes_out_spike',
      atMin: 0,
      iocs: { domains: ['cdn.drop.example'] },
    });
    await send([a]);
    const before = active(await settled(tenant, [a]))[0]!;
    expect(before.intelMatches).toEqual([]);
    expect(before.severity).toBe('medium');

    writeFileSync(
      feed,
      'indicator,type,confidence,source,description\n192.0.2.66,ip,90,test-cert,\ndrop.example,domain,80,test-cert,exfil drop\n',
    );
    const after = await eventually(
      () => {
        const i = latest(tenant).get(before.incidentId);
        return i !== undefined && i.intelMatches.length > 0 ? i : undefined;
      },
      { timeoutMs: 30_000, description: 'the incident re-assessed with the new feed' },
    );
    expect(after.version).toBeGreaterThan(before.version);
    expect(after.intelMatches).toEqual([
      {
        type: 'domain',
        indicator: 'cdn.drop.example',
        matched: 'drop.example',
        feed: 'blocklist.csv',
        source: 'test-cert',
        confidence: 80,
        description: 'exfil drop',
      },
    ]);
    expect(after.escalations.map((e) => e.code)).toEqual(['threat_intel']);
    expect(after.severity).toBe('high');
  });

  it('dead-letters a malformed alert and keeps going', async () => {
    const tenant = `${tag.replace(/[^A-Za-z0-9]/g, '')}d`;
    await producer.send({
      topic: topics.threatAlerts.name,
      messages: [
        { key: 'x', value: '{"not": "an alert"' },
        { key: 'y', value: JSON.stringify({ schemaVersion: 1, alertId: 'nope' }) },
      ],
    });
    const good = alert(tenant, 1, { detector: 'call_rate_spike', atMin: 0 });
    await send([good]);
    await settled(tenant, [good]);
    const letters = await eventually(() => {
      const l = recorder
        .on(topics.dlq.name)
        .map((m) => m.value as DeadLetter)
        .filter((d) => d.sourceTopic === topics.threatAlerts.name);
      return l.length >= 2 ? l : undefined;
    });
    expect(letters.map((l) => l.reason.code).sort()).toEqual(['invalid_json', 'schema_violation']);
  });

  it('records a false-positive verdict as a new, published version; refuses impossible changes', async () => {
    const tenant = `${tag.replace(/[^A-Za-z0-9]/g, '')}e`;
    const a = alert(tenant, 1, { detector: 'call_rate_spike', atMin: 0 });
    await send([a]);
    const incident = active(await settled(tenant, [a]))[0]!;
    const post = (body: unknown, auth = `Bearer ${token}`) =>
      fetch(`${fusion.baseUrl}/v1/tenants/${tenant}/incidents/${incident.incidentId}/status`, {
        method: 'POST',
        headers: { authorization: auth, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect(
      (await post({ status: 'false_positive', reason: 'load test', actor: 'ana' }, 'Bearer wrong'))
        .status,
    ).toBe(401);
    expect((await post({ status: 'nope', reason: 'x', actor: 'ana' })).status).toBe(400);
    const res = await post({ status: 'false_positive', reason: 'load test', actor: 'ana' });
    expect(res.status).toBe(201);
    const published = await eventually(() => {
      const i = latest(tenant).get(incident.incidentId);
      return i?.status === 'false_positive' ? i : undefined;
    });
    expect(published).toMatchObject({
      statusReason: 'load test',
      statusActor: 'ana',
      version: incident.version + 1,
    });
    expect((await post({ status: 'resolved', reason: 'x', actor: 'ana' })).status).toBe(409);
    const other = await fetch(
      `${fusion.baseUrl}/v1/tenants/othertenant/incidents/${incident.incidentId}`,
      {
        headers: { authorization: `Bearer ${token}` },
      },
    );
    expect(other.status).toBe(404);
    const list = await fetch(
      `${fusion.baseUrl}/v1/tenants/${tenant}/incidents?status=false_positive`,
      {
        headers: { authorization: `Bearer ${token}` },
      },
    );
    expect(
      ((await list.json()) as { incidents: Incident[] }).incidents.map((i) => i.incidentId),
    ).toEqual([incident.incidentId]);
  });

  it('gives the same incidents after a kill -9 and restart midway, none duplicated', async () => {
    const stories = (tenant: string) => [
      alert(tenant, 1, { detector: 'call_rate_spike', atMin: 0, agentId: 'p' }),
      alert(tenant, 2, { detector: 'new_tool', atMin: 1, agentId: 'q' }),
      alert(tenant, 3, { detector: 'deny_rate_spike', atMin: 2, agentId: 'p' }),
      alert(tenant, 4, {
        detector: 'secret_split',
        atMin: 3,
        agentId: 'q',
        iocs: { hashes: ['ab'.repeat(32)] },
      }),
      alert(tenant, 5, {
        detector: 'bytes_out_spike',
        atMin: 4,
        agentId: 'r',
        iocs: { hashes: ['ab'.repeat(32)] },
      }),
      alert(tenant, 6, { detector: 'call_rate_spike', atMin: 300, agentId: 'p' }),
    ];
    const shape = (tenant: string, alerts: ThreatAlert[]) => {
      const index = new Map(alerts.map((a, i) => [a.alertId, i + 1]));
      return active(latest(tenant))
        .map((i) => i.alertIds.map((id) => index.get(id)).sort())
        .sort((x, y) => x[0]! - y[0]!);
    };

    const ref = `${tag.replace(/[^A-Za-z0-9]/g, '')}ref`;
    const refAlerts = stories(ref);
    await send(refAlerts);
    await settled(ref, refAlerts);
    expect(shape(ref, refAlerts)).toEqual([[1, 3], [2, 4, 5], [6]]);

    const tenant = `${tag.replace(/[^A-Za-z0-9]/g, '')}kill`;
    const alerts = stories(tenant);
    await send(alerts.slice(0, 3));
    await settled(tenant, alerts.slice(0, 3));
    await send(alerts.slice(3, 5));
    await fusion.stop('SIGKILL');
    await send(alerts.slice(5));
    // Redelivered: the same alerts again must change nothing.
    await send(alerts.slice(2, 4));
    fusion = await startService('fusion', common(), { port: await freePort() });
    await settled(tenant, alerts);
    expect(shape(tenant, alerts)).toEqual(shape(ref, refAlerts));
    const rows = await pg.query<{ n: number; links: number }>(
      `SELECT (SELECT count(*)::int FROM incidents WHERE tenant_id = $1 AND status <> 'merged') AS n,
              (SELECT count(*)::int FROM incident_alerts WHERE tenant_id = $1) AS links`,
      [tenant],
    );
    expect(rows.rows[0]).toEqual({ n: 3, links: 6 });
  });
});
