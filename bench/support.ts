// Shared by the pipeline benchmarks (monitor-throughput, alert-latency,
// fusion-throughput, response-throughput): real service processes, a bare
// kafkajs consumer as the ceiling, committed-offset polling, and realistic
// records. Every benchmark prints one JSON line on stdout and logs on stderr.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type BehavioralEvent,
  type ResolvedTopic,
  type Severity,
  type ThreatAlert,
} from '@ward/contracts';
import { DETECTOR_TECHNIQUES, type DetectorId, deterministicId } from '@ward/detectors';
import { createKafka, ensureTopics } from '@ward/messaging';
import { freePort, infraEnv } from '@ward/testing';
import { type Admin, type Kafka, type Message, type Producer } from 'kafkajs';
import { type ProfileSummary, summarizeProfile } from './profile';

export const ROOT = join(__dirname, '..');
export const env = infraEnv();

export function log(message: string): void {
  process.stderr.write(`[ward] ${message}\n`);
}

export function kafkaFor(prefix: string, clientId: string): Kafka {
  return createKafka({
    brokers: env.KAFKA_BROKERS.split(','),
    clientId,
    topicPrefix: prefix,
    ensureTopics: true,
  });
}

export async function createTopics(kafka: Kafka, topics: readonly ResolvedTopic[]): Promise<void> {
  await ensureTopics(kafka, topics);
}

export interface Stats {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly runs: number;
}

export function stats(values: readonly number[]): Stats {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    median: sorted[Math.floor(sorted.length / 2)] ?? NaN,
    min: sorted[0] ?? NaN,
    max: sorted[sorted.length - 1] ?? NaN,
    runs: sorted.length,
  };
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) {
    return NaN;
  }
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

/** Small deterministic PRNG (mulberry32): the same seed gives the same traffic. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Sends in batches of `batch` records per request, acks=all, as the services do. */
export async function produceAll(
  producer: Producer,
  topic: string,
  count: number,
  make: (i: number) => Message,
  batch = 500,
): Promise<number> {
  const started = Date.now();
  for (let i = 0; i < count; i += batch) {
    const messages: Message[] = [];
    for (let j = i; j < Math.min(count, i + batch); j++) {
      messages.push(make(j));
    }
    await producer.send({ topic, acks: -1, messages });
  }
  return count / ((Date.now() - started) / 1000);
}

export async function endOffsets(admin: Admin, topic: string): Promise<number> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return offsets.reduce((sum, p) => sum + Number(p.high), 0);
}

export async function committed(admin: Admin, group: string, topic: string): Promise<number> {
  const [result] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
  return (result?.partitions ?? []).reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
}

export interface CatchUp {
  /** Events per second between the first and the last movement of the committed offsets. */
  readonly perSecond: number;
  readonly counted: number;
  readonly seconds: number;
  /** From the call to the end (includes start-up and group join). */
  readonly wallSeconds: number;
  /** Wall-clock time (ms) of the first observed progress, and how much was done then. */
  readonly firstAt: number;
  readonly firstDone: number;
}

/**
 * Polls the group's committed offsets until they reach `target` (the topic's
 * end). The rate is taken between the first poll that sees progress and the
 * poll that sees the end, so start-up and the group join are left out.
 */
export async function waitCaughtUp(
  admin: Admin,
  group: string,
  topic: string,
  target: number,
  options: {
    readonly pollMs?: number;
    readonly timeoutMs?: number;
    readonly what?: string;
    /** Stop early this long after the first progress (a profiling pass needs no more). */
    readonly progressMs?: number;
  } = {},
): Promise<CatchUp> {
  const pollMs = options.pollMs ?? 50;
  const deadline = Date.now() + (options.timeoutMs ?? 600_000);
  const called = Date.now();
  let first: { at: number; done: number } | undefined;
  let lastLog = Date.now();
  for (;;) {
    const done = await committed(admin, group, topic);
    const now = Date.now();
    if (first === undefined && done > 0) {
      first = { at: now, done };
    }
    const enough =
      options.progressMs !== undefined &&
      first !== undefined &&
      now - first.at >= options.progressMs;
    if (done >= target || enough) {
      const f = first ?? { at: called, done: 0 };
      const seconds = Math.max(1e-3, (now - f.at) / 1000);
      const counted = Math.min(done, target) - f.done;
      return {
        perSecond: counted > 0 ? counted / seconds : NaN,
        counted,
        seconds,
        wallSeconds: (now - called) / 1000,
        firstAt: f.at,
        firstDone: f.done,
      };
    }
    if (now > deadline) {
      throw new Error(
        `${options.what ?? group} did not catch up: ${done} of ${target} committed on ${topic}`,
      );
    }
    if (now - lastLog > 10_000) {
      log(`  ${options.what ?? group}: ${done} of ${target}`);
      lastLog = now;
    }
    await sleep(pollMs);
  }
}

/**
 * The ceiling: a bare kafkajs consumer (fresh group, from the beginning, the
 * services' fetch size) that parses every record as JSON and commits after
 * each batch, as the services' consumer does, and nothing else. The rate is
 * taken from the end of its first batch to its last commit.
 */
export async function bareConsume(
  kafka: Kafka,
  topic: string,
  group: string,
  target: number,
): Promise<CatchUp> {
  const consumer = kafka.consumer({
    groupId: group,
    allowAutoTopicCreation: false,
    maxBytesPerPartition: 1024 * 1024,
  });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  const called = Date.now();
  let done = 0;
  let first: { at: number; done: number } | undefined;
  let finish: (value: number) => void = () => undefined;
  const finished = new Promise<number>((resolve) => {
    finish = resolve;
  });
  let parsed = 0;
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    eachBatch: async (payload) => {
      const { batch } = payload;
      for (const message of batch.messages) {
        if (message.value !== null && JSON.parse(message.value.toString('utf8')) !== null) {
          parsed += 1;
        }
      }
      const last = batch.messages.at(-1);
      if (last === undefined) {
        return;
      }
      payload.resolveOffset(last.offset);
      await consumer.commitOffsets([
        { topic, partition: batch.partition, offset: (BigInt(last.offset) + 1n).toString() },
      ]);
      done += batch.messages.length;
      const now = Date.now();
      first ??= { at: now, done };
      if (done >= target) {
        finish(now);
      }
    },
  });
  const end = await finished;
  await consumer.disconnect();
  if (parsed !== target) {
    throw new Error(`bare consumer parsed ${parsed} of ${target}`);
  }
  const f = first ?? { at: called, done: 0 };
  const seconds = Math.max(1e-3, (end - f.at) / 1000);
  return {
    perSecond: (target - f.done) / seconds,
    counted: target - f.done,
    seconds,
    wallSeconds: (end - called) / 1000,
    firstAt: f.at,
    firstDone: f.done,
  };
}

export interface BenchService {
  readonly name: string;
  readonly pid: number;
  readonly baseUrl: string;
  readonly output: string[];
  stop(): Promise<number | null>;
}

/**
 * A real service process (apps/<name>/src/main.ts, as service-process.ts in
 * libs/testing starts it, in its own process group) on a free port, ready when
 * this returns. With a profile folder (or BENCH_CPU_PROF=<dir>) it writes a V8
 * CPU profile there on exit (--cpu-prof is refused in NODE_OPTIONS, hence this
 * and not startService).
 */
export async function service(
  name: string,
  vars: Record<string, string>,
  cpuProfileDir: string | undefined = process.env['BENCH_CPU_PROF'],
): Promise<BenchService> {
  const profileDir = cpuProfileDir;
  const port = await freePort();
  const output: string[] = [];
  const child = spawn(
    process.execPath,
    [
      ...(profileDir !== undefined && profileDir !== ''
        ? [
            '--cpu-prof',
            `--cpu-prof-dir=${profileDir}`,
            `--cpu-prof-name=${name}-${Date.now()}.cpuprofile`,
          ]
        : []),
      '-r',
      '@swc-node/register',
      join(ROOT, `apps/${name}/src/main.ts`),
    ],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        ...env,
        SWC_NODE_PROJECT: join(ROOT, 'tsconfig.base.json'),
        KAFKAJS_NO_PARTITIONER_WARNING: '1',
        LOG_LEVEL: 'warn',
        ...vars,
        HOST: '127.0.0.1',
        PORT: String(port),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    },
  );
  const kill = (signal: NodeJS.Signals) => {
    try {
      process.kill(-(child.pid as number), signal);
    } catch {
      child.kill(signal);
    }
  };
  const onExit = () => kill('SIGKILL');
  process.once('exit', onExit);
  child.stdout.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      exitCode = code;
      process.removeListener('exit', onExit);
      resolve(code);
    }),
  );
  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (exitCode !== undefined) {
      throw new Error(`${name} exited with ${exitCode}:\n${output.join('')}`);
    }
    const res = await fetch(`${baseUrl}/readyz`).catch(() => undefined);
    if (res?.status === 200) {
      break;
    }
    if (Date.now() > deadline) {
      kill('SIGKILL');
      throw new Error(`${name} never became ready:\n${output.join('')}`);
    }
    await sleep(100);
  }
  return {
    name,
    pid: child.pid as number,
    baseUrl,
    output,
    stop: () => {
      if (exitCode !== undefined) {
        return Promise.resolve(exitCode);
      }
      kill('SIGTERM');
      return exited;
    },
  };
}

/** Stops a service with SIGTERM and fails loudly if it did not exit cleanly. */
export async function stopService(svc: BenchService): Promise<void> {
  const code = await svc.stop();
  if (code !== 0) {
    log(`${svc.name} exited with ${code}:\n${svc.output.join('').slice(-4000)}`);
  }
}

export async function metricsText(svc: BenchService): Promise<string> {
  const res = await fetch(`${svc.baseUrl}/metrics`);
  return res.text();
}

/** Sum of a Prometheus sample over all label sets matching `labels` (substring match). */
export function metricSum(text: string, name: string, labels: readonly string[] = []): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name) || (line[name.length] !== '{' && line[name.length] !== ' ')) {
      continue;
    }
    if (labels.every((l) => line.includes(l))) {
      sum += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return sum;
}

/** A labelled Prometheus counter as {labelValue: sum}, e.g. alerts by detector. */
export function metricBy(text: string, name: string, label: string): Record<string, number> {
  const out: Record<string, number> = {};
  const pattern = new RegExp(`${label}="([^"]*)"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) {
      continue;
    }
    const key = pattern.exec(line)?.[1];
    if (key !== undefined) {
      out[key] = (out[key] ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return out;
}

const TICKS_PER_SECOND = 100;

/** CPU seconds so far of each process on the machine, by pid, with its command name. */
function cpuTimes(): Map<number, { comm: string; seconds: number }> {
  const out = new Map<number, { comm: string; seconds: number }>();
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) {
      continue;
    }
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const fields = stat.slice(close + 2).split(' ');
      // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the comm.
      const seconds = (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
      out.set(Number(entry), { comm, seconds });
    } catch {
      // the process ended meanwhile
    }
  }
  return out;
}

function machineBusySeconds(): number {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1);
    const [user, nice, system, , , irq, softirq, steal] = cpu.map(Number);
    return (user! + nice! + system! + irq! + softirq! + steal!) / TICKS_PER_SECOND;
  } catch {
    return NaN;
  }
}

/** The pid listening on a local TCP port (the broker among several JVMs), from /proc. */
function listenerPid(port: number): number | undefined {
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      const local = cols[1];
      if (
        local !== undefined &&
        cols[3] === '0A' &&
        parseInt(local.split(':')[1] ?? '', 16) === port
      ) {
        inodes.add(cols[9]!);
      }
    }
  }
  for (const entry of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      for (const fd of readdirSync(`/proc/${entry}/fd`)) {
        const target = readlinkSync(`/proc/${entry}/fd/${fd}`);
        if (target.startsWith('socket:[') && inodes.has(target.slice(8, -1))) {
          return Number(entry);
        }
      }
    } catch {
      // not ours to read, or gone
    }
  }
  return undefined;
}

export type CpuShares = Record<
  'service' | 'kafka' | 'postgres' | 'redis' | 'bench' | 'other',
  number
>;

/**
 * Where the machine's CPU went while something ran: cores used (CPU seconds
 * per wall second) by the service under test, the broker (the process
 * listening on the broker's port), PostgreSQL and Redis (all their processes,
 * which other users of the machine may share), this process, and everything
 * else.
 */
export function cpuMeter(servicePid: number): { stop(): CpuShares } {
  const brokerPort = Number(env.KAFKA_BROKERS.split(',')[0]?.split(':')[1] ?? 9092);
  const brokerPid = listenerPid(brokerPort);
  const before = cpuTimes();
  const busyBefore = machineBusySeconds();
  const started = Date.now();
  return {
    stop() {
      const after = cpuTimes();
      const wall = (Date.now() - started) / 1000;
      const shares: CpuShares = { service: 0, kafka: 0, postgres: 0, redis: 0, bench: 0, other: 0 };
      let known = 0;
      for (const [pid, now] of after) {
        const used = now.seconds - (before.get(pid)?.seconds ?? 0);
        const group: keyof CpuShares =
          pid === servicePid
            ? 'service'
            : pid === process.pid
              ? 'bench'
              : pid === brokerPid
                ? 'kafka'
                : now.comm.startsWith('postgres')
                  ? 'postgres'
                  : now.comm.startsWith('redis')
                    ? 'redis'
                    : 'other';
        if (group !== 'other') {
          shares[group] += used / wall;
          known += used;
        }
      }
      shares.other = Math.max(0, (machineBusySeconds() - busyBefore - known) / wall);
      for (const key of Object.keys(shares) as (keyof CpuShares)[]) {
        shares[key] = Math.round(shares[key] * 100) / 100;
      }
      return shares;
    },
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export const WINDOW_MS = 60_000;
const TOOLS = [
  'search_docs',
  'read_file',
  'db.query',
  'http.get',
  'send_email',
  'summarize',
  'calendar.read',
  'crm.lookup',
] as const;
const QUERIES = [
  'quarterly revenue by region',
  'open tickets assigned to me',
  'how do I rotate the signing keys',
  'latest deployment status for checkout',
  'customer 4411 order history',
  'draft a reply to the vendor about the invoice',
];

export interface AgentShape {
  readonly tenantId: string;
  readonly agentId: string;
  readonly tools: readonly string[];
  readonly resources: readonly string[];
  readonly origin: string;
}

/** An agent with its own few tools and resources, so its traffic has a stable mix. */
export function agentShape(
  tenantId: string,
  index: number,
  size: { readonly tools?: number; readonly resources?: number } = {},
): AgentShape {
  const tools = Array.from(
    { length: size.tools ?? 4 },
    (_, k) => TOOLS[(index + k * 3) % TOOLS.length]!,
  );
  const resources = Array.from(
    { length: size.resources ?? 8 },
    (_, k) => `db://tenant/${index % 97}/table-${(index * 7 + k) % 64}`,
  );
  return {
    tenantId,
    agentId: `agent-${index}`,
    tools,
    resources,
    origin: `10.${(index >> 8) & 255}.${index & 255}.7`,
  };
}

/**
 * A BehavioralEvent as sentinel-ingest publishes it (about 600 bytes of JSON):
 * one of the agent's tools and resources, a session per two windows, mostly ok
 * with consistent denials (one tool on one resource) and random errors,
 * parameters and their entropy.
 */
export function behavioralEvent(
  agent: AgentShape,
  eventId: string,
  timestampMs: number,
  rand: () => number,
  overrides: Partial<BehavioralEvent> = {},
): BehavioralEvent {
  const toolIndex = Math.floor(rand() * agent.tools.length);
  const tool = agent.tools[toolIndex]!;
  const resourceIndex = Math.floor(rand() * agent.resources.length);
  const query = QUERIES[Math.floor(rand() * QUERIES.length)]!;
  // One tool on one resource is always denied (a few % of calls); errors are random.
  const outcome =
    agent.tools.length > 1 &&
    toolIndex === agent.tools.length - 1 &&
    resourceIndex === agent.resources.length - 1
      ? 'denied'
      : rand() < 0.02
        ? 'error'
        : 'ok';
  return {
    schemaVersion: 1,
    eventId,
    tenantId: agent.tenantId,
    agentId: agent.agentId,
    sessionId: `${agent.agentId}-s${Math.floor(timestampMs / (2 * WINDOW_MS))}`,
    timestamp: new Date(timestampMs).toISOString(),
    receivedAt: new Date(timestampMs + 40).toISOString(),
    source: { channel: 'http', origin: agent.origin },
    type: tool.startsWith('db') || tool === 'read_file' ? 'file_access' : 'tool_call',
    action: tool,
    resource: agent.resources[resourceIndex]!,
    outcome,
    latencyMs: Math.round(20 + rand() * 400),
    bytesIn: 200 + Math.floor(rand() * 800),
    bytesOut: 1000 + Math.floor(rand() * 3000),
    parameters: { query, limit: 20, page: Math.floor(rand() * 5) },
    parameterEntropy: 3.8 + rand() * 0.4,
    labels: { env: 'prod', gateway: 'mcp-proxy' },
    ...overrides,
  };
}

const ALERT_MIX: readonly { detector: DetectorId; metric: string; weight: number }[] = [
  { detector: 'call_rate_spike', metric: 'calls', weight: 0.3 },
  { detector: 'new_resource', metric: 'first_resource', weight: 0.2 },
  { detector: 'bytes_out_spike', metric: 'bytes_out', weight: 0.15 },
  { detector: 'deny_rate_spike', metric: 'deny_rate', weight: 0.1 },
  { detector: 'tool_mix_divergence', metric: 'tool_mix', weight: 0.1 },
  { detector: 'new_tool', metric: 'first_tool', weight: 0.1 },
  { detector: 'behavior_drift', metric: 'calls', weight: 0.05 },
];

/**
 * A ThreatAlert as the monitor publishes it: one of the common detectors, its
 * techniques, evidence, the tools and resources of the event behind it, and
 * sometimes a domain the agent reached.
 */
export function threatAlert(
  agent: AgentShape,
  seq: number,
  observedMs: number,
  rand: () => number,
  domain?: string,
): ThreatAlert {
  let pick = rand();
  const kind = ALERT_MIX.find((k) => (pick -= k.weight) < 0) ?? ALERT_MIX[0]!;
  const score = 0.5 + rand() * 0.5;
  const severity: Severity = score >= 0.9 ? 'critical' : score >= 0.7 ? 'high' : 'medium';
  const start = Math.floor(observedMs / WINDOW_MS) * WINDOW_MS;
  const mean = 10 + rand() * 20;
  const value = Math.round(mean * (2 + rand() * 3));
  return {
    schemaVersion: 1,
    alertId: deterministicId('bench-alert', agent.tenantId, agent.agentId, seq),
    tenantId: agent.tenantId,
    agentId: agent.agentId,
    sessionId: `${agent.agentId}-s${Math.floor(observedMs / (2 * WINDOW_MS))}`,
    detector: kind.detector,
    severity,
    score,
    riskScore: Math.round(score * 100),
    summary: `${kind.metric} reached ${value} in the open window against a baseline of ${mean.toFixed(1)}`,
    window: {
      start: new Date(start).toISOString(),
      end: new Date(start + WINDOW_MS).toISOString(),
    },
    observedAt: new Date(observedMs).toISOString(),
    evidence: {
      metric: kind.metric,
      value,
      baselineMean: mean,
      baselineStddev: Math.sqrt(mean),
      baselineWindows: 12,
      zScore: (value - mean) / Math.sqrt(mean),
      threshold: 4,
      sampleEventIds: Array.from({ length: 5 }, (_, i) => `${agent.agentId}-e${seq}-${i}`),
    },
    techniques: [...DETECTOR_TECHNIQUES[kind.detector]],
    tools: [agent.tools[seq % agent.tools.length]!],
    resources: [agent.resources[seq % agent.resources.length]!],
    ...(domain !== undefined && { iocs: { domains: [domain] } }),
  };
}

/**
 * Alerts of `tenants` × `agentsPerTenant` agents, `perAgent` each, in event-time
 * order: bursts of four alerts ten minutes apart (one incident), then a pause
 * longer than the correlation window (the next incident). Three alerts in ten
 * carry a domain shared by a pair of agents, so some incidents merge.
 */
export function alertScenario(
  tenantIds: readonly string[],
  agentsPerTenant: number,
  perAgent: number,
  t0: number,
  rand: () => number,
): ThreatAlert[] {
  const alerts: ThreatAlert[] = [];
  for (const tenantId of tenantIds) {
    for (let a = 0; a < agentsPerTenant; a++) {
      const agent = agentShape(tenantId, a);
      let at = t0 + Math.floor(rand() * 3_600_000);
      for (let j = 0; j < perAgent; j++) {
        at += (j % 4 === 0 && j > 0 ? 50 : 10) * 60_000 + Math.floor(rand() * 60_000);
        const domain =
          rand() < 0.3 ? `cdn-${Math.floor(a / 2)}.${tenantId}.example.net` : undefined;
        alerts.push(threatAlert(agent, j, at, rand, domain));
      }
    }
  }
  return alerts.sort((x, y) => Date.parse(x.observedAt) - Date.parse(y.observedAt));
}

/**
 * Runs `work` with a service started under the CPU profiler (in a fresh
 * temporary folder) and summarizes the profile over the span the service spent
 * consuming (under onBatch). The figures of a profiled pass are not reported.
 */
export async function profiled<T>(
  work: (profileDir: string) => Promise<T>,
  inclusive: readonly string[],
): Promise<ProfileSummary> {
  const dir = mkdtempSync(join(tmpdir(), 'ward-bench-prof-'));
  try {
    await work(dir);
    const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
    if (file === undefined) {
      throw new Error('the profiled service wrote no CPU profile');
    }
    return summarizeProfile(join(dir, file), { within: 'onBatch', inclusive, top: 12 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
