import { callSeries, eventually, infraEnv, uniqueTag } from '@ward/testing';
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import { type Mesh, SERVICES, type ServiceName, startMesh } from './mesh';
import { findSecrets } from './secret-scan';
import { SEED_AGENT as AGENT, SEED_T0 as T0, seedTenants } from './seed';

/**
 * The five services as real processes, two tenants with the same agent name
 * and the same indicator, and every kind of credential: each tenant's
 * resources (agents, incidents and their alerts, runs, approvals, policies,
 * API keys) are visible to its own keys only; another tenant's answer 404,
 * as if they did not exist. Roles gate what a key may do; OIDC tokens from a
 * local identity provider work like keys; the logs never show a secret.
 */
const ROOT = join(__dirname, '../../..');
const MINUTE = 60_000;

type Role = 'ingest' | 'analyst' | 'approver' | 'admin';
interface Tenant {
  readonly id: string;
  readonly keys: Record<Role, string>;
  incidentId: string;
  runId: string;
  stepId: string;
  policyId: string;
  keyIds: string[];
}

interface Answer {
  readonly status: number;
  readonly body: unknown;
}

describe('security across the mesh: authentication, roles, tenant isolation', () => {
  let mesh: Mesh;
  const tenants: Record<'a' | 'b', Tenant> = {} as never;
  const oidcTokens: string[] = [];
  const refusedSecrets: string[] = [];

  async function api(
    service: ServiceName,
    path: string,
    credential?: string | { header: string; value: string },
    init: { method?: string; body?: unknown } = {},
  ): Promise<Answer> {
    const headers: Record<string, string> = {};
    if (typeof credential === 'string') {
      headers.authorization = `Bearer ${credential}`;
    } else if (credential !== undefined) {
      headers[credential.header] = credential.value;
    }
    if (init.body !== undefined) {
      headers['content-type'] = 'application/json';
    }
    const res = await fetch(`${mesh.services[service].baseUrl}${path}`, {
      method: init.method ?? 'GET',
      headers,
      ...(init.body !== undefined && { body: JSON.stringify(init.body) }),
    });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, body };
  }

  beforeAll(async () => {
    mesh = await startMesh('security', { logLevel: 'debug' });
    for (const side of ['a', 'b'] as const) {
      const id = uniqueTag(`tenant-${side}`);
      const keys = {} as Record<Role, string>;
      for (const role of ['ingest', 'analyst', 'approver', 'admin'] as const) {
        keys[role] = await mesh.createKey(id, [role], `${side}-${role}`);
      }
      tenants[side] = { id, keys, incidentId: '', runId: '', stepId: '', policyId: '', keyIds: [] };
    }
    const seeded = await seedTenants(
      mesh,
      Object.values(tenants).map((t) => ({ tenantId: t.id, ingestKey: t.keys.ingest })),
    );
    for (const [i, t] of Object.values(tenants).entries()) {
      Object.assign(t, seeded[i]);
      const keys = await api('sentinel-ingest', `/v1/api-keys?tenantId=${t.id}`, mesh.adminToken);
      t.keyIds = (keys.body as { id: string }[]).map((k) => k.id);
    }
  }, 240_000);

  afterAll(async () => {
    await mesh?.stop();
  });

  it('refuses every /v1 operation of every service without a credential, and keeps the probes open', async () => {
    for (const service of SERVICES) {
      const doc = await api(service, '/docs/json');
      const paths = (doc.body as { paths: Record<string, Record<string, unknown>> }).paths;
      const operations = Object.entries(paths).flatMap(([path, methods]) =>
        Object.keys(methods).map((method) => ({ path, method: method.toUpperCase() })),
      );
      expect(operations.length).toBeGreaterThan(0);
      for (const op of operations) {
        const path = op.path.replace(/\{[^}]+\}/g, (p) =>
          p === '{tenantId}' ? tenants.a.id : '00000000000000000000000000000000',
        );
        const res = await api(service, path, undefined, { method: op.method });
        expect({ service, ...op, status: res.status }).toEqual({ service, ...op, status: 401 });
        const bad = `ward_zzzzzzzz_${uniqueTag('wrongkey')}`;
        refusedSecrets.push(bad);
        const wrong = await api(
          service,
          path,
          { header: 'x-api-key', value: bad },
          { method: op.method },
        );
        expect({ service, ...op, status: wrong.status }).toEqual({ service, ...op, status: 401 });
      }
      expect((await api(service, '/healthz')).status).toBe(200);
      expect((await api(service, '/readyz')).status).toBe(200);
    }
  });

  it('answers 404 on every tenant-scoped operation when the caller belongs to another tenant', async () => {
    for (const service of SERVICES) {
      const doc = await api(service, '/docs/json');
      const paths = (doc.body as { paths: Record<string, Record<string, unknown>> }).paths;
      for (const [template, methods] of Object.entries(paths)) {
        if (!template.includes('{tenantId}') || template.endsWith('bundle.tar.gz')) {
          continue;
        }
        for (const method of Object.keys(methods)) {
          const path = template
            .replace('{tenantId}', tenants.b.id)
            .replace(/\{[^}]+\}/g, '00000000000000000000000000000000');
          const res = await api(service, path, tenants.a.keys.admin, {
            method: method.toUpperCase(),
            ...(method !== 'get' && { body: {} }),
          });
          expect({ service, template, method, status: res.status }).toEqual({
            service,
            template,
            method,
            status: 404,
          });
        }
      }
    }
  });

  it('agents: a tenant sees and changes its own agent only', async () => {
    const { a, b } = tenants;
    const own = await api(
      'behavioral-monitor',
      `/v1/tenants/${a.id}/agents/${AGENT}`,
      a.keys.analyst,
    );
    expect(own.status).toBe(200);
    expect(own.body).toMatchObject({ tenantId: a.id, agentId: AGENT });
    expect(
      (await api('behavioral-monitor', `/v1/tenants/${b.id}/agents/${AGENT}`, a.keys.admin)).status,
    ).toBe(404);
    expect(
      (await api('behavioral-monitor', `/v1/tenants/${b.id}/agents`, a.keys.analyst)).status,
    ).toBe(404);
    const tier = { tier: 3, reason: 'security test', actor: 'mallory@example.com' };
    expect(
      (
        await api('behavioral-monitor', `/v1/tenants/${b.id}/agents/${AGENT}/tier`, a.keys.admin, {
          method: 'PUT',
          body: tier,
        })
      ).status,
    ).toBe(404);
    expect(
      (
        await api(
          'behavioral-monitor',
          `/v1/tenants/${a.id}/agents/${AGENT}/tier`,
          a.keys.analyst,
          { method: 'PUT', body: tier },
        )
      ).status,
    ).toBe(403);
    const set = await api(
      'behavioral-monitor',
      `/v1/tenants/${a.id}/agents/${AGENT}/tier`,
      a.keys.approver,
      {
        method: 'PUT',
        body: tier,
      },
    );
    expect(set.status).toBe(200);
    // A NUL (which PostgreSQL text cannot hold) is refused before any query, not a 500.
    expect(
      (await api('behavioral-monitor', `/v1/tenants/${a.id}/agents/x%00y`, a.keys.analyst)).status,
    ).toBe(400);
    const after = await api(
      'behavioral-monitor',
      `/v1/tenants/${b.id}/agents/${AGENT}`,
      b.keys.analyst,
    );
    expect(after.body).toMatchObject({ configuredTier: null });
    expect(
      (
        await api('behavioral-monitor', `/v1/tenants/${a.id}/detector-settings`, a.keys.approver, {
          method: 'PUT',
          body: { overrides: { sigma: 6 }, reason: 'r', actor: 'a' },
        })
      ).status,
    ).toBe(403);
  });

  it('incidents and their alerts: never correlated across tenants, never shown to another tenant', async () => {
    const { a, b } = tenants;
    const detail = await api(
      'fusion',
      `/v1/tenants/${a.id}/incidents/${a.incidentId}`,
      a.keys.analyst,
    );
    expect(detail.status).toBe(200);
    const alerts = (detail.body as { alerts: { tenantId: string }[] }).alerts;
    expect(alerts.length).toBeGreaterThan(0);
    expect(alerts.every((x) => x.tenantId === a.id)).toBe(true);
    expect(a.incidentId).not.toBe(b.incidentId);
    const list = await api('fusion', `/v1/tenants/${a.id}/incidents`, a.keys.analyst);
    expect(
      (list.body as { incidents: { incidentId: string }[] }).incidents.map((i) => i.incidentId),
    ).not.toContain(b.incidentId);
    // B's incident id under A's own tenant path: not there.
    for (const suffix of ['', '/graph']) {
      expect(
        (
          await api(
            'fusion',
            `/v1/tenants/${a.id}/incidents/${b.incidentId}${suffix}`,
            a.keys.admin,
          )
        ).status,
      ).toBe(404);
      expect(
        (
          await api(
            'fusion',
            `/v1/tenants/${b.id}/incidents/${b.incidentId}${suffix}`,
            a.keys.admin,
          )
        ).status,
      ).toBe(404);
    }
    const change = { status: 'false_positive', reason: 'hide it', actor: 'mallory' };
    expect(
      (
        await api('fusion', `/v1/tenants/${a.id}/incidents/${b.incidentId}/status`, a.keys.admin, {
          method: 'POST',
          body: change,
        })
      ).status,
    ).toBe(404);
    const still = await api(
      'fusion',
      `/v1/tenants/${b.id}/incidents/${b.incidentId}`,
      b.keys.analyst,
    );
    expect(still.body).toMatchObject({ incident: { status: 'open' } });
    expect((await api('fusion', `/v1/tenants/${a.id}/incidents`, a.keys.ingest)).status).toBe(403);
  });

  it('runs and approvals: another tenant cannot see or decide them; analysts cannot decide at all', async () => {
    const { a, b } = tenants;
    expect(
      (await api('response-engine', `/v1/tenants/${a.id}/runs/${a.runId}`, a.keys.analyst)).status,
    ).toBe(200);
    expect(
      (await api('response-engine', `/v1/tenants/${a.id}/runs/${b.runId}`, a.keys.admin)).status,
    ).toBe(404);
    expect(
      (await api('response-engine', `/v1/tenants/${b.id}/runs/${b.runId}`, a.keys.admin)).status,
    ).toBe(404);
    const runs = await api(
      'response-engine',
      `/v1/tenants/${a.id}/incidents/${b.incidentId}/runs`,
      a.keys.admin,
    );
    expect(runs.body).toEqual([]);
    const pending = await api('response-engine', '/v1/approvals', a.keys.analyst);
    const tenantsSeen = new Set((pending.body as { tenantId: string }[]).map((p) => p.tenantId));
    expect([...tenantsSeen]).toEqual([a.id]);

    const decision = { decision: 'approve', reason: 'looks right', actor: 'mallory@example.com' };
    const decide = (t: Tenant, path: Tenant, credential: string) =>
      api(
        'response-engine',
        `/v1/tenants/${path.id}/approvals/${t.runId}/${t.stepId}`,
        credential,
        {
          method: 'POST',
          body: decision,
        },
      );
    expect((await decide(b, a, a.keys.admin)).status).toBe(404);
    expect((await decide(b, b, a.keys.admin)).status).toBe(404);
    expect((await decide(a, a, a.keys.analyst)).status).toBe(403);
    expect((await decide(a, a, a.keys.ingest)).status).toBe(403);
    const stillWaiting = await api(
      'response-engine',
      `/v1/tenants/${b.id}/approvals`,
      b.keys.analyst,
    );
    expect((stillWaiting.body as { runId: string }[]).map((p) => p.runId)).toContain(b.runId);

    expect((await decide(b, b, b.keys.approver)).status).toBe(202);
    const run = await eventually(async () => {
      const res = await api(
        'response-engine',
        `/v1/tenants/${b.id}/runs/${b.runId}`,
        b.keys.analyst,
      );
      const step = (res.body as { steps: { stepId: string; approver?: string }[] }).steps.find(
        (s) => s.stepId === b.stepId,
      );
      return step?.approver !== undefined ? step : undefined;
    });
    // The recorded approver is the authenticated key, not what the body claimed.
    expect(run.approver).toMatch(/^api-key:b-approver \(/);

    expect((await api('response-engine', '/v1/playbooks', a.keys.admin)).status).toBe(403);
    expect((await api('response-engine', '/v1/audit/verify', a.keys.admin)).status).toBe(403);
    expect((await api('response-engine', '/v1/audit/verify', mesh.adminToken)).body).toMatchObject({
      ok: true,
    });
  });

  it('policies: another tenant cannot see, approve or dry-run them; analysts cannot approve', async () => {
    const { a, b } = tenants;
    expect(
      (await api('policy-generator', `/v1/tenants/${a.id}/policies/${a.policyId}`, a.keys.analyst))
        .status,
    ).toBe(200);
    const decision = { actor: 'mallory@example.com', reason: 'activate it' };
    for (const path of [
      `/v1/tenants/${b.id}/policies/${b.policyId}`,
      `/v1/tenants/${a.id}/policies/${b.policyId}`,
      `/v1/tenants/${a.id}/policies/${b.policyId}/rego`,
    ]) {
      expect((await api('policy-generator', path, a.keys.admin)).status).toBe(404);
    }
    for (const action of ['approve', 'reject', 'retire', 'dry-run']) {
      expect(
        (
          await api(
            'policy-generator',
            `/v1/tenants/${a.id}/policies/${b.policyId}/${action}`,
            a.keys.admin,
            {
              method: 'POST',
              body: action === 'dry-run' ? {} : decision,
            },
          )
        ).status,
      ).toBe(404);
    }
    expect(
      (
        await api(
          'policy-generator',
          `/v1/tenants/${a.id}/policies/${a.policyId}/approve`,
          a.keys.analyst,
          {
            method: 'POST',
            body: decision,
          },
        )
      ).status,
    ).toBe(403);
    expect(
      (await api('policy-generator', `/v1/tenants/${a.id}/bundle-token`, a.keys.approver)).status,
    ).toBe(403);
    const bProposal = await api(
      'policy-generator',
      `/v1/tenants/${b.id}/policies/${b.policyId}`,
      b.keys.analyst,
    );
    expect(bProposal.body).toMatchObject({ policy: { status: 'proposed' } });
  });

  it("API keys: a tenant's admin key manages its own tenant's keys only", async () => {
    const { a, b } = tenants;
    const listed = await api('sentinel-ingest', `/v1/api-keys?tenantId=${b.id}`, a.keys.admin);
    expect(listed.body).toEqual([]);
    const own = await api('sentinel-ingest', '/v1/api-keys', a.keys.admin);
    expect((own.body as { tenantId: string }[]).every((k) => k.tenantId === a.id)).toBe(true);
    const create = await api('sentinel-ingest', '/v1/api-keys', a.keys.admin, {
      method: 'POST',
      body: { tenantId: b.id, name: 'sneaky', roles: ['admin'] },
    });
    expect(create.status).toBe(403);
    expect(
      (
        await api('sentinel-ingest', `/v1/api-keys/${b.keyIds[0]}`, a.keys.admin, {
          method: 'DELETE',
        })
      ).status,
    ).toBe(404);
    expect((await api('fusion', `/v1/tenants/${b.id}/incidents`, b.keys.analyst)).status).toBe(200);
    expect((await api('sentinel-ingest', '/v1/api-keys', a.keys.approver)).status).toBe(403);
    // An ingest key sends its own tenant's telemetry only.
    const foreign = callSeries({
      tenantId: b.id,
      agentId: AGENT,
      startMs: T0,
      windowMs: MINUTE,
      perWindow: [1],
    });
    const refused = await api('sentinel-ingest', '/v1/events', a.keys.ingest, {
      method: 'POST',
      body: foreign,
    });
    expect(refused.status).toBe(422);
    // A key revoked by its own tenant's admin stops working at once.
    const created = await api('sentinel-ingest', '/v1/api-keys', a.keys.admin, {
      method: 'POST',
      body: { tenantId: a.id, name: 'short-lived', roles: ['analyst'] },
    });
    const { id, key } = created.body as { id: string; key: string };
    refusedSecrets.push(key);
    expect((await api('fusion', `/v1/tenants/${a.id}/incidents`, key)).status).toBe(200);
    expect(
      (await api('sentinel-ingest', `/v1/api-keys/${id}`, a.keys.admin, { method: 'DELETE' }))
        .status,
    ).toBe(204);
    await eventually(async () =>
      (await api('fusion', `/v1/tenants/${a.id}/incidents`, key)).status === 401 ? true : undefined,
    );
  });

  it('npm run api-key creates hashed, expiring, tenant-bound keys and revokes them by tenant', async () => {
    const { a, b } = tenants;
    const cli = (...args: string[]) =>
      spawnSync(
        process.execPath,
        [join(ROOT, 'scripts/run-ts.mjs'), 'apps/sentinel-ingest/src/cli/api-key.ts', ...args],
        { cwd: ROOT, env: { ...process.env, ...infraEnv() }, encoding: 'utf8' },
      );
    const created = cli(
      'create',
      '--tenant',
      a.id,
      '--name',
      'cli-key',
      '--roles',
      'analyst',
      '--expires-days',
      '1',
    );
    expect(created.status).toBe(0);
    const key = JSON.parse(created.stdout) as {
      id: string;
      key: string;
      expiresAt: string;
      createdBy: string;
    };
    refusedSecrets.push(key.key);
    expect(Date.parse(key.expiresAt) - Date.now()).toBeGreaterThan(23 * 3600_000);
    expect(key.createdBy).toMatch(/^cli:/);
    expect((await api('fusion', `/v1/tenants/${a.id}/incidents`, key.key)).status).toBe(200);
    expect((await api('fusion', `/v1/tenants/${b.id}/incidents`, key.key)).status).toBe(404);
    expect(cli('create', '--tenant', a.id, '--name', 'x', '--roles', 'root').status).toBe(2);
    // Revoking names the tenant: another tenant's id is not there.
    expect(cli('revoke', key.id, '--tenant', b.id).status).toBe(1);
    expect(cli('revoke', key.id, '--tenant', a.id).status).toBe(0);
    await eventually(async () =>
      (await api('fusion', `/v1/tenants/${a.id}/incidents`, key.key)).status === 401
        ? true
        : undefined,
    );
  });

  it('OIDC tokens from the identity provider: tenant and roles from their claims, forgeries refused', async () => {
    const { a, b } = tenants;
    const approver = mesh.idp.token({ sub: 'alice', ward_tenant: a.id, ward_roles: ['approver'] });
    const analyst = mesh.idp.token({ sub: 'bob', ward_tenant: a.id, ward_roles: 'analyst' });
    const forged = mesh.idp.token(
      { sub: 'eve', ward_tenant: a.id, ward_roles: ['admin'] },
      generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey,
    );
    const expired = mesh.idp.token({
      sub: 'old',
      ward_tenant: a.id,
      ward_roles: ['admin'],
      exp: 1,
    });
    oidcTokens.push(approver, analyst, forged, expired);
    expect((await api('fusion', `/v1/tenants/${a.id}/incidents`, analyst)).status).toBe(200);
    expect((await api('fusion', `/v1/tenants/${b.id}/incidents`, analyst)).status).toBe(404);
    expect((await api('fusion', `/v1/tenants/${a.id}/incidents`, forged)).status).toBe(401);
    expect((await api('fusion', `/v1/tenants/${a.id}/incidents`, expired)).status).toBe(401);
    const path = `/v1/tenants/${a.id}/approvals/${a.runId}/${a.stepId}`;
    const body = { decision: 'approve', reason: 'checked', actor: 'someone-else' };
    expect((await api('response-engine', path, analyst, { method: 'POST', body })).status).toBe(
      403,
    );
    expect((await api('response-engine', path, approver, { method: 'POST', body })).status).toBe(
      202,
    );
    const step = await eventually(async () => {
      const res = await api('response-engine', `/v1/tenants/${a.id}/runs/${a.runId}`, approver);
      return (res.body as { steps: { stepId: string; approver?: string }[] }).steps.find(
        (s) => s.stepId === a.stepId && s.approver !== undefined,
      );
    });
    expect(step.approver).toBe('oidc:alice');
  });

  it('/metrics needs the metrics token when one is set', async () => {
    for (const service of SERVICES) {
      expect((await api(service, '/metrics')).status).toBe(401);
      expect((await api(service, '/metrics', mesh.adminToken)).status).toBe(401);
      const res = await api(service, '/metrics', mesh.metricsToken);
      expect(res.status).toBe(200);
      expect(res.body).toMatch(/ward_http_auth_failures_total|ward_ingest_auth_failures_total/);
    }
  });

  it('never writes a secret it was given or shown to its logs', () => {
    const { a, b } = tenants;
    const secrets = [
      mesh.adminToken,
      mesh.metricsToken,
      mesh.bundleSecret,
      ...Object.values(a.keys),
      ...Object.values(b.keys),
      ...oidcTokens,
      ...refusedSecrets,
    ];
    const logs = SERVICES.map((s) => `--- ${s}\n${mesh.services[s].output.join('')}`).join('\n');
    // The run logged something to scan (debug level), and none of it is a secret.
    expect(logs.length).toBeGreaterThan(1000);
    expect(findSecrets(logs, secrets)).toEqual([]);
  });
});
