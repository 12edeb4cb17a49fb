import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { topicRegistry, type TopicRegistry } from '@ward/contracts';
import {
  eventually,
  freePort,
  infraEnv,
  scratchPrefix,
  type ServiceProcess,
  startService,
} from '@ward/testing';
import { type Admin, Kafka, logLevel, type Producer } from 'kafkajs';
import { Client } from 'pg';
import { type ScenarioMessage } from './scenario';
import { WARD_SERVICES, type WardService } from '@ward/messaging';

const ROOT = join(__dirname, '../../..');

/** The five services, as libs/messaging names them for their Kafka access. */
export const SERVICES = WARD_SERVICES;
export type ServiceName = WardService;

/** The dependencies each service checks in /readyz (libs/observability ReadinessService). */
export const DEPENDS_ON: Record<ServiceName, readonly ('kafka' | 'postgres' | 'redis')[]> = {
  'sentinel-ingest': ['kafka', 'postgres', 'redis'],
  'behavioral-monitor': ['kafka', 'postgres', 'redis'],
  fusion: ['kafka', 'postgres'],
  'response-engine': ['kafka', 'postgres', 'redis'],
  'policy-generator': ['kafka', 'postgres'],
};

export type Part = 'kafka' | 'postgres' | 'redis';

/**
 * A Kafka broker and a Redis of the fault tests' own (deploy/local/infra.sh
 * under $WARD_HOME/faults, other ports), so stopping them never disturbs
 * anything else on the machine, and the shared local PostgreSQL cluster, with a
 * database per world. Stopping PostgreSQL stops that cluster: the fault tests
 * run alone (`npm run test:faults`, after the other suites in `npm test`).
 */
export class FaultInfra {
  readonly kafkaBrokers: string;
  readonly redisUrl: string;
  readonly databaseUrl: string;
  private readonly env: NodeJS.ProcessEnv;

  constructor() {
    const wardHome =
      process.env['WARD_HOME'] ??
      join(process.env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache'), 'ward');
    const kafkaPort = process.env['WARD_FAULT_KAFKA_PORT'] ?? '19092';
    const redisPort = process.env['WARD_FAULT_REDIS_PORT'] ?? '16379';
    this.kafkaBrokers = `127.0.0.1:${kafkaPort}`;
    this.redisUrl = `redis://127.0.0.1:${redisPort}`;
    this.databaseUrl = infraEnv().DATABASE_URL;
    const host = new URL(this.databaseUrl).hostname;
    if (host !== '127.0.0.1' && host !== 'localhost') {
      throw new Error(
        `the fault tests stop and restart PostgreSQL, so they need the local cluster of deploy/local/infra.sh, not DATABASE_URL=${host}`,
      );
    }
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      WARD_HOME: join(wardHome, 'faults'),
      WARD_KAFKA_LIBS: join(wardHome, 'kafka/libs'),
      WARD_KAFKA_PORT: kafkaPort,
      WARD_KAFKA_CONTROLLER_PORT: process.env['WARD_FAULT_KAFKA_CONTROLLER_PORT'] ?? '19093',
      WARD_REDIS_PORT: redisPort,
    };
    delete env['KAFKA_BROKERS'];
    delete env['REDIS_URL'];
    delete env['DATABASE_URL'];
    this.env = env;
  }

  /** `infra.sh <command> <parts>` for the fault tests' own broker and Redis (and the local PostgreSQL). */
  infra(command: 'up' | 'stop' | 'down' | 'restart', ...parts: Part[]): void {
    const result = spawnSync('bash', [join(ROOT, 'deploy/local/infra.sh'), command, ...parts], {
      cwd: ROOT,
      env: this.env,
      encoding: 'utf8',
    });
    if (result.status !== 0) {
      throw new Error(
        `infra.sh ${command} ${parts.join(' ')} failed (${result.status}):\n${result.stdout}${result.stderr}`,
      );
    }
  }

  kafka(clientId: string): Kafka {
    return new Kafka({
      clientId,
      brokers: [this.kafkaBrokers],
      logLevel: logLevel.NOTHING,
      retry: { initialRetryTime: 300, retries: 30, maxRetryTime: 5_000 },
    });
  }
}

interface Running {
  process: ServiceProcess;
  readonly env: Record<string, string>;
  readonly port: number;
}

export interface ReadyState {
  readonly status: number;
  readonly body: string;
}

/**
 * One copy of the whole mesh: its own topics (a scratch prefix), PostgreSQL
 * database, Redis key prefix and consumer groups, on the fault infrastructure.
 * Two worlds given the same scenario must end in the same state.
 */
export class World {
  readonly prefix: string;
  readonly topics: TopicRegistry;
  readonly database: string;
  readonly databaseUrl: string;
  readonly adminToken: string;
  private readonly running = new Map<ServiceName, Running>();
  private readonly kafka: Kafka;
  private producer: Producer | undefined;
  private admin: Admin | undefined;
  pg: Client | undefined;

  constructor(
    readonly infra: FaultInfra,
    readonly tag: string,
    readonly name: string,
    private readonly extraEnv: Partial<Record<ServiceName, Record<string, string>>> = {},
  ) {
    this.prefix = scratchPrefix(`${tag}-${name}`);
    this.topics = topicRegistry(this.prefix);
    this.database = `ward_${`${tag}_${name}`.replace(/[^a-z0-9]/gi, '_').toLowerCase()}`;
    const url = new URL(infra.databaseUrl);
    url.pathname = `/${this.database}`;
    this.databaseUrl = url.toString();
    this.adminToken = `${tag}-${name}-admin-token`;
    this.kafka = infra.kafka(`faults-${name}`);
  }

  /** Creates the database (migrated) and the topics, the way an operator does. */
  async create(): Promise<void> {
    const root = new Client({ connectionString: this.infra.databaseUrl });
    await root.connect();
    try {
      await root.query(`CREATE DATABASE ${this.database}`);
    } finally {
      await root.end();
    }
    const env = {
      ...process.env,
      KAFKA_BROKERS: this.infra.kafkaBrokers,
      DATABASE_URL: this.databaseUrl,
      REDIS_URL: this.infra.redisUrl,
      KAFKA_TOPIC_PREFIX: this.prefix,
    };
    for (const entry of [
      'libs/persistence/src/cli/migrate.ts',
      'libs/messaging/src/cli/create-topics.ts',
    ]) {
      const result = spawnSync(process.execPath, [join(ROOT, 'scripts/run-ts.mjs'), entry], {
        cwd: ROOT,
        env,
        encoding: 'utf8',
      });
      if (result.status !== 0) {
        throw new Error(`${entry} failed: ${result.stderr}${result.stdout}`);
      }
    }
    this.pg = new Client({ connectionString: this.databaseUrl });
    this.pg.on('error', () => undefined);
    await this.pg.connect();
  }

  /** A new connection after PostgreSQL was stopped (the old one died with it). */
  async reconnectPg(): Promise<void> {
    await this.pg?.end().catch(() => undefined);
    this.pg = new Client({ connectionString: this.databaseUrl });
    this.pg.on('error', () => undefined);
    await this.pg.connect();
  }

  private envOf(name: ServiceName): Record<string, string> {
    const common: Record<string, string> = {
      KAFKA_BROKERS: this.infra.kafkaBrokers,
      DATABASE_URL: this.databaseUrl,
      REDIS_URL: this.infra.redisUrl,
      KAFKA_TOPIC_PREFIX: this.prefix,
      REDIS_KEY_PREFIX: `${this.prefix}:`,
      LOG_LEVEL: 'warn',
    };
    const own: Record<ServiceName, Record<string, string>> = {
      'sentinel-ingest': {
        INGEST_ADMIN_TOKEN: this.adminToken,
        INGEST_CONSUMER_GROUP: `${this.prefix}ingest`,
      },
      'behavioral-monitor': { MONITOR_CONSUMER_GROUP: `${this.prefix}monitor` },
      fusion: {
        FUSION_CONSUMER_GROUP: `${this.prefix}fusion`,
        FUSION_ADMIN_TOKEN: this.adminToken,
      },
      'response-engine': {
        RESPONSE_CONSUMER_GROUP: `${this.prefix}respond`,
        RESPONSE_ADMIN_TOKEN: this.adminToken,
      },
      'policy-generator': {
        POLICY_CONSUMER_GROUP: `${this.prefix}policy`,
        POLICY_ADMIN_TOKEN: this.adminToken,
        POLICY_BUNDLE_TOKEN: `${this.adminToken}-bundle`,
      },
    };
    return { ...common, ...own[name], ...(this.extraEnv[name] ?? {}) };
  }

  async startAll(): Promise<void> {
    await Promise.all(SERVICES.map((name) => this.start(name)));
  }

  async start(name: ServiceName): Promise<void> {
    const previous = this.running.get(name);
    if (previous) {
      this.saveOutput(name, previous.process);
    }
    const env = previous?.env ?? this.envOf(name);
    const port = previous?.port ?? (await freePort());
    const process = await startService(name, env, { port, readyTimeoutMs: 180_000 });
    this.running.set(name, { process, env, port });
  }

  /** Appends what a service process printed to tmp/faults/<world>/<service>.log, for the post-mortem. */
  private saveOutput(name: ServiceName, process: ServiceProcess): void {
    const dir = join(ROOT, 'tmp/faults', this.name);
    mkdirSync(dir, { recursive: true });
    appendFileSync(join(dir, `${name}.log`), `--- process ---\n${process.output.join('')}`);
  }

  saveAllOutput(): void {
    for (const [name, r] of this.running) {
      this.saveOutput(name, r.process);
    }
  }

  /** `kill -9` of the service's whole process group; resolves when it is gone. */
  async kill(name: ServiceName): Promise<void> {
    await this.service(name).process.stop('SIGKILL');
  }

  service(name: ServiceName): Running {
    const running = this.running.get(name);
    if (!running) {
      throw new Error(`${name} was never started in world ${this.name}`);
    }
    return running;
  }

  /** Prometheus text of a service's /metrics. */
  async metrics(name: ServiceName): Promise<string> {
    const res = await fetch(`http://127.0.0.1:${this.service(name).port}/metrics`, {
      signal: AbortSignal.timeout(10_000),
    });
    return res.text();
  }

  /** An ingest API key for `tenantId`, made through the admin API as an operator would. */
  async apiKey(tenantId: string): Promise<string> {
    const res = await fetch(
      `http://127.0.0.1:${this.service('sentinel-ingest').port}/v1/api-keys`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${this.adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ tenantId, name: 'faults' }),
      },
    );
    if (res.status !== 201) {
      throw new Error(`POST /v1/api-keys answered ${res.status}: ${await res.text()}`);
    }
    return ((await res.json()) as { key: string }).key;
  }

  async readiness(name: ServiceName): Promise<ReadyState> {
    const res = await fetch(`http://127.0.0.1:${this.service(name).port}/readyz`, {
      signal: AbortSignal.timeout(10_000),
    });
    return { status: res.status, body: await res.text() };
  }

  private async producerOf(): Promise<Producer> {
    if (!this.producer) {
      this.producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
      await this.producer.connect();
    }
    return this.producer;
  }

  private async adminOf(): Promise<Admin> {
    if (!this.admin) {
      this.admin = this.kafka.admin();
      await this.admin.connect();
    }
    return this.admin;
  }

  /** Publishes telemetry to the raw topic, in order, acknowledged by the broker. */
  async produce(messages: readonly ScenarioMessage[]): Promise<void> {
    const producer = await this.producerOf();
    for (let i = 0; i < messages.length; i += 500) {
      await producer.send({
        topic: this.topics.telemetryRaw.name,
        acks: -1,
        messages: messages.slice(i, i + 500).map((m) => ({ key: m.key, value: m.value })),
      });
    }
  }

  async highWatermarks(topic: string): Promise<number[]> {
    const offsets = await (await this.adminOf()).fetchTopicOffsets(topic);
    return offsets.sort((a, b) => a.partition - b.partition).map((o) => Number(o.high));
  }

  /** What each consumer group still has to read, topic by topic. */
  async lag(): Promise<Record<string, number>> {
    const admin = await this.adminOf();
    const t = this.topics;
    const groups: Record<string, string[]> = {
      [`${this.prefix}ingest`]: [t.telemetryRaw.name],
      [`${this.prefix}monitor`]: [t.behavioralEvents.name, t.agentControl.name],
      [`${this.prefix}fusion`]: [t.threatAlerts.name],
      [`${this.prefix}respond`]: [t.incidents.name],
      [`${this.prefix}policy`]: [t.threatAlerts.name, t.incidents.name, t.responseActions.name],
    };
    const lag: Record<string, number> = {};
    for (const [groupId, topics] of Object.entries(groups)) {
      const committed = await admin.fetchOffsets({ groupId, topics });
      for (const { topic, partitions } of committed) {
        const high = await this.highWatermarks(topic);
        let behind = 0;
        for (const p of partitions) {
          const done = Number(p.offset) < 0 ? 0 : Number(p.offset);
          behind += Math.max(0, (high[p.partition] ?? 0) - done);
        }
        lag[`${groupId.slice(this.prefix.length)} ${topic.slice(this.prefix.length)}`] = behind;
      }
    }
    return lag;
  }

  /**
   * Waits until every consumer group has read everything on its topics, no
   * playbook run is still running, and nothing moved between two looks.
   */
  async drain(timeoutMs = 300_000): Promise<void> {
    let previous = '';
    try {
      await eventually(
        async () => {
          const lag = await this.lag();
          const { rows } = await this.pg!.query<{ n: string }>(
            "SELECT count(*) AS n FROM response_runs WHERE status = 'running'",
          );
          const state = JSON.stringify({ lag, running: rows[0]?.n });
          const settled = Object.values(lag).every((n) => n === 0) && Number(rows[0]?.n ?? 0) === 0;
          const stable = settled && state === previous;
          previous = state;
          return stable ? true : undefined;
        },
        { timeoutMs, intervalMs: 1_000, description: `world ${this.name} to drain` },
      );
    } catch (error) {
      throw new Error(`${(error as Error).message}; last state: ${previous}`);
    }
  }

  /** Reads a topic from the beginning to its current end. */
  async readAll(topic: string): Promise<{ key: string | null; value: string }[]> {
    const high = await this.highWatermarks(topic);
    const total = high.reduce((a, b) => a + b, 0);
    const out: { key: string | null; value: string }[] = [];
    if (total === 0) {
      return out;
    }
    const consumer = this.kafka.consumer({ groupId: `${this.prefix}reader-${Date.now()}` });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    let done!: () => void;
    const finished = new Promise<void>((resolve) => (done = resolve));
    const seen = high.map(() => 0);
    await consumer.run({
      eachBatch: ({ batch }) => {
        for (const m of batch.messages) {
          if (Number(m.offset) < (high[batch.partition] ?? 0)) {
            out.push({ key: m.key?.toString() ?? null, value: m.value?.toString() ?? '' });
            seen[batch.partition] = Number(m.offset) + 1;
          }
        }
        if (seen.every((n, p) => n >= (high[p] ?? 0))) {
          done();
        }
        return Promise.resolve();
      },
    });
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        finished,
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`reading ${topic} timed out`)), 120_000);
        }),
      ]);
    } finally {
      clearTimeout(timer);
      await consumer.disconnect();
    }
    return out;
  }

  async stopAll(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    await Promise.all([...this.running.values()].map((r) => r.process.stop(signal)));
  }

  async destroy(): Promise<void> {
    await this.stopAll('SIGKILL').catch(() => undefined);
    this.saveAllOutput();
    await this.producer?.disconnect().catch(() => undefined);
    await this.admin?.disconnect().catch(() => undefined);
    await this.pg?.end().catch(() => undefined);
    const root = new Client({ connectionString: this.infra.databaseUrl });
    await root.connect();
    try {
      await root.query(`DROP DATABASE IF EXISTS ${this.database} WITH (FORCE)`);
    } finally {
      await root.end();
    }
  }
}
