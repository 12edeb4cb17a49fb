import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  agentKey,
  type BehavioralEvent,
  type DeadLetter,
  type Incident,
  type Policy,
  type ResponseAction,
  type ThreatAlert,
  topicRegistry,
} from '@ward/contracts';
import { DETECTOR_TECHNIQUES, type DetectorId, deterministicId, policyIdOf } from '@ward/detectors';
import { createKafka } from '@ward/messaging';
import {
  eventually,
  freePort,
  infraEnv,
  metricValue,
  opaBinary,
  type ServiceProcess,
  startService,
  TopicRecorder,
  uniqueTag,
  scratchPrefix,
} from '@ward/testing';
import { type Kafka, type Producer } from 'kafkajs';
import { Client } from 'pg';

/**
 * policy-generator, sentinel-ingest and behavioral-monitor as real processes
 * against the real broker and PostgreSQL, and a real OPA agent polling the
 * bundle endpoint: alerts in, proposals with evidence and confidence out,
 * approval by a person, enforcement by OPA and by ingest, and the monitor's
 * alert on a violation.
 */
const env = infraEnv();
const tag = uniqueTag('policy');
const prefix = scratchPrefix(tag);
const topics = topicRegistry(prefix);
const adminToken = uniqueTag('admin');
const bundleSecret = uniqueTag('bundle');
const tenant = uniqueTag('acme');
const autoTenant = uniqueTag('auto');
const expiryTenant = uniqueTag('expiry');
const fpTenant = uniqueTag('fp');
const clockTenant = uniqueTag('clock');
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
    alertId: deterministicId('policy-int-alert', tenantId, n),
    tenantId,
    agentId: 'agent-7',
    severity: 'medium',
    score: 0.55,
    riskScore: 55,
    summary: `${over.detector} #${n}`,
    window: { start: at, end: at },
    observedAt: at,
    evidence: {
      metric: 'first_tool',
      value: 1,
      baselineMean: 0,
      baselineStddev: 0,
      baselineWindows: 12,
      zScore: 0,
      threshold: 1,
      sampleEventIds: [`e${n}`],
    },
    techniques: [...DETECTOR_TECHNIQUES[over.detector]],
    ...rest,
  };
}

describe('policy-generator', () => {
  let policies: ServiceProcess;
  let ingest: ServiceProcess;
  let monitor: ServiceProcess;
  let kafka: Kafka;
  let producer: Producer;
  let recorder: TopicRecorder;
  let pg: Client;
  let opa: ChildProcess | undefined;
  let apiKey: string;
  const opaDir = mkdtempSync(join(tmpdir(), 'ward-opa-'));
  const admin = { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' };

  beforeAll(async () => {
    const common = {
      ...env,
      KAFKA_TOPIC_PREFIX: prefix,
      LOG_LEVEL: 'warn',
      REDIS_KEY_PREFIX: `${tag}:`,
    };
    [policies, ingest, monitor] = await Promise.all([
      startService(
        'policy-generator',
        {
          ...common,
          POLICY_CONSUMER_GROUP: `${prefix}policy`,
          POLICY_ADMIN_TOKEN: adminToken,
          POLICY_BUNDLE_TOKEN: bundleSecret,
          POLICY_AUTO_ACTIVATE: `${autoTenant}=0.8`,
          POLICY_EXPIRY_SECONDS: '3600',
        },
        { port: await freePort() },
      ),
      startService(
        'sentinel-ingest',
        { ...common, INGEST_ADMIN_TOKEN: adminToken, INGEST_CONSUMER_GROUP: `${prefix}ingest` },
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
      clientId: 'policy-test',
      topicPrefix: prefix,
      ensureTopics: false,
    });
    producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    recorder = await new TopicRecorder(
      kafka,
      [
        topics.policies.name,
        topics.dlq.name,
        topics.behavioralEvents.name,
        topics.threatAlerts.name,
      ],
      `${prefix}recorder`,
    ).start();
    pg = new Client({ connectionString: env.DATABASE_URL });
    await pg.connect();
    const created = await fetch(`${ingest.baseUrl}/v1/api-keys`, {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({ tenantId: tenant, name: 'policy-int' }),
    });
    expect(created.status).toBe(201);
    apiKey = ((await created.json()) as { key: string }).key;
  });

  afterAll(async () => {
    opa?.kill('SIGKILL');
    await recorder?.stop();
    await producer?.disconnect();
    await pg?.end();
    await Promise.all([policies?.stop(), ingest?.stop(), monitor?.stop()]);
    rmSync(opaDir, { recursive: true, force: true });
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

  async function evidenceCount(tenantId: string, policyId: string): Promise<number> {
    const { rows } = await pg.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM policy_evidence WHERE tenant_id = $1 AND policy_id = $2`,
      [tenantId, policyId],
    );
    return rows[0]!.n;
  }

  async function policyOf(tenantId: string, policyId: string) {
    const res = await fetch(`${policies.baseUrl}/v1/tenants/${tenantId}/policies/${policyId}`, {
      headers: admin,
    });
    return res.status === 200
      ? ((await res.json()) as {
          policy: Policy;
          evidence: { detector: string; alertId?: string }[];
          history: { toStatus: string; actor: string }[];
        })
      : undefined;
  }

  async function ingestEvents(events: readonly Record<string, unknown>[]): Promise<string[]> {
    const res = await fetch(`${ingest.baseUrl}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
      body: JSON.stringify(events),
    });
    expect(res.status).toBe(202);
    return ((await res.json()) as { eventIds: string[] }).eventIds;
  }

  const toolDenyId = () => policyIdOf(tenant, 'tool_deny', 'agent:agent-7');

  /** The tenant's bundle token, as an operator gets it for the tenant's OPA agents. */
  async function bundleTokenOf(tenantId: string): Promise<string> {
    const res = await fetch(`${policies.baseUrl}/v1/tenants/${tenantId}/bundle-token`, {
      headers: admin,
    });
    expect(res.status).toBe(200);
    return ((await res.json()) as { token: string }).token;
  }

  it('turns repeated alerts into a proposal with its evidence and the expected confidence', async () => {
    const id = toolDenyId();
    const first = alert(tenant, 1, { detector: 'new_tool', atMin: 0, tools: ['shell.exec'] });
    await send([first]);
    // One occurrence (0.3) of a medium alert (+0.1) stays under POLICY_MIN_CONFIDENCE.
    await eventually(async () => ((await evidenceCount(tenant, id)) === 1 ? true : undefined), {
      description: 'the first alert stored as evidence',
    });
    expect(await policyOf(tenant, id)).toBeUndefined();

    await send([
      alert(tenant, 2, { detector: 'new_tool', atMin: 30, tools: ['shell.exec'] }),
      alert(tenant, 3, { detector: 'new_tool', atMin: 90, tools: ['shell.exec', 'fs.delete'] }),
    ]);
    const detail = await eventually(() => policyOf(tenant, id), {
      description: 'a tool_deny proposal',
    });
    expect(detail.policy).toMatchObject({
      policyId: id,
      tenantId: tenant,
      kind: 'tool_deny',
      status: 'proposed',
      subject: 'agent:agent-7',
      confidence: 0.7,
      suppressed: false,
      rule: { effect: 'deny', when: { agents: ['agent-7'], tools: ['fs.delete', 'shell.exec'] } },
      evidence: {
        occurrences: 3,
        detectors: ['new_tool'],
        sources: ['monitor'],
        maxSeverity: 'medium',
        falsePositives: 0,
        factors: { frequency: 0.6, severity: 0.1, corroboration: 0, falsePositivePenalty: 1 },
      },
    });
    expect(detail.policy.rego).toContain('import rego.v1');
    expect(detail.evidence.map((e) => e.alertId).sort()).toEqual(
      [1, 2, 3].map((n) => deterministicId('policy-int-alert', tenant, n)).sort(),
    );
    expect(detail.history).toEqual([
      expect.objectContaining({ toStatus: 'proposed', actor: 'policy-generator' }),
    ]);
    const published = await recorder.waitFor(
      topics.policies.name,
      (m) => m.key === id && (m.value as Policy | null)?.status === 'proposed',
    );
    expect((published.value as Policy).confidence).toBe(0.7);

    // A redelivery changes nothing: same evidence, same version.
    await send([first]);
    await send([
      alert(tenant, 90, { detector: 'new_tool', atMin: 95, tools: ['x'], agentId: 'barrier' }),
    ]);
    await eventually(
      async () =>
        (await evidenceCount(tenant, policyIdOf(tenant, 'tool_deny', 'agent:barrier'))) === 1
          ? true
          : undefined,
      { description: 'the barrier alert after the redelivery' },
    );
    expect((await policyOf(tenant, id))!.policy.version).toBe(detail.policy.version);
  });

  it('activates on its own once confidence reaches the tenant threshold', async () => {
    const id = policyIdOf(autoTenant, 'tool_deny', 'agent:agent-7');
    await send(
      [1, 2, 3].map((n) =>
        alert(autoTenant, n, {
          detector: 'new_tool',
          atMin: n,
          tools: ['payments.refund'],
          severity: 'high',
        }),
      ),
    );
    const detail = await eventually(
      async () => {
        const d = await policyOf(autoTenant, id);
        return d?.policy.status === 'active' ? d : undefined;
      },
      { description: 'an automatically activated policy' },
    );
    expect(detail.policy).toMatchObject({
      confidence: 0.8,
      activation: 'automatic',
      activatedBy: 'policy-generator',
    });
    expect(detail.history.map((h) => h.toStatus)).toEqual(['active']);
    const metrics = await (await fetch(`${policies.baseUrl}/metrics`)).text();
    expect(metricValue(metrics, 'ward_policy_activations_total', { mode: 'automatic' })).toBe(1);
    expect(
      metricValue(metrics, 'ward_policy_policies', { kind: 'tool_deny', status: 'active' }),
    ).toBeGreaterThanOrEqual(1);
  });

  it('lets a person approve, and OPA and sentinel-ingest then enforce the policy', async () => {
    const id = toolDenyId();
    const bundleToken = await bundleTokenOf(tenant);
    const opaPort = await freePort();
    writeFileSync(
      join(opaDir, 'config.yaml'),
      [
        'services:',
        '  ward:',
        `    url: ${policies.baseUrl}/v1/tenants/${tenant}`,
        '    credentials:',
        '      bearer:',
        `        token: ${bundleToken}`,
        'bundles:',
        '  ward:',
        '    service: ward',
        '    resource: bundle.tar.gz',
        '    polling: { min_delay_seconds: 1, max_delay_seconds: 2 }',
        '',
      ].join('\n'),
    );
    opa = spawn(
      opaBinary(),
      [
        'run',
        '--server',
        '--addr',
        `127.0.0.1:${opaPort}`,
        '--config-file',
        join(opaDir, 'config.yaml'),
      ],
      { stdio: 'ignore' },
    );
    const decide = async (event: Record<string, unknown>) => {
      const res = await fetch(`http://127.0.0.1:${opaPort}/v1/data/ward/decision/decision`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ input: { event } }),
      }).catch(() => undefined);
      return res?.status === 200 ? ((await res.json()) as { result?: string }).result : undefined;
    };
    const violating = { agentId: 'agent-7', action: 'shell.exec' };
    // The (empty) bundle is loaded: nothing is denied yet.
    expect(
      await eventually(() => decide(violating), { description: 'OPA to load the bundle' }),
    ).toBe('allow');

    const refused = await fetch(`${policies.baseUrl}/v1/tenants/${tenant}/policies/${id}/approve`, {
      method: 'POST',
      headers: { ...admin, authorization: `Bearer ${bundleToken}` },
      body: JSON.stringify({ actor: 'mallory', reason: 'bundle token is read-only' }),
    });
    expect(refused.status).toBe(401);
    const invalid = await fetch(`${policies.baseUrl}/v1/tenants/${tenant}/policies/${id}/approve`, {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({ actor: 'alice@example.com' }),
    });
    expect(invalid.status).toBe(400);
    const approved = await fetch(
      `${policies.baseUrl}/v1/tenants/${tenant}/policies/${id}/approve`,
      {
        method: 'POST',
        headers: admin,
        body: JSON.stringify({ actor: 'alice@example.com', reason: 'agent-7 never needs a shell' }),
      },
    );
    expect(approved.status).toBe(201);
    expect(await approved.json()).toMatchObject({
      status: 'active',
      activation: 'manual',
      activatedBy: 'alice@example.com',
    });
    const again = await fetch(`${policies.baseUrl}/v1/tenants/${tenant}/policies/${id}/approve`, {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({ actor: 'bob', reason: 'twice' }),
    });
    expect(again.status).toBe(409);

    // OPA: the next poll brings the policy.
    await eventually(async () => ((await decide(violating)) === 'deny' ? true : undefined), {
      description: 'OPA to deny shell.exec for agent-7',
    });
    expect(await decide({ agentId: 'agent-7', action: 'search' })).toBe('allow');
    expect(await decide({ agentId: 'agent-8', action: 'shell.exec' })).toBe('allow');

    // sentinel-ingest: labels the violating event, and only that one.
    const labelled = await eventually(
      async () => {
        const [eventId] = await ingestEvents([
          { agentId: 'agent-7', action: 'shell.exec', timestamp: new Date().toISOString() },
        ]);
        const m = await recorder.waitFor(
          topics.behavioralEvents.name,
          (r) => (r.value as BehavioralEvent).eventId === eventId,
        );
        return (m.value as BehavioralEvent).policyViolations !== undefined
          ? (m.value as BehavioralEvent)
          : undefined;
      },
      { description: 'ingest to label a violating event', timeoutMs: 60_000 },
    );
    expect(labelled.policyViolations).toEqual([
      { policyId: id, version: expect.any(Number) as number, kind: 'tool_deny', effect: 'deny' },
    ]);
    const [clean] = await ingestEvents([
      { agentId: 'agent-7', action: 'search', timestamp: new Date().toISOString() },
    ]);
    const cleanEvent = await recorder.waitFor(
      topics.behavioralEvents.name,
      (r) => (r.value as BehavioralEvent).eventId === clean,
    );
    expect((cleanEvent.value as BehavioralEvent).policyViolations).toBeUndefined();

    // The monitor alerts on the violation.
    const violation = await recorder.waitFor(
      topics.threatAlerts.name,
      (m) =>
        (m.value as ThreatAlert).tenantId === tenant &&
        (m.value as ThreatAlert).detector === 'policy_violation',
    );
    expect(violation.value).toMatchObject({ agentId: 'agent-7', severity: 'high' });
    const ingestMetrics = await (await fetch(`${ingest.baseUrl}/metrics`)).text();
    expect(
      metricValue(ingestMetrics, 'ward_ingest_policy_violations_total', {
        kind: 'tool_deny',
        effect: 'deny',
      }),
    ).toBeGreaterThanOrEqual(1);

    // The dry run finds the violating event among the tenant's recent events.
    const dry = await fetch(`${policies.baseUrl}/v1/tenants/${tenant}/policies/${id}/dry-run`, {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({ sinceMinutes: 30 }),
    });
    expect(dry.status).toBe(201);
    const report = (await dry.json()) as {
      complete: boolean;
      wouldDeny: number;
      tenantEvents: number;
      agents: { agentId: string }[];
    };
    expect(report.complete).toBe(true);
    expect(report.wouldDeny).toBeGreaterThanOrEqual(1);
    expect(report.tenantEvents).toBeGreaterThan(report.wouldDeny);
    expect(report.agents.map((a) => a.agentId)).toEqual(['agent-7']);
  });

  it("serves the bundle with an ETag, and only with the tenant's own bundle token", async () => {
    const url = `${policies.baseUrl}/v1/tenants/${tenant}/bundle.tar.gz`;
    const bundleToken = await bundleTokenOf(tenant);
    const refused = [undefined, adminToken, bundleSecret, await bundleTokenOf(autoTenant)];
    for (const token of refused) {
      const res = await fetch(url, {
        headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
      });
      expect(res.status).toBe(401);
    }
    const first = await fetch(url, { headers: { authorization: `Bearer ${bundleToken}` } });
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toBe('application/gzip');
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^"[a-f0-9]{64}"$/);
    const second = await fetch(url, {
      headers: { authorization: `Bearer ${bundleToken}`, 'if-none-match': etag },
    });
    expect(second.status).toBe(304);
    const metrics = await (await fetch(`${policies.baseUrl}/metrics`)).text();
    expect(
      metricValue(metrics, 'ward_policy_bundle_requests_total', { result: 'not_modified' }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      metricValue(metrics, 'ward_policy_bundle_requests_total', { result: 'refused' }),
    ).toBeGreaterThanOrEqual(4);
  });

  it('lowers and suppresses a pattern that analysts call a false positive', async () => {
    const id = policyIdOf(fpTenant, 'resource_restriction', 'agent:agent-7');
    const alerts = [11, 12, 13].map((n) =>
      alert(fpTenant, n, {
        detector: 'new_resource',
        atMin: 200 + n,
        resources: ['s3://finance/payroll.csv'],
      }),
    );
    await send(alerts);
    const proposed = await eventually(() => policyOf(fpTenant, id), {
      description: 'a resource_restriction proposal',
    });
    expect(proposed.policy.confidence).toBe(0.7);
    const incident = (status: Incident['status'], version: number) => ({
      schemaVersion: 1,
      incidentId: deterministicId('policy-int-incident', fpTenant),
      version,
      tenantId: fpTenant,
      status,
      title: 't',
      severity: 'medium',
      score: 0.5,
      escalations: [],
      alertIds: alerts.map((a) => a.alertId),
      alertCount: 3,
      detectors: ['new_resource'],
      agents: ['agent-7'],
      sessions: [],
      requesters: [],
      iocs: {},
      techniques: [],
      intelMatches: [],
      graph: { nodes: [], edges: [] },
      narrative: 'n',
      firstSeen: alerts[0]!.observedAt,
      lastSeen: alerts[2]!.observedAt,
      updatedAt: new Date().toISOString(),
    });
    await producer.send({
      topic: topics.incidents.name,
      messages: [
        { key: 'i', value: JSON.stringify(incident('open', 1)) },
        { key: 'i', value: JSON.stringify(incident('false_positive', 2)) },
      ],
    });
    const lowered = await eventually(
      async () => {
        const d = await policyOf(fpTenant, id);
        return d?.policy.suppressed ? d : undefined;
      },
      { description: 'the pattern suppressed by the verdict' },
    );
    expect(lowered.policy).toMatchObject({
      confidence: 0.35,
      evidence: { falsePositives: 1, factors: { falsePositivePenalty: 0.5 } },
    });
  });

  it('retires a policy whose pattern went quiet in event time', async () => {
    const id = policyIdOf(expiryTenant, 'tool_deny', 'agent:agent-7');
    await send(
      [1, 2, 3].map((n) =>
        alert(expiryTenant, n, { detector: 'new_tool', atMin: n, tools: ['shell.exec'] }),
      ),
    );
    await eventually(() => policyOf(expiryTenant, id), { description: 'a proposal' });
    // Two hours later (POLICY_EXPIRY_SECONDS is one hour) another pattern moves the tenant's clock.
    await send([
      alert(expiryTenant, 4, { detector: 'new_tool', atMin: 125, tools: ['x'], agentId: 'other' }),
    ]);
    const retired = await eventually(
      async () => {
        const d = await policyOf(expiryTenant, id);
        return d?.policy.status === 'retired' ? d : undefined;
      },
      { description: 'the quiet policy retired' },
    );
    expect(retired.policy.statusReason).toMatch(/^expired: no evidence since/);
    const tombstone = await recorder.waitFor(
      topics.policies.name,
      (m) => m.key === id && m.value === null,
    );
    expect(tombstone.value).toBeNull();
  });

  it('keeps a tenant on the event-time clock of its alerts when a response action happens now', async () => {
    // Alerts from January (a replay or a backfill); the response to them runs on today's wall clock.
    const corroborated = policyIdOf(clockTenant, 'tool_deny', 'agent:agent-7');
    const other = policyIdOf(clockTenant, 'tool_deny', 'agent:agent-8');
    await send([
      ...[1, 2, 3].map((n) =>
        alert(clockTenant, n, { detector: 'new_tool', atMin: n, tools: ['shell.exec'] }),
      ),
      ...[4, 5, 6].map((n) =>
        alert(clockTenant, n, {
          detector: 'new_tool',
          atMin: n,
          tools: ['fs.delete'],
          agentId: 'agent-8',
        }),
      ),
    ]);
    await eventually(
      async () =>
        (await policyOf(clockTenant, corroborated)) && (await policyOf(clockTenant, other))
          ? true
          : undefined,
      { description: 'both proposals' },
    );
    const action: ResponseAction = {
      schemaVersion: 1,
      runId: deterministicId('policy-int-run', clockTenant),
      tenantId: clockTenant,
      incidentId: deterministicId('policy-int-incident', clockTenant),
      playbookId: 'runaway-agent',
      playbookVersion: 1,
      stepId: 'quarantine',
      action: 'quarantine',
      status: 'succeeded',
      attempt: 1,
      dryRun: false,
      parameters: { agentId: 'agent-7' },
      at: new Date().toISOString(),
    };
    await producer.send({
      topic: topics.responseActions.name,
      messages: [{ key: agentKey(clockTenant, 'agent-7'), value: JSON.stringify(action) }],
    });
    // Its corroboration stored (in the same transaction as the expiry check that follows it).
    await eventually(
      async () => ((await evidenceCount(clockTenant, corroborated)) === 4 ? true : undefined),
      { description: "the action's corroboration as evidence" },
    );
    const { rows } = await pg.query<{ source: string; observed_at: Date }>(
      `SELECT source, observed_at FROM policy_evidence WHERE tenant_id = $1 AND policy_id = $2`,
      [clockTenant, corroborated],
    );
    const latestAlert = Math.max(
      ...rows.filter((r) => r.source !== 'response').map((r) => r.observed_at.getTime()),
    );
    expect(latestAlert).toBe(T0 + 3 * MIN);
    // Placed on the tenant's event-time clock (its latest alert, agent-8's at minute 6), not today.
    expect(rows.filter((r) => r.source === 'response').map((r) => r.observed_at.getTime())).toEqual(
      [T0 + 6 * MIN],
    );
    // Neither the corroborated policy nor the other one was retired as quiet.
    expect((await policyOf(clockTenant, corroborated))!.policy.status).toBe('proposed');
    expect((await policyOf(clockTenant, other))!.policy.status).toBe('proposed');
  });

  it('dead-letters a malformed alert and a hostile policy record, and keeps going', async () => {
    await producer.send({
      topic: topics.threatAlerts.name,
      messages: [{ key: 'x', value: '{"not": "an alert"' }],
    });
    const dlq = await recorder.waitFor(
      topics.dlq.name,
      (m) => (m.value as DeadLetter).sourceTopic === topics.threatAlerts.name,
    );
    expect((dlq.value as DeadLetter).reason.code).toBe('invalid_json');

    // A forged record on the policies topic: not a Policy, so ingest refuses it.
    await producer.send({
      topic: topics.policies.name,
      messages: [
        {
          key: deterministicId('forged'),
          value: JSON.stringify({ status: 'active', tenantId: tenant, rule: { effect: 'deny' } }),
        },
      ],
    });
    const forged = await recorder.waitFor(
      topics.dlq.name,
      (m) => (m.value as DeadLetter).sourceTopic === topics.policies.name,
    );
    expect((forged.value as DeadLetter).reason.code).toBe('schema_violation');
    const res = await fetch(`${ingest.baseUrl}/readyz`);
    expect(res.status).toBe(200);
  });
});
