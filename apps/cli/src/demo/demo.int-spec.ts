import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Incident, type Policy, type ThreatAlert, topicRegistry } from '@ward/contracts';
import { eventually, TopicRecorder, uniqueTag } from '@ward/testing';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { type Mesh, startMesh } from '../testing/mesh';
import { runWard, type WardRun } from '../testing/run-ward';
import { alertLabel, type Expectation, latestVersions } from './expectation';
import { SCENARIO_DIR, scenarioNames } from './scenario';

/**
 * Every storyline of deploy/demo/scenarios played by `ward demo <name>` (a
 * real process) through the five real services, then checked independently
 * of the CLI, from the topics and the APIs, against its expectation file:
 * exactly the alerts listed per agent once the monitor has read every event,
 * one incident of that severity, the playbooks, the approved step's outcome,
 * the active policy, and the enforcement alert.
 */
const names = scenarioNames();

describe('ward demo, every storyline through the real mesh', () => {
  let mesh: Mesh;
  let kafka: Kafka;
  let recorder: TopicRecorder;
  let pg: Client;
  const runs = new Map<string, { tenant: string; result: WardRun }>();

  beforeAll(async () => {
    mesh = await startMesh('cli-demo');
    kafka = new Kafka({
      clientId: 'cli-demo-test',
      brokers: mesh.infra.KAFKA_BROKERS.split(','),
      logLevel: logLevel.NOTHING,
    });
    const topics = topicRegistry(mesh.prefix);
    recorder = await new TopicRecorder(
      kafka,
      [topics.threatAlerts.name, topics.incidents.name],
      `${mesh.prefix}recorder`,
    ).start();
    pg = new Client({ connectionString: mesh.infra.DATABASE_URL });
    await pg.connect();
  }, 240_000);

  afterAll(async () => {
    await recorder?.stop();
    await pg?.end();
    await mesh?.stop();
  });

  const api = async <T>(base: string, path: string): Promise<T> => {
    const res = await fetch(`${base}/v1${path}`, {
      headers: { authorization: `Bearer ${mesh.token}` },
    });
    expect(res.status).toBe(200);
    return (await res.json()) as T;
  };

  async function highWatermark(topic: string): Promise<number> {
    const admin = kafka.admin();
    await admin.connect();
    try {
      return (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high), 0);
    } finally {
      await admin.disconnect();
    }
  }

  /** Waits until the monitor has checkpointed every event so far, and the recorder has every alert. */
  async function drained(): Promise<void> {
    const topics = topicRegistry(mesh.prefix);
    const events = await highWatermark(topics.behavioralEvents.name);
    await eventually(
      async () => {
        const { rows } = await pg.query<{ n: string }>(
          'SELECT coalesce(sum(next_offset), 0) AS n FROM monitor_offsets WHERE consumer_group = $1',
          [`${mesh.prefix}monitor`],
        );
        return Number(rows[0]!.n) >= events ? true : undefined;
      },
      { timeoutMs: 90_000, description: `the monitor to checkpoint all ${events} events` },
    );
    const alerts = await highWatermark(topics.threatAlerts.name);
    await eventually(
      () => (recorder.on(topics.threatAlerts.name).length >= alerts ? true : undefined),
      {
        description: `the recorder to read all ${alerts} alerts`,
      },
    );
  }

  it.each(names)('%s: ward demo narrates the whole chain and its check passes', async (name) => {
    const tenant = uniqueTag(`demo-${name}`).replace(/[^A-Za-z0-9-]/g, '');
    const key = await fetch(`${mesh.services.ingest.baseUrl}/v1/api-keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${mesh.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ tenantId: tenant, name: 'demo-test' }),
    });
    expect(key.status).toBe(201);
    const { key: apiKey } = (await key.json()) as { key: string };
    const result = await runWard(['demo', name, '--yes', '--tenant', tenant, '--timeout', '90'], {
      ...mesh.cliEnv,
      WARD_API_KEY: apiKey,
      NO_COLOR: '1',
    });
    runs.set(name, { tenant, result });
    // On failure the whole narration is in the diff: it says which stage did not happen.
    expect({
      code: result.code,
      stderr: result.stderr,
      out: result.code === 0 ? '' : result.stdout,
    }).toEqual({
      code: 0,
      stderr: '',
      out: '',
    });
    const e = JSON.parse(
      readFileSync(join(SCENARIO_DIR, `${name}.expected.json`), 'utf8'),
    ) as Expectation;
    for (const stage of [
      '① events',
      '② alerts',
      '③ incident',
      '④ playbook',
      '⑤ approval',
      '⑥ policy',
    ]) {
      expect(result.stdout).toContain(stage);
    }
    if (e.enforcement !== null) {
      expect(result.stdout).toContain('⑦ enforcement');
    }
    expect(result.stdout).toContain(`Check against deploy/demo/scenarios/${name}.expected.json`);
    const verdict = result.stdout.slice(result.stdout.indexOf('Check against'));
    expect(verdict).not.toContain('✗');
    expect(verdict.match(/✓/g)?.length).toBeGreaterThanOrEqual(5);
  });

  it.each(names)('%s: the mesh produced exactly what the expectation says', async (name) => {
    const played = runs.get(name);
    expect(played?.result.code).toBe(0);
    const { tenant } = played!;
    const e = JSON.parse(
      readFileSync(join(SCENARIO_DIR, `${name}.expected.json`), 'utf8'),
    ) as Expectation;
    await drained();
    const topics = topicRegistry(mesh.prefix);
    const alerts = recorder
      .on(topics.threatAlerts.name)
      .map((m) => m.value as ThreatAlert)
      .filter((a) => a.tenantId === tenant);
    const probeAgent = e.enforcement?.probe['agentId'];
    const enforcement = alerts.filter((a) => a.detector === 'policy_violation');
    for (const [agent, want] of Object.entries(e.alerts)) {
      const got = alerts
        .filter((a) => a.agentId === agent && a.detector !== 'policy_violation')
        .map(alertLabel);
      expect({ agent, alerts: got.sort() }).toEqual({ agent, alerts: [...want].sort() });
    }
    expect(enforcement.map(alertLabel)).toEqual(e.enforcement?.alerts ?? []);
    if (probeAgent !== undefined) {
      expect(enforcement.every((a) => a.agentId === probeAgent)).toBe(true);
    }
    const incidents = latestVersions(
      recorder
        .on(topics.incidents.name)
        .map((m) => m.value as Incident)
        .filter((i) => i.tenantId === tenant),
    );
    expect(incidents.map((i) => ({ severity: i.severity, agents: [...i.agents].sort() }))).toEqual(
      e.incident === null
        ? []
        : [
            {
              // The enforcement probe's violation joins the storyline's incident and may raise it.
              severity: e.enforcement?.incident ?? e.incident.severity,
              agents: [...e.incident.agents].sort(),
            },
          ],
    );
    const incident = incidents[0]!;
    const runsOf = await api<{ runId: string; playbookId: string }[]>(
      mesh.services.response.baseUrl,
      `/tenants/${tenant}/incidents/${incident.incidentId}/runs`,
    );
    expect(runsOf.map((r) => r.playbookId).sort()).toEqual([...e.playbooks].sort());
    if (e.approval !== null) {
      const run = runsOf.find((r) => r.playbookId === e.approval!.playbook)!;
      const detail = await api<{
        steps: { stepId: string; action: string; status: string; approver?: string }[];
      }>(mesh.services.response.baseUrl, `/tenants/${tenant}/runs/${run.runId}`);
      expect(detail.steps.find((s) => s.stepId === e.approval!.step)).toMatchObject({
        action: e.approval.action,
        status: e.approval.outcome,
        approver: 'ward-cli-test@example.com',
      });
    }
    if (e.policy !== null) {
      const { policies } = await api<{ policies: Policy[] }>(
        mesh.services.policy.baseUrl,
        `/tenants/${tenant}/policies?status=active`,
      );
      expect(
        policies.map((p) => ({ kind: p.kind, subject: p.subject, activatedBy: p.activatedBy })),
      ).toEqual([
        {
          kind: e.policy.kind,
          subject: e.policy.subject,
          activatedBy: 'ward-cli-test@example.com',
        },
      ]);
    }
  });
});
