import {
  freePort,
  infraEnv,
  scratchPrefix,
  type ServiceProcess,
  startService,
  uniqueTag,
} from '@ward/testing';
import { type Service } from '../cli/config';

const APPS: Record<Service, string> = {
  ingest: 'sentinel-ingest',
  monitor: 'behavioral-monitor',
  fusion: 'fusion',
  response: 'response-engine',
  policy: 'policy-generator',
};

export interface Mesh {
  readonly tag: string;
  readonly prefix: string;
  readonly token: string;
  readonly services: Readonly<Record<Service, ServiceProcess>>;
  /** The environment a `ward` child process needs to talk to this mesh (and nothing else). */
  readonly cliEnv: Record<string, string>;
  readonly infra: ReturnType<typeof infraEnv>;
  stop(): Promise<(number | null)[]>;
}

/**
 * The five services as real processes on free ports, with their own scratch
 * topics, consumer groups, Redis prefix and one admin token, the way
 * `npm start` runs them (shipped playbooks, no destinations configured).
 */
export async function startMesh(name: string): Promise<Mesh> {
  const tag = uniqueTag(name);
  const prefix = scratchPrefix(tag);
  const token = uniqueTag('admin');
  const infra = infraEnv();
  const common = {
    ...infra,
    KAFKA_TOPIC_PREFIX: prefix,
    LOG_LEVEL: 'warn',
    REDIS_KEY_PREFIX: `${tag}:`,
  };
  const extra: Record<Service, Record<string, string>> = {
    ingest: {
      INGEST_ADMIN_TOKEN: token,
      INGEST_CONSUMER_GROUP: `${prefix}ingest`,
      INGEST_RAW_TOPIC_ENABLED: 'true',
    },
    monitor: { MONITOR_ADMIN_TOKEN: token, MONITOR_CONSUMER_GROUP: `${prefix}monitor` },
    fusion: { FUSION_ADMIN_TOKEN: token, FUSION_CONSUMER_GROUP: `${prefix}fusion` },
    response: { RESPONSE_ADMIN_TOKEN: token, RESPONSE_CONSUMER_GROUP: `${prefix}respond` },
    policy: {
      POLICY_ADMIN_TOKEN: token,
      POLICY_BUNDLE_TOKEN: `${token}-bundle`,
      POLICY_CONSUMER_GROUP: `${prefix}policy`,
    },
  };
  const ports = Object.fromEntries(
    await Promise.all(
      (Object.keys(APPS) as Service[]).map(async (s) => [s, await freePort()] as const),
    ),
  ) as Record<Service, number>;
  const started = await Promise.allSettled(
    (Object.keys(APPS) as Service[]).map(
      async (s) =>
        [
          s,
          await startService(
            APPS[s],
            { ...common, ...extra[s] },
            { port: ports[s], readyTimeoutMs: 120_000 },
          ),
        ] as const,
    ),
  );
  const services = Object.fromEntries(
    started.filter((r) => r.status === 'fulfilled').map((r) => r.value),
  ) as Record<Service, ServiceProcess>;
  const failed = started.find((r) => r.status === 'rejected');
  if (failed !== undefined) {
    await Promise.all(Object.values(services).map((p) => p.stop()));
    throw failed.reason;
  }
  const cliEnv: Record<string, string> = {
    KAFKA_BROKERS: infra.KAFKA_BROKERS,
    KAFKA_TOPIC_PREFIX: prefix,
    DATABASE_URL: infra.DATABASE_URL,
    REDIS_URL: infra.REDIS_URL,
    WARD_INGEST_URL: services.ingest.baseUrl,
    WARD_MONITOR_URL: services.monitor.baseUrl,
    WARD_FUSION_URL: services.fusion.baseUrl,
    WARD_RESPONSE_URL: services.response.baseUrl,
    WARD_POLICY_URL: services.policy.baseUrl,
    INGEST_ADMIN_TOKEN: token,
    MONITOR_ADMIN_TOKEN: token,
    FUSION_ADMIN_TOKEN: token,
    RESPONSE_ADMIN_TOKEN: token,
    POLICY_ADMIN_TOKEN: token,
    WARD_ACTOR: 'ward-cli-test@example.com',
  };
  return {
    tag,
    prefix,
    token,
    services,
    cliEnv,
    infra,
    stop: () => Promise.all(Object.values(services).map((p) => p.stop())),
  };
}
