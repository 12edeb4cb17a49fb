import { agentKey, type ThreatAlert, topicRegistry } from '@ward/contracts';
import { DETECTOR_TECHNIQUES, deterministicId } from '@ward/detectors';
import { createKafka } from '@ward/messaging';
import { callSeries, eventually, infraEnv } from '@ward/testing';
import { type Mesh, type ServiceName } from './mesh';

export const SEED_T0 = Date.UTC(2026, 0, 5, 9, 0);
export const SEED_AGENT = 'shared-agent';
export const SEED_DOMAIN = 'exfil.security-e2e.example';
const MINUTE = 60_000;

/** What one tenant has once seeded: an agent, an incident, a waiting approval, a proposed policy. */
export interface SeededTenant {
  readonly tenantId: string;
  readonly agentId: string;
  readonly incidentId: string;
  readonly runId: string;
  readonly stepId: string;
  readonly policyId: string;
}

/** A high-severity first use of shell.exec by SEED_AGENT, naming SEED_DOMAIN. */
export function seedAlert(tenantId: string): ThreatAlert {
  const at = new Date(SEED_T0 + 5 * MINUTE).toISOString();
  return {
    schemaVersion: 1,
    alertId: deterministicId('security-e2e', tenantId),
    tenantId,
    agentId: SEED_AGENT,
    severity: 'high',
    score: 0.8,
    riskScore: 80,
    summary: 'first use of shell.exec',
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
      sampleEventIds: ['e1'],
    },
    techniques: [...DETECTOR_TECHNIQUES.new_tool],
    detector: 'new_tool',
    tools: ['shell.exec'],
    iocs: { domains: [SEED_DOMAIN] },
  };
}

async function getJson(mesh: Mesh, service: ServiceName, path: string): Promise<unknown> {
  const res = await fetch(`${mesh.services[service].baseUrl}${path}`, {
    headers: { authorization: `Bearer ${mesh.adminToken}` },
  });
  if (res.status !== 200) {
    throw new Error(`${service} ${path} answered ${res.status}`);
  }
  return res.json();
}

/**
 * Gives each tenant the same agent name and the same indicator, through the
 * real pipeline: telemetry over HTTP with the tenant's ingest key (the monitor
 * profiles the agent), and one alert on the alerts topic (fusion opens an
 * incident, the response engine starts a run that waits for approval, the
 * policy generator proposes a policy). Waits until all of it is visible.
 */
export async function seedTenants(
  mesh: Mesh,
  tenants: readonly { readonly tenantId: string; readonly ingestKey: string }[],
): Promise<SeededTenant[]> {
  for (const t of tenants) {
    const res = await fetch(`${mesh.services['sentinel-ingest'].baseUrl}/v1/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${t.ingestKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(
        callSeries({
          tenantId: t.tenantId,
          agentId: SEED_AGENT,
          startMs: SEED_T0,
          windowMs: MINUTE,
          perWindow: [4, 4, 4],
        }),
      ),
    });
    if (res.status !== 202) {
      throw new Error(`seeding telemetry answered ${res.status}: ${await res.text()}`);
    }
  }
  const producer = createKafka({
    brokers: infraEnv().KAFKA_BROKERS.split(','),
    clientId: 'security-e2e-seed',
    topicPrefix: mesh.prefix,
    ensureTopics: false,
  }).producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    await producer.send({
      topic: topicRegistry(mesh.prefix).threatAlerts.name,
      messages: tenants.map((t) => ({
        key: agentKey(t.tenantId, SEED_AGENT),
        value: JSON.stringify(seedAlert(t.tenantId)),
      })),
    });
  } finally {
    await producer.disconnect();
  }
  const seeded: SeededTenant[] = [];
  for (const { tenantId } of tenants) {
    const wait = <T>(description: string, probe: () => Promise<T | undefined>) =>
      eventually(probe, { timeoutMs: 60_000, description: `${description} of ${tenantId}` });
    const incident = await wait('an incident', async () => {
      const body = (await getJson(mesh, 'fusion', `/v1/tenants/${tenantId}/incidents`)) as {
        incidents: { incidentId: string }[];
      };
      return body.incidents[0];
    });
    const approval = await wait('a pending approval', async () => {
      const body = (await getJson(
        mesh,
        'response-engine',
        `/v1/tenants/${tenantId}/approvals`,
      )) as { runId: string; stepId: string }[];
      return body[0];
    });
    const policy = await wait('a proposed policy', async () => {
      const body = (await getJson(
        mesh,
        'policy-generator',
        `/v1/tenants/${tenantId}/policies`,
      )) as { policies: { policyId: string }[] };
      return body.policies[0];
    });
    await wait("the monitor's profile", async () => {
      const body = (await getJson(
        mesh,
        'behavioral-monitor',
        `/v1/tenants/${tenantId}/agents`,
      )) as { agentId: string }[];
      return body.some((a) => a.agentId === SEED_AGENT) ? true : undefined;
    });
    seeded.push({
      tenantId,
      agentId: SEED_AGENT,
      incidentId: incident.incidentId,
      runId: approval.runId,
      stepId: approval.stepId,
      policyId: policy.policyId,
    });
  }
  return seeded;
}
