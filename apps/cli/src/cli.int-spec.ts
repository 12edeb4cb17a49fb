import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type BehavioralEvent,
  type Incident,
  type Policy,
  type ThreatAlert,
  topicRegistry,
} from '@ward/contracts';
import { eventually, TopicRecorder, uniqueTag } from '@ward/testing';
import { Kafka, logLevel } from 'kafkajs';
import { type PendingApproval } from './commands/approvals.command';
import { type TopicReport } from './commands/topics.command';
import { SCENARIO_DIR } from './demo/scenario';
import { type Mesh, startMesh } from './testing/mesh';
import { runWard } from './testing/run-ward';

/**
 * Every `ward` command as a real process against the five real services,
 * Kafka, PostgreSQL and Redis: what it prints, what it changes, and its exit
 * code. `ward doctor` also against dependencies that are not there (closed
 * ports), where it must say exactly what is wrong and exit 1.
 */
const file = (name: string) => join(SCENARIO_DIR, `${name}.jsonl`);

async function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describe('ward against the running services', () => {
  let mesh: Mesh;
  let env: Record<string, string>;
  let recorder: TopicRecorder;
  const tenant = uniqueTag('cli').replace(/[^A-Za-z0-9-]/g, '');
  const other = `${tenant}-b`;
  let key: string;
  let otherKey: string;

  const ward = (args: string[], options: { stdin?: string; apiKey?: string } = {}) =>
    runWard(args, { ...env, ...(options.apiKey && { WARD_API_KEY: options.apiKey }) }, options);

  async function apiKey(t: string): Promise<string> {
    const res = await fetch(`${mesh.services.ingest.baseUrl}/v1/api-keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${mesh.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ tenantId: t, name: 'cli-test' }),
    });
    expect(res.status).toBe(201);
    return ((await res.json()) as { key: string }).key;
  }

  beforeAll(async () => {
    mesh = await startMesh('cli-cmds');
    env = { ...mesh.cliEnv, NO_COLOR: '1' };
    const kafka = new Kafka({
      clientId: 'cli-test',
      brokers: mesh.infra.KAFKA_BROKERS.split(','),
      logLevel: logLevel.NOTHING,
    });
    const topics = topicRegistry(mesh.prefix);
    recorder = await new TopicRecorder(
      kafka,
      [topics.behavioralEvents.name, topics.incidents.name],
      `${mesh.prefix}recorder`,
    ).start();
    [key, otherKey] = await Promise.all([apiKey(tenant), apiKey(other)]);
  }, 240_000);

  afterAll(async () => {
    await recorder?.stop();
    await mesh?.stop();
  });

  it('doctor: every check passes against the running mesh', async () => {
    const r = await ward(['doctor']);
    expect({ code: r.code, out: r.stdout }).toMatchObject({ code: 0 });
    expect(r.stdout).toContain('✓ Kafka at');
    expect(r.stdout).toContain(`all 8 Ward topics exist (prefix ${mesh.prefix})`);
    expect(r.stdout).toContain(
      "✓ fusion's API accepts ward's token (FUSION_ADMIN_TOKEN from the environment)",
    );
    expect(r.stdout).toMatch(/all \d+ checks passed/);
    const json = JSON.parse((await ward(['doctor', '--json'])).stdout) as {
      ok: boolean;
      checks: unknown[];
    };
    expect(json.ok).toBe(true);
  });

  it('doctor: says exactly what is down and what to do, and exits 1', async () => {
    const [kafka, pg, redis, svc] = await Promise.all([
      closedPort(),
      closedPort(),
      closedPort(),
      closedPort(),
    ]);
    const r = await ward([
      'doctor',
      '--brokers',
      `127.0.0.1:${kafka}`,
      '--database-url',
      `postgres://ward:ward@127.0.0.1:${pg}/ward`,
      '--redis-url',
      `redis://127.0.0.1:${redis}`,
      '--fusion-url',
      `http://127.0.0.1:${svc}`,
      '--timeout',
      '2',
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      `✗ Kafka at 127.0.0.1:${kafka} refused the connection\n  → run \`npm run infra -- up\`; check KAFKA_BROKERS (from --brokers)`,
    );
    expect(r.stdout).toContain(
      `✗ PostgreSQL at 127.0.0.1:${pg} refused the connection\n  → run \`npm run infra -- up\`; check DATABASE_URL (from --database-url)`,
    );
    expect(r.stdout).toContain(
      `✗ Redis at 127.0.0.1:${redis} refused the connection\n  → run \`npm run infra -- up\`; check REDIS_URL (from --redis-url)`,
    );
    expect(r.stdout).toContain(
      `✗ fusion at http://127.0.0.1:${svc} refused the connection\n  → start Ward with \`npm start\``,
    );
    expect(r.stdout).toContain('✓ sentinel-ingest at');
    expect(r.stdout).toMatch(/4 of \d+ checks failed/);
  });

  it('doctor: names a token the services do not take', async () => {
    const r = await ward(['doctor', '--token', 'not-the-token']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("✗ fusion refused ward's token (FUSION_ADMIN_TOKEN from --token)");
  });

  it('send: posts a JSONL file with the tenant key and reports the answer', async () => {
    const r = await ward(['send', file('runaway'), '--tenant', tenant, '--now'], { apiKey: key });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^✓ 312 accepted, 0 rejected, 0 duplicates, 0 inline alerts → sentinel-ingest/,
    );
    const again = await ward(['send', file('runaway'), '--tenant', tenant, '--json', '--now'], {
      apiKey: key,
    });
    expect(JSON.parse(again.stdout)).toMatchObject({ accepted: 0, rejected: 0, duplicates: 312 });
  });

  it('send: exits 1 naming each rejected line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ward-send-'));
    const path = join(dir, 'bad.jsonl');
    writeFileSync(
      path,
      '{"agentId":"ok-agent","action":"x","timestamp":1767225600}\nnot json\n{"action":"no agent"}\n',
    );
    const r = await ward(['send', path, '--tenant', tenant], { apiKey: key });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('✓ 1 accepted, 1 rejected');
    expect(r.stderr).toContain(`${path}:2  not JSON`);
    expect(r.stderr).toContain(`${path}:3  `);
  });

  it('send: publishes stdin to the raw topic over Kafka with the tenant set', async () => {
    const lines = [0, 1, 2]
      .map((i) =>
        JSON.stringify({
          eventId: `kafka-${i}`,
          agentId: 'kafka-agent',
          action: 'search',
          timestamp: 1767225600 + i,
        }),
      )
      .join('\n');
    const r = await ward(['send', '-', '--via', 'kafka', '--tenant', tenant], { stdin: lines });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`✓ 3 accepted`);
    const topics = topicRegistry(mesh.prefix);
    await eventually(() =>
      recorder
        .on(topics.behavioralEvents.name)
        .filter(
          (m) =>
            (m.value as BehavioralEvent).tenantId === tenant &&
            (m.value as BehavioralEvent).agentId === 'kafka-agent',
        ).length === 3
        ? true
        : undefined,
    );
  });

  it('replay: plays a folder in event-time order', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ward-replay-'));
    writeFileSync(join(dir, 'a.jsonl'), readFileSync(file('credential-probing')));
    writeFileSync(join(dir, 'b.expected.json'), '{"ignored": true}');
    const r = await ward(['replay', dir, '--speed', 'max', '--now', '--tenant', other], {
      apiKey: otherKey,
    });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('replaying 121 records from 1 file');
    expect(r.stdout).toContain('✓ 121 accepted, 0 rejected');
  });

  it('tail: prints the alerts so far and stops at --count', async () => {
    const r = await ward([
      'tail',
      'alerts',
      '--from-beginning',
      '--tenant',
      tenant,
      '--count',
      '3',
      '--json',
      '--timeout',
      '60',
    ]);
    expect(r.code).toBe(0);
    const alerts = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as ThreatAlert);
    expect(alerts.map((a) => `${a.agentId} ${a.detector}:${a.severity}`).sort()).toEqual([
      'procurement-agent call_rate_spike:critical',
      'procurement-agent call_rate_spike:high',
      'procurement-agent call_rate_spike:medium',
    ]);
    const pretty = await ward([
      'tail',
      'alerts',
      '--from-beginning',
      '--tenant',
      tenant,
      '--count',
      '1',
      '--timeout',
      '60',
    ]);
    expect(pretty.stdout).toMatch(
      /^\d\d:\d\d:\d\d {2}(MEDIUM|HIGH|CRITICAL)\s+call_rate_spike {2}procurement-agent {2}risk/,
    );
  });

  it('tail: exits 1 when fewer records than --count arrive in time', async () => {
    const r = await ward([
      'tail',
      'policies',
      '--tenant',
      'nobody-here',
      '--count',
      '1',
      '--timeout',
      '2',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('0 of 1 records within 2 s');
  });

  it('agents: by risk, filtered by tier', async () => {
    await eventually(async () => {
      const r = await ward(['agents', '--tenant', tenant, '--json']);
      const agents = JSON.parse(r.stdout) as { agentId: string; tier: number }[];
      return agents.some((a) => a.agentId === 'procurement-agent' && a.tier === 4)
        ? true
        : undefined;
    });
    const quarantined = await ward(['agents', '--tenant', tenant, '--tier', '4']);
    expect(quarantined.code).toBe(0);
    expect(quarantined.stdout).toMatch(/^AGENT\s+TIER\s+RISK/);
    expect(quarantined.stdout).toContain('procurement-agent');
    expect(quarantined.stdout).not.toContain('support-bot');
    const bad = await ward(['agents', '--tenant', tenant, '--tier', '9']);
    expect(bad.code).toBe(2);
  });

  let incidentId: string;

  it('incidents and incident: the list, then one with its timeline, graph and runs', async () => {
    const topics = topicRegistry(mesh.prefix);
    const incident = await eventually(() =>
      recorder
        .on(topics.incidents.name)
        .map((m) => m.value as Incident)
        .find((i) => i.tenantId === tenant && i.severity === 'critical'),
    );
    incidentId = incident.incidentId;
    const list = await ward(['incidents', '--tenant', tenant]);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain(incidentId.slice(0, 8));
    expect(list.stdout).toContain('CRITICAL');
    await eventually(async () => {
      const r = await ward(['approvals', '--tenant', tenant, '--json']);
      return (JSON.parse(r.stdout) as PendingApproval[]).length > 0 ? true : undefined;
    });
    const one = await ward(['incident', incidentId.slice(0, 10), '--tenant', tenant]);
    expect(one.code).toBe(0);
    for (const part of [
      'Narrative',
      'Timeline',
      'Graph',
      'Response',
      'agent procurement-agent',
      '● CRITICAL call_rate_spike',
      'runaway-agent',
      '⏸ quarantine',
    ]) {
      expect(one.stdout).toContain(part);
    }
    const missing = await ward(['incident', 'ffff', '--tenant', tenant]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no incident ffff');
  });

  it('approvals, approve and reject: a person decides, with a reason', async () => {
    const pending = JSON.parse(
      (await ward(['approvals', '--tenant', tenant, '--json'])).stdout,
    ) as PendingApproval[];
    const step = pending.find((p) => p.incidentId === incidentId && p.stepId === 'quarantine')!;
    const table = await ward(['approvals', '--tenant', tenant]);
    expect(table.stdout).toContain(step.runId.slice(0, 12));
    const noReason = await ward(['approve', step.runId.slice(0, 8)]);
    expect(noReason.code).toBe(2);
    const ok = await ward([
      'approve',
      step.runId.slice(0, 8),
      'quarantine',
      '--reason',
      'confirmed',
    ]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain(
      `✓ approved quarantine (quarantine) of runaway-agent, run ${step.runId.slice(0, 12)}, tenant ${tenant}, as ward-cli-test@example.com`,
    );
    const twice = await ward([
      'approve',
      step.runId.slice(0, 8),
      'quarantine',
      '--reason',
      'again',
    ]);
    expect(twice.code).toBe(1);
    expect(twice.stderr).toContain('no waiting run');
    const revoke = await eventually(async () => {
      const rows = JSON.parse(
        (await ward(['approvals', '--tenant', other, '--json'])).stdout,
      ) as PendingApproval[];
      return rows.find((p) => p.stepId === 'revoke');
    });
    const rejected = await ward([
      'reject',
      `${revoke.runId}/revoke`,
      '--tenant',
      other,
      '--reason',
      'a test account',
    ]);
    expect(rejected.code).toBe(0);
    expect(rejected.stdout).toContain('✗ rejected revoke (revoke_credentials) of brute-force');
    const steps = await fetch(
      `${mesh.services.response.baseUrl}/v1/tenants/${other}/runs/${revoke.runId}`,
      {
        headers: { authorization: `Bearer ${mesh.token}` },
      },
    );
    const run = (await steps.json()) as {
      steps: { stepId: string; status: string; approver?: string; reason?: string }[];
    };
    expect(run.steps.find((s) => s.stepId === 'revoke')).toMatchObject({
      status: 'rejected',
      approver: 'ward-cli-test@example.com',
      reason: 'a test account',
    });
  });

  it('policies and policy approve: a proposal becomes active', async () => {
    const proposal = await eventually(async () => {
      const r = await ward(['policies', '--tenant', tenant, '--status', 'proposed', '--json']);
      return (JSON.parse(r.stdout) as Policy[]).find((p) => p.kind === 'rate_ceiling');
    });
    const table = await ward(['policies', '--tenant', tenant]);
    expect(table.stdout).toMatch(/CONF\s+STATUS\s+KIND/);
    expect(table.stdout).toContain(proposal.policyId.slice(0, 8));
    const show = await ward(['policy', 'show', proposal.policyId.slice(0, 8), '--tenant', tenant]);
    expect(show.code).toBe(0);
    for (const part of ['confidence', 'Evidence', 'History', 'Rego', 'package ward']) {
      expect(show.stdout).toContain(part);
    }
    const approved = await ward([
      'policy',
      'approve',
      proposal.policyId.slice(0, 8),
      '--tenant',
      tenant,
      '--reason',
      'seen it',
    ]);
    expect(approved.code).toBe(0);
    expect(approved.stdout).toContain(`✓ ${proposal.title}: active`);
    const again = await ward([
      'policy',
      'approve',
      proposal.policyId,
      '--tenant',
      tenant,
      '--reason',
      'again',
    ]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('cannot be approved from its status');
    const retired = await ward([
      'policy',
      'retire',
      proposal.policyId,
      '--tenant',
      tenant,
      '--reason',
      'done',
      '--json',
    ]);
    expect(JSON.parse(retired.stdout)).toMatchObject({
      policyId: proposal.policyId,
      status: 'retired',
    });
  });

  it('topics: every Ward topic with its partitions and the services lag', async () => {
    const r = await ward(['topics', '--json']);
    expect(r.code).toBe(0);
    const reports = JSON.parse(r.stdout) as TopicReport[];
    const events = reports.find((t) => t.topic === `${mesh.prefix}ward.behavioral-events.v1`)!;
    expect(events).toMatchObject({ exists: true, partitions: 6 });
    expect(events.messages).toBeGreaterThan(400);
    expect(events.groups.map((g) => g.group)).toContain(`${mesh.prefix}monitor`);
    expect(reports).toHaveLength(8);
    const table = await ward(['topics']);
    expect(table.stdout).toMatch(/TOPIC\s+PARTITIONS\s+MESSAGES\s+CONSUMER GROUP\s+LAG/);
  });

  it('usage errors exit 2 and point at the help', async () => {
    const r = await ward(['tail']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'ward: missing <stream>: alerts, incidents, actions or policies.\nsee: ward tail --help\n',
    );
  });
});
