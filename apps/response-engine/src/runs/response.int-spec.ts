import { execFileSync } from 'node:child_process';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer } from 'node:tls';
import {
  type AgentControl,
  type DeadLetter,
  type Incident,
  type ResponseAction,
  topicRegistry,
} from '@ward/contracts';
import { deterministicId } from '@ward/detectors';
import { createKafka } from '@ward/messaging';
import { runIdFor, SIGNATURE_HEADER, verifyWebhook } from '@ward/playbooks';
import {
  eventually,
  freePort,
  infraEnv,
  metricValue,
  type ServiceProcess,
  startService,
  TopicRecorder,
  uniqueTag,
  scratchPrefix,
} from '@ward/testing';
import { type Kafka, type Producer } from 'kafkajs';
import { Client } from 'pg';

/**
 * response-engine as a real process against the real broker, PostgreSQL and
 * Redis, delivering to real local receivers: a webhook and Slack endpoint
 * that verify HMAC signatures, a Splunk HEC endpoint, and syslog over TCP,
 * UDP and TLS (with a throwaway CA made by openssl).
 */
const env = infraEnv();
const tag = uniqueTag('respond');
const prefix = scratchPrefix(tag);
const topics = topicRegistry(prefix);
const token = uniqueTag('token');
const tenant = tag.replace(/[^A-Za-z0-9]/g, '');
const HOOK_SECRET = 'hook-secret-for-the-test';
const HEC_TOKEN = 'hec-token-for-the-test';

interface HttpDelivery {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly signature: ReturnType<typeof verifyWebhook>;
}

/** One HTTP server for the webhook, Slack, identity-provider and HEC destinations. */
class HttpReceiver {
  readonly received: HttpDelivery[] = [];
  /** Status to answer per path (default 200). */
  readonly status = new Map<string, number>();
  private readonly seen = new Set<string>();
  private server: Server | undefined;
  port = 0;

  async start(): Promise<this> {
    this.server = createHttpServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const path = req.url ?? '';
        const status = this.status.get(path) ?? 200;
        if (status === 200) {
          this.received.push({
            path,
            headers: req.headers,
            body,
            signature: verifyWebhook(
              HOOK_SECRET,
              req.headers[SIGNATURE_HEADER] as string | undefined,
              body,
              Date.now(),
              { toleranceSeconds: 300, seen: this.seen },
            ),
          });
        }
        res.writeHead(status, { 'content-type': 'application/json' }).end('{"ok":true}');
      });
    });
    this.port = await listen(this.server);
    return this;
  }

  on(path: string): HttpDelivery[] {
    return this.received.filter((r) => r.path === path);
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.server?.close(resolve));
  }
}

/** Splits RFC 6587 octet-counted frames. */
function framesOf(onFrame: (message: string) => void): (socket: Socket) => void {
  return (socket) => {
    let buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        const space = buffer.indexOf(0x20);
        if (space < 0) {
          return;
        }
        const length = Number(buffer.subarray(0, space).toString('ascii'));
        if (buffer.length < space + 1 + length) {
          return;
        }
        onFrame(buffer.subarray(space + 1, space + 1 + length).toString('utf8'));
        buffer = buffer.subarray(space + 1 + length);
      }
    });
  };
}

function listen(server: Server | NetServer): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : 0);
    });
  });
}

const INCIDENT_AT = '2026-01-05T09:00:00.000Z';

function incident(n: string, detector: string, over: Partial<Incident> = {}): Incident {
  return {
    schemaVersion: 1,
    incidentId: deterministicId('respond-int', tag, n),
    version: 1,
    tenantId: tenant,
    status: 'open',
    title: `Incident ${n}`,
    severity: 'high',
    score: 0.8,
    escalations: [],
    alertIds: [deterministicId('respond-int-alert', tag, n)],
    alertCount: 1,
    detectors: [detector],
    agents: [`agent-${n}`],
    sessions: [],
    requesters: [],
    iocs: { ips: ['203.0.113.9'] },
    techniques: [],
    intelMatches: [],
    graph: { nodes: [], edges: [] },
    narrative: `High incident involving agent agent-${n}.`,
    firstSeen: INCIDENT_AT,
    lastSeen: INCIDENT_AT,
    updatedAt: INCIDENT_AT,
    ...over,
  };
}

const PLAYBOOKS: Record<string, string> = {
  'approve.yaml': `
id: int-approve
version: 1
name: Throttle, export, page on approval, then quarantine
trigger:
  severityAtLeast: medium
  detectors: [call_rate_spike]
  tenants: [${tenant}]
steps:
  - id: note
    action: annotate
    with: { note: 'Incident \${incident.incidentId}' }
  - id: throttle
    action: rate_limit
    with: { agents: '\${incident.agents}', callsPerMinute: 30, reason: 'burst' }
  - id: hec
    action: siem_splunk_hec
    with: { destination: hec }
  - id: syslog-tcp
    action: siem_syslog
    with: { destination: syslog-tcp, message: '\${incident.title}' }
  - id: syslog-udp
    action: siem_syslog
    with: { destination: syslog-udp, message: '\${incident.title}', format: cef }
  - id: syslog-tls
    action: siem_syslog
    with: { destination: syslog-tls, message: '\${incident.title}', format: leef }
  - id: page
    action: webhook
    with:
      destination: soc-hook
      severity: '\${incident.severity}'
      limit: '\${steps.throttle.output.callsPerMinute}'
    approval: { required: true, timeout: 10m, onTimeout: reject, reason: Pages the on-call. }
  - id: quarantine
    action: quarantine
    with: { agents: '\${incident.agents}' }
  - id: tell
    action: slack
    with: { destination: slack, text: 'Quarantined \${incident.agents}: \${incident.title}' }
`,
  'expire.yaml': `
id: int-expire
version: 1
name: Revoke on approval
trigger:
  detectors: [secret_split]
  tenants: [${tenant}]
steps:
  - id: revoke
    action: revoke_credentials
    with: { destination: idp, agents: '\${incident.agents}' }
    approval: { required: true, timeout: 3s, onTimeout: reject }
  - id: after
    action: annotate
    with: { note: 'revoke was \${steps.revoke.status}' }
`,
  'flaky.yaml': `
id: int-flaky
version: 1
name: Page through a flaky hook
trigger:
  detectors: [new_tool]
  tenants: [${tenant}]
steps:
  - id: page
    action: webhook
    with: { destination: flaky-hook }
    timeout: 2s
    retries: { attempts: 2, backoff: 100ms, maxBackoff: 200ms }
`,
  // Line 7 names an action that does not exist: refused, the others run.
  'broken.yaml': `id: int-broken
version: 1
name: Broken
trigger: { detectors: [call_rate_spike], tenants: [${tenant}] }
steps:
  - id: one
    action: launch_missiles
`,
};

describe('response-engine', () => {
  let service: ServiceProcess;
  let kafka: Kafka;
  let producer: Producer;
  let recorder: TopicRecorder;
  let pg: Client;
  let http: HttpReceiver;
  const tcpFrames: string[] = [];
  const tlsFrames: string[] = [];
  const udpMessages: string[] = [];
  let tcpServer: NetServer;
  let tlsServer: NetServer;
  let udpServer: UdpSocket;
  const dir = mkdtempSync(join(tmpdir(), 'ward-respond-'));
  const playbookDir = join(dir, 'playbooks');
  let serviceEnv: Record<string, string>;

  beforeAll(async () => {
    // A throwaway CA-less self-signed certificate for "localhost" for the TLS syslog receiver.
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    http = await new HttpReceiver().start();
    tcpServer = createNetServer(framesOf((m) => tcpFrames.push(m)));
    const tcpPort = await listen(tcpServer);
    tlsServer = createTlsServer(
      { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) },
      framesOf((m) => tlsFrames.push(m)),
    );
    const tlsPort = await listen(tlsServer);
    udpServer = createSocket('udp4');
    udpServer.on('message', (m) => udpMessages.push(m.toString('utf8')));
    const udpPort = await new Promise<number>((resolve) =>
      udpServer.bind(0, '127.0.0.1', () => resolve(udpServer.address().port)),
    );
    const base = `http://127.0.0.1:${http.port}`;
    writeFileSync(
      join(dir, 'destinations.yaml'),
      [
        'destinations:',
        `  soc-hook: { kind: webhook, url: "${base}/hook", secretEnv: INT_HOOK_SECRET }`,
        `  flaky-hook: { kind: webhook, url: "${base}/flaky", secretEnv: INT_HOOK_SECRET }`,
        `  idp: { kind: webhook, url: "${base}/idp", secretEnv: INT_HOOK_SECRET }`,
        `  slack: { kind: slack, url: "${base}/slack" }`,
        `  hec: { kind: splunk_hec, url: "${base}/services/collector/event", secretEnv: INT_HEC_TOKEN }`,
        `  syslog-tcp: { kind: syslog, host: 127.0.0.1, port: ${tcpPort}, transport: tcp }`,
        `  syslog-udp: { kind: syslog, host: 127.0.0.1, port: ${udpPort}, transport: udp }`,
        `  syslog-tls: { kind: syslog, host: localhost, port: ${tlsPort}, transport: tls, caFile: ${join(dir, 'cert.pem')} }`,
      ].join('\n'),
    );
    execFileSync('mkdir', ['-p', playbookDir]);
    for (const [name, text] of Object.entries(PLAYBOOKS)) {
      writeFileSync(join(playbookDir, name), text);
    }
    serviceEnv = {
      ...env,
      KAFKA_TOPIC_PREFIX: prefix,
      LOG_LEVEL: 'warn',
      RESPONSE_CONSUMER_GROUP: `${prefix}respond`,
      RESPONSE_ADMIN_TOKEN: token,
      RESPONSE_PLAYBOOK_DIRS: playbookDir,
      RESPONSE_RELOAD_SECONDS: '1',
      RESPONSE_SWEEP_SECONDS: '1',
      RESPONSE_DESTINATIONS_FILE: join(dir, 'destinations.yaml'),
      RESPONSE_DESTINATION_FAILURE_LIMIT: '3',
      RESPONSE_OUTBOUND_ALLOW_HOSTS: '127.0.0.1,localhost',
      RESPONSE_OUTBOUND_ALLOW_PRIVATE: 'true',
      REDIS_KEY_PREFIX: `${prefix}`,
      INT_HOOK_SECRET: HOOK_SECRET,
      INT_HEC_TOKEN: HEC_TOKEN,
    };
    service = await startService('response-engine', serviceEnv, { port: await freePort() });
    kafka = createKafka({
      brokers: env.KAFKA_BROKERS.split(','),
      clientId: 'respond-test',
      topicPrefix: prefix,
      ensureTopics: false,
    });
    producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    recorder = await new TopicRecorder(
      kafka,
      [topics.responseActions.name, topics.agentControl.name, topics.dlq.name],
      `${prefix}recorder`,
    ).start();
    pg = new Client({ connectionString: env.DATABASE_URL });
    await pg.connect();
  });

  afterAll(async () => {
    await recorder?.stop();
    await producer?.disconnect();
    await pg?.end();
    await service?.stop();
    await http?.stop();
    tcpServer?.close();
    tlsServer?.close();
    udpServer?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const auth = () => ({ authorization: `Bearer ${token}`, 'content-type': 'application/json' });

  async function api<T = unknown>(
    path: string,
    init: { method?: string; body?: unknown } = {},
  ): Promise<{ status: number; body: T }> {
    const res = await fetch(`${service.baseUrl}/v1${path}`, {
      method: init.method ?? 'GET',
      headers: auth(),
      ...(init.body !== undefined && { body: JSON.stringify(init.body) }),
    });
    return { status: res.status, body: (await res.json()) as T };
  }

  async function publish(...incidents: Incident[]): Promise<void> {
    await producer.send({
      topic: topics.incidents.name,
      messages: incidents.map((i) => ({ key: i.incidentId, value: JSON.stringify(i) })),
    });
  }

  function transitions(runId: string): ResponseAction[] {
    return recorder
      .on(topics.responseActions.name)
      .map((m) => m.value as ResponseAction)
      .filter((a) => a.runId === runId);
  }

  interface RunView {
    status: string;
    steps: { stepId: string; status: string; attempts: number; output?: unknown }[];
  }

  async function runWhen(
    runId: string,
    ready: (run: RunView) => boolean,
    timeoutMs = 30_000,
  ): Promise<RunView> {
    return eventually(
      async () => {
        const res = await api<RunView>(`/tenants/${tenant}/runs/${runId}`);
        return res.status === 200 && ready(res.body) ? res.body : undefined;
      },
      { timeoutMs, description: `run ${runId}` },
    );
  }

  const stepStatus = (run: RunView, id: string) => run.steps.find((s) => s.stepId === id)?.status;

  async function playbookFor(id: string) {
    const files = await api<{ playbookId: string | null; problems: string[] }[]>('/playbooks');
    return files.body.find((f) => f.playbookId === id);
  }

  const approveBook = () =>
    ({ id: 'int-approve', version: 1 }) as unknown as Parameters<typeof runIdFor>[2];

  const burst = incident('burst', 'call_rate_spike', {
    title: "Burst from agent-burst: ${steps.page.output} '; DROP TABLE response_runs; --\r\nx",
  });
  const burstRun = runIdFor(tenant, burst.incidentId, approveBook());

  it('refuses a broken playbook with its file and line, and loads the others', async () => {
    const files =
      await api<{ file: string; playbookId: string | null; problems: string[] }[]>('/playbooks');
    expect(files.status).toBe(200);
    const broken = files.body.find((f) => f.file.endsWith('broken.yaml'));
    expect(broken?.playbookId).toBeNull();
    expect(broken?.problems).toEqual([
      expect.stringMatching(/broken\.yaml:7:5: \/steps\/0\/action: unknown action launch_missiles/),
    ]);
    expect(
      files.body
        .map((f) => f.playbookId)
        .filter((id) => id !== null)
        .sort(),
    ).toEqual(['int-approve', 'int-expire', 'int-flaky']);
  });

  it('runs the safe steps of a triggered playbook at once and waits for approval on the risky one', async () => {
    await publish(burst);
    const waiting = await runWhen(burstRun, (r) => stepStatus(r, 'page') === 'pending_approval');
    expect(waiting.status).toBe('waiting');
    expect(waiting.steps.map((s) => [s.stepId, s.status])).toEqual([
      ['note', 'succeeded'],
      ['throttle', 'succeeded'],
      ['hec', 'succeeded'],
      ['syslog-tcp', 'succeeded'],
      ['syslog-udp', 'succeeded'],
      ['syslog-tls', 'succeeded'],
      ['page', 'pending_approval'],
    ]);
    // The rate limit went out on the agent-control topic.
    const control = await recorder.waitFor(
      topics.agentControl.name,
      (m) => (m.value as AgentControl).agentId === 'agent-burst',
    );
    expect(control.value).toMatchObject({
      tenantId: tenant,
      tier: 2,
      rateLimitPerMinute: 30,
      source: 'response-engine',
    });
    // Splunk HEC: the incident, with the token.
    const hec = http.on('/services/collector/event');
    expect(hec).toHaveLength(1);
    expect(hec[0]!.headers.authorization).toBe(`Splunk ${HEC_TOKEN}`);
    expect(JSON.parse(hec[0]!.body)).toMatchObject({
      sourcetype: 'ward:incident',
      event: { incidentId: burst.incidentId },
    });
    // Syslog over TCP, UDP and TLS: RFC 5424 with the run in structured data,
    // the hostile title carried as data (no line break survives into the frame).
    await eventually(() => (udpMessages.length === 1 ? true : undefined));
    for (const message of [tcpFrames, udpMessages, tlsFrames].map((m) => m[0]!)) {
      expect(message).toMatch(/^<107>1 \d{4}-\d\d-\d\dT[^ ]+ \S+ ward - RESPONSE \[ward@32473 /);
      expect(message).toContain(`run="${burstRun}"`);
      expect(message).toContain('DROP TABLE');
      expect(message).not.toMatch(/[\r\n]/);
    }
    expect([tcpFrames.length, tlsFrames.length]).toEqual([1, 1]);
    // Over UDP as CEF, over TLS as LEEF 2.0, each with its own escaping.
    expect(udpMessages[0]).toContain(
      `\uFEFFCEF:0|Ward|Ward|1|call_rate_spike|Burst from agent-burst: $\{steps.page.output} '; DROP TABLE response_runs; -- x|8|externalId=${burst.incidentId} act=syslog-udp`,
    );
    expect(udpMessages[0]).toContain(`cs1Label=run cs1=${burstRun} cs2Label=tenant`);
    expect(tlsFrames[0]).toContain(
      `\uFEFFLEEF:2.0|Ward|Ward|1|call_rate_spike|^|sev=8^incident=${burst.incidentId}^run=${burstRun}^step=syslog-tls^tenant=${tenant}^agents=agent-burst^src=203.0.113.9^msg=Burst from agent-burst:`,
    );
    // The approval is listed, in this tenant and in the all-tenants view.
    const listed = await api<{ runId: string; stepId: string; parameters: unknown }[]>(
      `/tenants/${tenant}/approvals`,
    );
    expect(listed.body).toEqual([
      expect.objectContaining({
        runId: burstRun,
        stepId: 'page',
        parameters: { destination: 'soc-hook', severity: 'high', limit: 30 },
      }),
    ]);
    const all = await api<{ runId: string }[]>('/approvals');
    expect(all.body.map((a) => a.runId)).toContain(burstRun);
    expect(http.on('/hook')).toHaveLength(0);
  });

  it('keeps the waiting approval through a kill -9 and restart', async () => {
    await service.stop('SIGKILL');
    service = await startService('response-engine', serviceEnv, { port: await freePort() });
    const listed = await api<{ runId: string; stepId: string }[]>(`/tenants/${tenant}/approvals`);
    expect(listed.body).toEqual([expect.objectContaining({ runId: burstRun, stepId: 'page' })]);
    // A redelivered incident (the offset may not have been committed) starts nothing twice.
    await publish(burst);
    const run = await runWhen(burstRun, (r) => stepStatus(r, 'page') === 'pending_approval');
    expect(run.steps.find((s) => s.stepId === 'note')?.attempts).toBe(1);
    const runs = await pg.query(
      `SELECT count(*)::int AS n FROM response_runs WHERE incident_id = $1`,
      [burst.incidentId],
    );
    expect(runs.rows[0].n).toBe(1);
  });

  it('runs the approved step, signed, and finishes the playbook', async () => {
    const bad = await api(`/tenants/${tenant}/approvals/${burstRun}/page`, {
      method: 'POST',
      body: { decision: 'maybe', actor: 'alice', reason: 'x' },
    });
    expect(bad.status).toBe(400);
    const unauthenticated = await fetch(
      `${service.baseUrl}/v1/tenants/${tenant}/approvals/${burstRun}/page`,
      { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } },
    );
    expect(unauthenticated.status).toBe(401);
    const otherTenant = await api(`/tenants/someone-else/approvals/${burstRun}/page`, {
      method: 'POST',
      body: { decision: 'approve', actor: 'mallory', reason: 'x' },
    });
    expect(otherTenant.status).toBe(404);

    const approved = await api(`/tenants/${tenant}/approvals/${burstRun}/page`, {
      method: 'POST',
      body: { decision: 'approve', actor: 'alice@example.com', reason: 'confirmed the burst' },
    });
    expect(approved.status).toBe(202);
    const done = await runWhen(burstRun, (r) => r.status === 'succeeded');
    expect(done.steps.map((s) => s.status)).toEqual(Array(9).fill('succeeded'));

    const hook = http.on('/hook');
    expect(hook).toHaveLength(1);
    expect(hook[0]!.signature).toMatchObject({ ok: true });
    expect(hook[0]!.headers['idempotency-key']).toBe(`${burstRun}:page`);
    expect(JSON.parse(hook[0]!.body)).toMatchObject({
      action: 'webhook',
      runId: burstRun,
      incidentId: burst.incidentId,
      parameters: { severity: 'high', limit: 30 },
    });
    // The text is the incident's, verbatim: an incident cannot inject references.
    const slack = http.on('/slack');
    expect(JSON.parse(slack[0]!.body)).toEqual({
      text: `Quarantined ["agent-burst"]: ${burst.title}`,
    });
    await recorder.waitFor(
      topics.agentControl.name,
      (m) =>
        (m.value as AgentControl).agentId === 'agent-burst' &&
        (m.value as AgentControl).quarantined,
    );
    // Every transition was published, in order, with the approver on the decision.
    const published = await eventually(() => {
      const t = transitions(burstRun);
      return t.some((a) => a.stepId === 'tell' && a.status === 'succeeded') ? t : undefined;
    });
    expect(published.filter((a) => a.stepId === 'page').map((a) => a.status)).toEqual([
      'pending_approval',
      'approved',
      'running',
      'succeeded',
    ]);
    expect(published.find((a) => a.status === 'approved')).toMatchObject({
      approver: 'alice@example.com',
      reason: 'confirmed the burst',
    });
    // Deciding again is a conflict.
    const again = await api(`/tenants/${tenant}/approvals/${burstRun}/page`, {
      method: 'POST',
      body: { decision: 'reject', actor: 'bob', reason: 'late' },
    });
    expect(again.status).toBe(409);
    const metrics = await (await fetch(`${service.baseUrl}/metrics`)).text();
    expect(
      metricValue(metrics, 'ward_response_actions_total', {
        action: 'webhook',
        outcome: 'succeeded',
      }),
    ).toBe(1);
    // Counted across every tenant of the shared database: present, whatever it holds.
    expect(metricValue(metrics, 'ward_response_approvals_pending')).toEqual(expect.any(Number));
  });

  it("rejects on a person's word and on expiry, without running the step", async () => {
    const rejected = incident('reject', 'secret_split');
    const expired = incident('expire', 'secret_split');
    const book = { id: 'int-expire', version: 1 } as unknown as Parameters<typeof runIdFor>[2];
    const rejectedRun = runIdFor(tenant, rejected.incidentId, book);
    const expiredRun = runIdFor(tenant, expired.incidentId, book);
    await publish(rejected, expired);
    await runWhen(rejectedRun, (r) => stepStatus(r, 'revoke') === 'pending_approval');
    const no = await api(`/tenants/${tenant}/approvals/${rejectedRun}/revoke`, {
      method: 'POST',
      body: { decision: 'reject', actor: 'bob@example.com', reason: 'false alarm' },
    });
    expect(no.status).toBe(202);
    const r1 = await runWhen(rejectedRun, (r) => r.status === 'succeeded');
    expect(r1.steps.map((s) => [s.stepId, s.status])).toEqual([
      ['revoke', 'rejected'],
      ['after', 'succeeded'],
    ]);
    // Nobody answers the other: after 3 s the sweeper (one replica, under a Redis lock) expires it.
    const r2 = await runWhen(expiredRun, (r) => r.status === 'succeeded');
    expect(r2.steps.map((s) => [s.stepId, s.status])).toEqual([
      ['revoke', 'expired'],
      ['after', 'succeeded'],
    ]);
    expect(r2.steps[1]!.output).toEqual({ note: 'revoke was expired' });
    const late = await api(`/tenants/${tenant}/approvals/${expiredRun}/revoke`, {
      method: 'POST',
      body: { decision: 'approve', actor: 'carol', reason: 'too late' },
    });
    expect(late.status).toBe(409);
    expect(http.on('/idp')).toHaveLength(0);
  });

  it('disables a failing destination, parks its deliveries, and delivers them on retry', async () => {
    http.status.set('/flaky', 503);
    const book = { id: 'int-flaky', version: 1 } as unknown as Parameters<typeof runIdFor>[2];
    const first = incident('flaky-1', 'new_tool');
    const second = incident('flaky-2', 'new_tool');
    const firstRun = runIdFor(tenant, first.incidentId, book);
    const secondRun = runIdFor(tenant, second.incidentId, book);
    // Two failed attempts: the step gives up.
    await publish(first);
    const r1 = await runWhen(firstRun, (r) => r.status === 'failed');
    expect(r1.steps[0]).toMatchObject({ status: 'failed', attempts: 2 });
    // The third consecutive failure disables it; the retry finds it disabled and parks.
    await publish(second);
    const r2 = await runWhen(secondRun, (r) => r.status === 'failed');
    expect(r2.steps[0]).toMatchObject({ status: 'failed' });
    const health =
      await api<{ name: string; disabled: boolean; parked: number }[]>('/destinations');
    expect(health.body.find((d) => d.name === 'flaky-hook')).toMatchObject({
      disabled: true,
      parked: 1,
      consecutiveFailures: 3,
    });
    const parked = await api<{ runId: string; stepId: string }[]>(
      '/destinations/flaky-hook/parked',
    );
    expect(parked.body).toEqual([expect.objectContaining({ runId: secondRun, stepId: 'page' })]);
    // The receiver is back: retry puts the step back in its run.
    http.status.set('/flaky', 200);
    const retried = await api<{ deliveries: number }>('/destinations/flaky-hook/parked', {
      method: 'POST',
      body: { decision: 'retry', actor: 'alice@example.com', reason: 'the hook is back' },
    });
    expect(retried).toEqual({
      status: 200,
      body: { destination: 'flaky-hook', decision: 'retry', deliveries: 1 },
    });
    const r3 = await runWhen(secondRun, (r) => r.status === 'succeeded');
    expect(r3.steps[0]).toMatchObject({ status: 'succeeded', attempts: 1 });
    const delivered = http.on('/flaky');
    expect(delivered).toHaveLength(1);
    expect(delivered[0]!.headers['idempotency-key']).toBe(`${secondRun}:page`);
    const after = await api<{ name: string; disabled: boolean; parked: number }[]>('/destinations');
    expect(after.body.find((d) => d.name === 'flaky-hook')).toMatchObject({
      disabled: false,
      parked: 0,
    });
    const unknown = await api('/destinations/nowhere/parked');
    expect(unknown.status).toBe(404);
  });

  it('picks up a new and a repaired playbook without a restart', async () => {
    writeFileSync(
      join(playbookDir, 'broken.yaml'),
      PLAYBOOKS['broken.yaml']!.replace('launch_missiles', 'annotate'),
    );
    const repaired = await eventually(() => playbookFor('int-broken'), {
      description: 'the repaired playbook to load',
    });
    expect(repaired.problems).toEqual([]);
    const late = incident('late', 'call_rate_spike', { severity: 'low' });
    await publish(late);
    const run = await runWhen(
      runIdFor(tenant, late.incidentId, {
        id: 'int-broken',
        version: 1,
      } as unknown as Parameters<typeof runIdFor>[2]),
      (r) => r.status === 'succeeded',
    );
    expect(run.steps.map((s) => s.stepId)).toEqual(['one']);
  });

  it('sends malformed incidents to the dead-letter topic and keeps going', async () => {
    await producer.send({
      topic: topics.incidents.name,
      messages: [
        { key: 'x', value: '{not json' },
        {
          key: 'y',
          value: JSON.stringify({ ...incident('bad', 'new_tool'), severity: 'apocalyptic' }),
        },
      ],
    });
    const dead = await eventually(() => {
      const d = recorder.on(topics.dlq.name).map((m) => m.value as DeadLetter);
      return d.length >= 2 ? d : undefined;
    });
    expect(dead.map((d) => d.reason.code).sort()).toEqual(['invalid_json', 'schema_violation']);
  });

  it('records what would have happened in dry-run mode, and does nothing', async () => {
    const dryPrefix = scratchPrefix(`${tag}-dry`);
    const dry = await startService(
      'response-engine',
      {
        ...serviceEnv,
        KAFKA_TOPIC_PREFIX: dryPrefix,
        RESPONSE_CONSUMER_GROUP: `${dryPrefix}respond`,
        REDIS_KEY_PREFIX: dryPrefix,
        RESPONSE_DRY_RUN: 'true',
      },
      { port: await freePort() },
    );
    try {
      const rehearsal = incident('dry', 'new_tool');
      await producer.send({
        topic: topicRegistry(dryPrefix).incidents.name,
        messages: [{ key: rehearsal.incidentId, value: JSON.stringify(rehearsal) }],
      });
      const runId = runIdFor(
        tenant,
        rehearsal.incidentId,
        { id: 'int-flaky', version: 1 } as unknown as Parameters<typeof runIdFor>[2],
        true,
      );
      const run = await eventually(
        async () => {
          const res = await fetch(`${dry.baseUrl}/v1/tenants/${tenant}/runs/${runId}`, {
            headers: auth(),
          });
          const body = (await res.json()) as RunView & { dryRun: boolean };
          return body.status === 'succeeded' ? body : undefined;
        },
        { description: 'the dry run to finish' },
      );
      expect(run.dryRun).toBe(true);
      expect(run.steps[0]).toMatchObject({
        stepId: 'page',
        status: 'dry_run',
        output: { dryRun: true, action: 'webhook', parameters: { destination: 'flaky-hook' } },
      });
      expect(http.on('/flaky').filter((d) => d.body.includes(rehearsal.incidentId))).toEqual([]);
    } finally {
      await dry.stop();
    }
  });

  it('finds a tampered audit entry and names it', async () => {
    const ok = await api<{ ok: boolean; entries: number }>('/audit/verify');
    expect(ok.body).toMatchObject({ ok: true });
    const { rows } = await pg.query<{ seq: string; body: string }>(
      `SELECT seq, body FROM audit_log WHERE tenant_id = $1 AND kind = 'step_approved' ORDER BY seq LIMIT 1`,
      [tenant],
    );
    const entry = rows[0]!;
    expect(JSON.parse(entry.body)).toMatchObject({ approver: 'alice@example.com' });
    await pg.query(`UPDATE audit_log SET body = $2 WHERE seq = $1`, [
      entry.seq,
      entry.body.replace('alice@example.com', 'mallory@example.com'),
    ]);
    try {
      const broken = await api<{ ok: boolean; seq: number; reason: string }>('/audit/verify');
      expect(broken.body).toMatchObject({ ok: false, seq: Number(entry.seq) });
    } finally {
      await pg.query(`UPDATE audit_log SET body = $2 WHERE seq = $1`, [entry.seq, entry.body]);
    }
    expect((await api<{ ok: boolean }>('/audit/verify')).body).toMatchObject({ ok: true });
  });
});
