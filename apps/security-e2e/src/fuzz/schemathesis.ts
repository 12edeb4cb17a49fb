import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { uniqueTag } from '@ward/testing';
import { type Mesh, SERVICES, type ServiceName, startMesh } from '../mesh';
import { type SeededTenant, seedTenants } from '../seed';
import { relayReframed } from './output';

/**
 * `nx run security-e2e:fuzz` (a step of `npm test`): every service's OpenAPI
 * document, exercised by Schemathesis (from PyPI, installed by
 * deploy/local/tools.sh into a venv of its own) against the five services
 * started on 127.0.0.1 with the real broker, PostgreSQL and Redis. Every
 * check runs (Schemathesis's default; schemathesis.toml widens the statuses
 * valid data may get for the operations whose rules JSON Schema cannot state,
 * and says why): no 5xx, responses (status, headers, content type, body) as
 * documented, valid input accepted, invalid input refused, and `ignored_auth`:
 * every operation must refuse a request without its credential. All four
 * phases run: examples, coverage, fuzzing, and stateful (sequences along the
 * documented OpenAPI links and the ones Schemathesis infers, e.g. a policy
 * listed, then approved, then read). Fails when any service fails.
 *
 *   --service <name>   only this service (repeatable)
 *   --examples <n>     test cases per operation (default 20)
 */
const ROOT = join(__dirname, '../../../..');
const REPORTS = join(ROOT, 'tmp/fuzz');

function schemathesisBinary(): string {
  const result = spawnSync('bash', [join(ROOT, 'deploy/local/tools.sh'), 'schemathesis'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
  });
  if (result.status !== 0) {
    throw new Error('deploy/local/tools.sh schemathesis failed');
  }
  return result.stdout.trim();
}

function run(
  binary: string,
  args: readonly string[],
  secret: string,
  seeded: SeededTenant,
  spareKeyId: string,
  bundleToken: string,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, {
      // Schemathesis keeps a crash cache (.schemathesis/) in its working directory.
      cwd: REPORTS,
      // The credential reaches Schemathesis through its environment, never its argv (ps shows argv).
      env: {
        ...process.env,
        WARD_FUZZ_CREDENTIAL: secret,
        WARD_FUZZ_TENANT: seeded.tenantId,
        WARD_FUZZ_AGENT: seeded.agentId,
        WARD_FUZZ_INCIDENT: seeded.incidentId,
        WARD_FUZZ_RUN: seeded.runId,
        WARD_FUZZ_STEP: seeded.stepId,
        WARD_FUZZ_POLICY: seeded.policyId,
        WARD_FUZZ_SPARE_KEY: spareKeyId,
        WARD_FUZZ_BUNDLE_TOKEN: bundleToken,
        NO_COLOR: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    relayReframed(child.stdout, process.stdout);
    relayReframed(child.stderr, process.stderr);
    child.on('error', reject);
    // 'close', not 'exit': the relayed output is complete by then.
    child.on('close', (code) => resolve(code ?? 1));
  });
}

/** The key DELETE /v1/api-keys/{id} is pinned to (schemathesis.toml): never the run's own. */
async function createSpareKey(mesh: Mesh, tenantId: string): Promise<string> {
  const res = await fetch(`${mesh.services['sentinel-ingest'].baseUrl}/v1/api-keys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${mesh.adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ tenantId, name: 'schemathesis-spare', roles: ['ingest'] }),
  });
  if (res.status !== 201) {
    throw new Error(`creating the spare key answered ${res.status}: ${await res.text()}`);
  }
  return ((await res.json()) as { id: string }).id;
}

/** The tenant's bundle token, for GET bundle.tar.gz (schemathesis.toml). */
async function bundleTokenOf(mesh: Mesh, tenantId: string): Promise<string> {
  const res = await fetch(
    `${mesh.services['policy-generator'].baseUrl}/v1/tenants/${tenantId}/bundle-token`,
    { headers: { authorization: `Bearer ${mesh.adminToken}` } },
  );
  if (res.status !== 200) {
    throw new Error(`reading the bundle token answered ${res.status}: ${await res.text()}`);
  }
  return ((await res.json()) as { token: string }).token;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      service: { type: 'string', multiple: true },
      examples: { type: 'string', default: '20' },
    },
  });
  const selected = (values.service ?? [...SERVICES]) as ServiceName[];
  const unknown = selected.filter((s) => !(SERVICES as readonly string[]).includes(s));
  if (unknown.length > 0) {
    console.error(`unknown service(s) ${unknown.join(', ')}: use ${SERVICES.join(', ')}`);
    return 2;
  }
  const binary = schemathesisBinary();
  mkdirSync(REPORTS, { recursive: true });
  const started = Date.now();
  let mesh: Mesh | undefined;
  const failed: string[] = [];
  try {
    mesh = await startMesh('fuzz');
    // Ingest's events need a tenant: a tenant admin key there; the admin token elsewhere,
    // so every tenant path and every route is reachable.
    const tenantId = uniqueTag('fuzz');
    const tenantKey = await mesh.createKey(tenantId, ['admin'], 'schemathesis');
    const [seeded] = await seedTenants(mesh, [{ tenantId, ingestKey: tenantKey }]);
    const spareKeyId = await createSpareKey(mesh, tenantId);
    const bundleToken = await bundleTokenOf(mesh, tenantId);
    for (const service of selected) {
      const base = mesh.services[service].baseUrl;
      const credential = service === 'sentinel-ingest' ? tenantKey : mesh.adminToken;
      console.log(`\n[fuzz] ${service}: ${base}/docs/json`);
      const code = await run(
        binary,
        [
          '--config-file',
          join(__dirname, 'schemathesis.toml'),
          'run',
          `${base}/docs/json`,
          '--url',
          base,
          '--max-examples',
          values.examples,
          '--seed',
          '11',
          // One worker: with two threads, Hypothesis's ast.parse of filter lambdas
          // sometimes dies in CPython 3.11 ("AST constructor recursion depth
          // mismatch"), a runtime error of the tool, not a finding.
          '--workers',
          '1',
          '--phases',
          'examples,coverage,fuzzing,stateful',
          '--generation-database',
          'none',
          '--request-timeout',
          '20',
          '--suppress-health-check',
          'too_slow',
          '--report',
          'junit',
          '--report-junit-path',
          join(REPORTS, `${service}.junit.xml`),
        ],
        credential,
        seeded!,
        spareKeyId,
        bundleToken,
      );
      if (code !== 0) {
        failed.push(service);
      }
    }
  } finally {
    await mesh?.stop();
  }
  const seconds = Math.round((Date.now() - started) / 1000);
  if (failed.length > 0) {
    console.error(
      `[fuzz] Schemathesis found problems in ${failed.join(', ')} (${seconds} s); reports in tmp/fuzz/`,
    );
    return 1;
  }
  console.log(`[fuzz] ${selected.length} service(s) clean in ${seconds} s`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  },
);
