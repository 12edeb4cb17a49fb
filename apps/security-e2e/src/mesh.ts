import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSign, generateKeyPairSync, type KeyObject } from 'node:crypto';
import {
  freePort,
  infraEnv,
  scratchPrefix,
  type ServiceProcess,
  startService,
  uniqueTag,
} from '@ward/testing';
import { WARD_SERVICES, type WardService } from '@ward/messaging';

/** The five services, as libs/messaging names them for their Kafka access. */
export const SERVICES = WARD_SERVICES;
export type ServiceName = WardService;

/** A playbook whose only step waits for a person: every incident leaves an approval behind. */
const PLAYBOOK = `id: security-approval
version: 1
name: Approval for every incident
description: One annotate step that needs a person's approval.
priority: 100
trigger:
  severityAtLeast: low
steps:
  - id: confirm
    action: annotate
    with:
      note: 'incident \${incident.incidentId}'
    approval:
      required: true
      timeout: 30m
      onTimeout: reject
`;

export const OIDC_ISSUER = 'https://idp.ward.test/';
export const OIDC_AUDIENCE = 'ward-api';

/** A local identity provider: a JWKS on 127.0.0.1 and tokens signed with its key. */
export class LocalIdentityProvider {
  private readonly keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
  private server: Server | undefined;
  jwksUrl = '';

  async start(): Promise<this> {
    const jwk = { ...this.keys.publicKey.export({ format: 'jwk' }), kid: 'test-1', use: 'sig' };
    this.server = createServer((request, response) => {
      if (request.url === '/jwks.json') {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ keys: [jwk] }));
        return;
      }
      response.writeHead(404).end();
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    this.jwksUrl = `http://127.0.0.1:${port}/jwks.json`;
    return this;
  }

  token(claims: Record<string, unknown>, key: KeyObject = this.keys.privateKey): string {
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const data = `${b64({ alg: 'RS256', typ: 'JWT', kid: 'test-1' })}.${b64({
      iss: OIDC_ISSUER,
      aud: OIDC_AUDIENCE,
      iat: now,
      exp: now + 600,
      ...claims,
    })}`;
    return `${data}.${createSign('sha256').update(data).sign(key).toString('base64url')}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) =>
      this.server ? this.server.close(() => resolve()) : resolve(),
    );
  }
}

export interface Mesh {
  readonly tag: string;
  readonly prefix: string;
  readonly adminToken: string;
  readonly metricsToken: string;
  readonly bundleSecret: string;
  readonly services: Record<ServiceName, ServiceProcess>;
  readonly idp: LocalIdentityProvider;
  /** Creates an API key through ingest's admin route; returns the secret. */
  createKey(tenantId: string, roles: readonly string[], name?: string): Promise<string>;
  stop(): Promise<void>;
}

/** The consumer group each service of a mesh on `prefix` runs in (its `*_CONSUMER_GROUP`). */
export function meshConsumerGroups(prefix: string): Record<ServiceName, string> {
  return {
    'sentinel-ingest': `${prefix}ingest`,
    'behavioral-monitor': `${prefix}monitor`,
    fusion: `${prefix}fusion`,
    'response-engine': `${prefix}respond`,
    'policy-generator': `${prefix}policy`,
  };
}

export interface MeshOptions {
  readonly logLevel?: string;
  /** For every service, over the defaults (e.g. another broker). */
  readonly extraEnv?: Record<string, string>;
  /** For one service, over everything else (e.g. its own client certificate). */
  readonly serviceEnv?: Partial<Record<ServiceName, Record<string, string>>>;
  /** The mesh's tag (its topic prefix is `scratchPrefix(tag)`), when it must be known beforehand. */
  readonly tag?: string;
}

/**
 * The five services as real processes on 127.0.0.1 against the real broker,
 * PostgreSQL and Redis, sharing scratch topics, an admin token, a metrics
 * token and a local OIDC provider.
 */
export async function startMesh(label: string, options: MeshOptions = {}): Promise<Mesh> {
  const tag = options.tag ?? uniqueTag(label);
  const prefix = scratchPrefix(tag);
  const groups = meshConsumerGroups(prefix);
  const adminToken = uniqueTag('admin-token');
  const metricsToken = uniqueTag('metrics-token');
  const bundleSecret = uniqueTag('bundle-secret');
  const idp = await new LocalIdentityProvider().start();
  const playbooks = mkdtempSync(join(tmpdir(), 'ward-security-playbooks-'));
  writeFileSync(join(playbooks, 'approval.yaml'), PLAYBOOK);
  // Secrets as Kubernetes mounts them: files named by <NAME>_FILE.
  const secrets = mkdtempSync(join(tmpdir(), 'ward-security-secrets-'));
  writeFileSync(join(secrets, 'metrics-token'), `${metricsToken}\n`, { mode: 0o600 });
  writeFileSync(join(secrets, 'ingest-admin-token'), `${adminToken}\n`, { mode: 0o600 });
  const common = {
    ...infraEnv(),
    KAFKA_TOPIC_PREFIX: prefix,
    LOG_LEVEL: options.logLevel ?? 'warn',
    REDIS_KEY_PREFIX: `${tag}:`,
    METRICS_TOKEN_FILE: join(secrets, 'metrics-token'),
    AUTH_OIDC_ISSUER: OIDC_ISSUER,
    AUTH_OIDC_AUDIENCE: OIDC_AUDIENCE,
    AUTH_OIDC_JWKS_URL: idp.jwksUrl,
    ...options.extraEnv,
  };
  const envOf: Record<ServiceName, Record<string, string>> = {
    'sentinel-ingest': {
      INGEST_ADMIN_TOKEN_FILE: join(secrets, 'ingest-admin-token'),
      INGEST_CONSUMER_GROUP: groups['sentinel-ingest'],
      INGEST_API_KEY_CACHE_SECONDS: '0',
    },
    'behavioral-monitor': {
      MONITOR_ADMIN_TOKEN: adminToken,
      MONITOR_CONSUMER_GROUP: groups['behavioral-monitor'],
    },
    fusion: { FUSION_ADMIN_TOKEN: adminToken, FUSION_CONSUMER_GROUP: groups.fusion },
    'response-engine': {
      RESPONSE_ADMIN_TOKEN: adminToken,
      RESPONSE_CONSUMER_GROUP: groups['response-engine'],
      RESPONSE_PLAYBOOK_DIRS: playbooks,
    },
    'policy-generator': {
      POLICY_ADMIN_TOKEN: adminToken,
      POLICY_BUNDLE_TOKEN: bundleSecret,
      POLICY_CONSUMER_GROUP: groups['policy-generator'],
      POLICY_MIN_CONFIDENCE: '0.1',
    },
  };
  const ports = await Promise.all(SERVICES.map(() => freePort()));
  const started = await Promise.allSettled(
    SERVICES.map((name, i) =>
      startService(
        name,
        { ...common, ...envOf[name], ...options.serviceEnv?.[name] },
        { port: ports[i]!, readyTimeoutMs: 90_000 },
      ),
    ),
  );
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed !== undefined) {
    await Promise.all(
      started.flatMap((s) => (s.status === 'fulfilled' ? [s.value.stop('SIGKILL')] : [])),
    );
    await idp.stop();
    rmSync(playbooks, { recursive: true, force: true });
    rmSync(secrets, { recursive: true, force: true });
    throw failed.reason;
  }
  const services = Object.fromEntries(
    SERVICES.map((name, i) => [name, (started[i] as PromiseFulfilledResult<ServiceProcess>).value]),
  ) as Record<ServiceName, ServiceProcess>;
  return {
    tag,
    prefix,
    adminToken,
    metricsToken,
    bundleSecret,
    services,
    idp,
    async createKey(tenantId, roles, name = roles.join('+')) {
      const res = await fetch(`${services['sentinel-ingest'].baseUrl}/v1/api-keys`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ tenantId, name, roles }),
      });
      if (res.status !== 201) {
        throw new Error(`creating a key answered ${res.status}: ${await res.text()}`);
      }
      return ((await res.json()) as { key: string }).key;
    },
    async stop() {
      await Promise.all(Object.values(services).map((s) => s.stop()));
      await idp.stop();
      rmSync(playbooks, { recursive: true, force: true });
      rmSync(secrets, { recursive: true, force: true });
    },
  };
}
