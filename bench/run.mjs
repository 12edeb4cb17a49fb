#!/usr/bin/env node
// `npm run bench`: measures what users ask first, against the real broker,
// PostgreSQL and Redis, and writes docs/benchmarks/latest.json and, from it,
// docs/BENCHMARKS.md (bench/report.mjs). Each figure is the median of several
// runs with min and max; every ratio is against a baseline measured in the
// same run.
//
//   BENCH_ONLY=monitor,latency npm run bench   re-measure some sections, keep the rest
//   node bench/run.mjs --render                only re-render the page from latest.json
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import {
  ensureDependencies,
  ensureInfrastructure,
  log,
  pruneScratch,
  ROOT,
  run,
  startScratchRun,
  wardHome,
} from '../scripts/lib.mjs';
import { renderBenchmarks } from './report.mjs';

const LATEST = join(ROOT, 'docs/benchmarks/latest.json');
const PAGE = join(ROOT, 'docs/BENCHMARKS.md');
const SECTIONS = ['ingest', 'policies', 'memory', 'monitor', 'latency', 'fusion', 'response'];

const num = (name, fallback) => Number(process.env[name] ?? fallback);
const RUNS = num('BENCH_RUNS', 5);
/** Runs of the sections that start services and fill topics (about a minute each section per run). */
const SLOW_RUNS = num('BENCH_SLOW_RUNS', Math.min(RUNS, 3));
const SECONDS = num('BENCH_SECONDS', 10);
const CONNECTIONS = num('BENCH_CONNECTIONS', 8);
const BATCH = num('BENCH_BATCH', 500);
const PROFILE_SECONDS = num('BENCH_PROFILE_SECONDS', 6);
const MONITOR = {
  events: num('BENCH_MONITOR_EVENTS', 200_000),
  agents: num('BENCH_MONITOR_AGENTS', 2_000),
  windows: num('BENCH_MONITOR_WINDOWS', 5),
};
const LATENCY = {
  seconds: num('BENCH_LATENCY_SECONDS', 30),
  rate: num('BENCH_LATENCY_RATE', 2_000),
  spikesPerSecond: num('BENCH_LATENCY_SPIKES', 4),
  agents: num('BENCH_LATENCY_AGENTS', 1_000),
};
const FUSION = {
  alerts: num('BENCH_FUSION_ALERTS', 4_000),
  tenants: num('BENCH_FUSION_TENANTS', 20),
  agentsPerTenant: num('BENCH_FUSION_AGENTS', 100),
};
const RESPONSE = {
  incidents: num('BENCH_RESPONSE_INCIDENTS', 600),
  tenants: num('BENCH_RESPONSE_TENANTS', 10),
};

const stats = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    median: sorted[Math.floor(sorted.length / 2)],
    min: sorted[0],
    max: sorted[sorted.length - 1],
    runs: sorted.length,
  };
};

/**
 * The page through prettier (paragraphs rewrapped at 80 columns, tables
 * aligned), so a later `npx prettier --write` changes nothing.
 */
async function writePage(results) {
  const prettier = await import('prettier');
  const options = (await prettier.resolveConfig(PAGE)) ?? {};
  const page = await prettier.format(renderBenchmarks(results), {
    ...options,
    filepath: PAGE,
    proseWrap: 'always',
    printWidth: 80,
  });
  writeFileSync(PAGE, page);
}

function previousResults() {
  return existsSync(LATEST) ? JSON.parse(readFileSync(LATEST, 'utf8')) : {};
}

if (process.argv.includes('--render')) {
  await writePage(previousResults());
  log('rendered docs/BENCHMARKS.md from docs/benchmarks/latest.json');
  process.exit(0);
}

const only = (process.env.BENCH_ONLY ?? '')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);
for (const s of only) {
  if (!SECTIONS.includes(s)) {
    console.error(`BENCH_ONLY: unknown section ${s} (one of ${SECTIONS.join(', ')})`);
    process.exit(2);
  }
}
const wanted = (section) => only.length === 0 || only.includes(section);

const started = Date.now();
ensureDependencies();
ensureInfrastructure();

const scratchRun = startScratchRun();
// A database of the run's own, dropped at the end: the alerts, incidents,
// runs and audit entries a bench makes would otherwise stay in the shared one
// (where fusion re-assesses every open incident on a feed change).
const sharedDatabase = process.env.DATABASE_URL;
const benchDatabase = `ward_bench_${scratchRun}`;
run('psql', [sharedDatabase, '-qAtX', '-c', `CREATE DATABASE ${benchDatabase}`]);
{
  const url = new URL(sharedDatabase);
  url.pathname = `/${benchDatabase}`;
  process.env.DATABASE_URL = url.toString();
}
process.on('exit', () => {
  pruneScratch(scratchRun);
  spawnSync(
    'psql',
    [sharedDatabase, '-qAtX', '-c', `DROP DATABASE IF EXISTS ${benchDatabase} WITH (FORCE)`],
    {
      stdio: 'inherit',
    },
  );
});
run(process.execPath, ['scripts/run-ts.mjs', 'libs/persistence/src/cli/migrate.ts']);
const tag = `bench-${Date.now().toString(36)}`;
const prefix = `scratch.${scratchRun}.${tag}.`;
const port = 3901;
const adminToken = `${tag}-admin`;

async function waitReady(url) {
  for (let i = 0; i < 300; i++) {
    const res = await fetch(url).catch(() => undefined);
    if (res?.status === 200) {
      return;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} never became ready`);
}

/** Runs a TypeScript benchmark; its log goes to the terminal, its one JSON line is returned. */
function benchTs(entry, args) {
  const out = spawnSync(
    process.execPath,
    [join(ROOT, 'scripts/run-ts.mjs'), entry, ...args.map(String)],
    {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  if (out.status !== 0) {
    throw new Error(`${entry} failed (exit ${out.status ?? out.signal})`);
  }
  return JSON.parse(out.stdout.trim().split('\n').at(-1));
}

/** Functions whose inclusive share the ingest profile reports (see INGEST_COST_CENTRES in report.mjs). */
const INGEST_COST_CENTRES = [
  'recordsFromNdjson',
  'normalizeRawEvent',
  'inspectEvent',
  'label',
  'seen',
  'mark',
  'send',
  'encode',
];

/**
 * sentinel-ingest on `port`, the way the benchmark runs it; with a folder, under
 * `node --cpu-prof` writing its profile there on exit.
 */
function startIngest(profileDir) {
  const server = spawn(
    process.execPath,
    [
      ...(profileDir === undefined
        ? []
        : ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, '--cpu-prof-name=ingest.cpuprofile']),
      '-r',
      '@swc-node/register',
      join(ROOT, 'apps/sentinel-ingest/src/main.ts'),
    ],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        SWC_NODE_PROJECT: join(ROOT, 'tsconfig.base.json'),
        KAFKAJS_NO_PARTITIONER_WARNING: '1',
        PORT: String(port),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
        KAFKA_TOPIC_PREFIX: prefix,
        REDIS_KEY_PREFIX: prefix,
        INGEST_ADMIN_TOKEN: adminToken,
        INGEST_RATE_LIMIT_EVENTS_PER_SECOND: '10000000',
        INGEST_RATE_LIMIT_BURST: '100000000',
        INGEST_RAW_TOPIC_ENABLED: 'false',
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  const exited = new Promise((r) => server.on('exit', r));
  return {
    async ready() {
      await waitReady(`http://127.0.0.1:${port}/readyz`);
      const created = await fetch(`http://127.0.0.1:${port}/v1/api-keys`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ tenantId: 'bench', name: 'bench' }),
      });
      return (await created.json()).key;
    },
    async stop() {
      server.kill('SIGTERM');
      await exited;
    },
  };
}

/** One load run of `seconds` against the ingest on `port`. */
function ingestLoad(key, seconds) {
  const out = execFileSync(
    process.execPath,
    [
      join(ROOT, 'bench/http-load.mjs'),
      `http://127.0.0.1:${port}/v1/events`,
      key,
      String(seconds),
      String(CONNECTIONS),
      String(BATCH),
    ],
    { cwd: ROOT, encoding: 'utf8' },
  );
  return JSON.parse(out);
}

async function benchIngest() {
  const server = startIngest();
  try {
    const key = await server.ready();
    const results = [];
    for (let i = 0; i < RUNS; i++) {
      const result = ingestLoad(key, SECONDS);
      log(
        `ingest run ${i + 1}/${RUNS}: ${Math.round(result.eventsPerSecond)} events/s (p99 ${result.latencyP99Ms} ms per ${BATCH}-record request, non-2xx ${result.non2xx})`,
      );
      results.push(result);
    }
    return results;
  } finally {
    await server.stop();
  }
}

/**
 * An extra load run against an ingest under `node --cpu-prof` (not counted in
 * the figures): where its time goes while requests flow, over the span of the
 * samples under IntakeService.accept.
 */
async function profileIngest() {
  if (PROFILE_SECONDS <= 0) {
    return undefined;
  }
  const dir = mkdtempSync(join(tmpdir(), 'ward-bench-prof-'));
  try {
    const server = startIngest(dir);
    try {
      ingestLoad(await server.ready(), PROFILE_SECONDS);
    } finally {
      await server.stop();
    }
    return benchTs('bench/profile-summary.ts', [
      join(dir, 'ingest.cpuprofile'),
      12,
      '--within',
      'accept',
      '--inclusive',
      INGEST_COST_CENTRES.join(','),
      '--json',
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function benchProducer() {
  const results = [];
  for (let i = 0; i < RUNS; i++) {
    const result = benchTs('bench/kafka-produce.ts', [
      process.env.KAFKA_BROKERS ?? '127.0.0.1:9092',
      prefix,
      SECONDS,
      BATCH,
    ]);
    log(`baseline run ${i + 1}/${RUNS}: ${Math.round(result.eventsPerSecond)} events/s`);
    results.push(result);
  }
  return results;
}

/** One process per run: a second run in the same process under-reports (see monitor-memory.ts). */
function benchMemory(agents, runs) {
  const results = [];
  for (let i = 0; i < runs; i++) {
    const out = spawnSync(
      process.execPath,
      [
        '--expose-gc',
        '--max-old-space-size=16000',
        '-r',
        '@swc-node/register',
        'bench/monitor-memory.ts',
        String(agents),
        '1',
      ],
      {
        cwd: ROOT,
        encoding: 'utf8',
        env: { ...process.env, SWC_NODE_PROJECT: join(ROOT, 'tsconfig.base.json') },
        maxBuffer: 16 * 1024 * 1024,
      },
    );
    if (out.status !== 0) {
      throw new Error(out.stderr);
    }
    const result = JSON.parse(out.stdout);
    log(
      `monitor memory, ${agents} agents, run ${i + 1}/${runs}: ${result.bytesPerAgent.median} bytes per agent`,
    );
    results.push(result.bytesPerAgent.median);
  }
  return results;
}

/** The commit checked out, read from .git without running git. */
function gitCommit() {
  try {
    const gitDir = existsSync(join(ROOT, '.git', 'HEAD'))
      ? join(ROOT, '.git')
      : resolve(
          ROOT,
          readFileSync(join(ROOT, '.git'), 'utf8')
            .replace(/^gitdir:\s*/, '')
            .trim(),
        );
    const common = existsSync(join(gitDir, 'commondir'))
      ? join(gitDir, readFileSync(join(gitDir, 'commondir'), 'utf8').trim())
      : gitDir;
    const head = readFileSync(join(gitDir, 'HEAD'), 'utf8').trim();
    if (!head.startsWith('ref:')) {
      return head.slice(0, 7);
    }
    const ref = head.slice(4).trim();
    for (const dir of [gitDir, common]) {
      if (existsSync(join(dir, ref))) {
        return readFileSync(join(dir, ref), 'utf8').trim().slice(0, 7);
      }
    }
    const packed = readFileSync(join(common, 'packed-refs'), 'utf8');
    const line = packed.split('\n').find((l) => l.endsWith(` ${ref}`));
    return line ? line.slice(0, 7) : 'unknown';
  } catch {
    return 'unknown';
  }
}

/** The broker's version, from the jar deploy/local/infra.sh runs it from. */
function kafkaVersion() {
  try {
    const jar = readdirSync(join(wardHome(), 'kafka', 'libs')).find((f) =>
      /^kafka_[\d.]+-[\d.]+\.jar$/.test(f),
    );
    return jar === undefined ? 'unknown' : jar.replace(/^kafka_[\d.]+-|\.jar$/g, '');
  } catch {
    return 'unknown';
  }
}

const machine = {
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model ?? 'unknown',
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  node: process.version,
  kafka: `${kafkaVersion()} (single-node KRaft, local)`,
  date: new Date().toISOString(),
  git: gitCommit(),
};

const fresh = {};
if (wanted('ingest')) {
  log(
    `ingest HTTP NDJSON: ${RUNS} runs of ${SECONDS} s, ${CONNECTIONS} connections, ${BATCH} records per request`,
  );
  const ingest = await benchIngest();
  const ingestProfile = await profileIngest();
  if (ingestProfile !== undefined) {
    log(
      `ingest profile: idle ${(ingestProfile.idle * 100).toFixed(0)}%, GC ${(ingestProfile.gc * 100).toFixed(0)}%, ${JSON.stringify(ingestProfile.inclusive)}`,
    );
  }
  log(`baseline: bare kafkajs producer, ${RUNS} runs of ${SECONDS} s, ${BATCH} records per send`);
  const baseline = benchProducer();
  const ingestStats = stats(ingest.map((r) => r.eventsPerSecond));
  const baselineStats = stats(baseline.map((r) => r.eventsPerSecond));
  fresh.ingestHttp = {
    settings: { runs: RUNS, seconds: SECONDS, connections: CONNECTIONS, batch: BATCH },
    eventsPerSecond: ingestStats,
    requestP99Ms: stats(ingest.map((r) => r.latencyP99Ms)),
    profile: ingestProfile,
    raw: ingest,
  };
  fresh.baselineProducer = { eventsPerSecond: baselineStats, raw: baseline };
  fresh.ratio = ingestStats.median / baselineStats.median;
}
if (wanted('monitor')) {
  log(
    `monitor throughput: ${SLOW_RUNS} runs over ${MONITOR.events} events of ${MONITOR.agents} agents, bare consumer first in each run`,
  );
  fresh.monitorThroughput = benchTs('bench/monitor-throughput.ts', [
    `${prefix}mon.`,
    SLOW_RUNS,
    MONITOR.events,
    MONITOR.agents,
    MONITOR.windows,
    PROFILE_SECONDS,
  ]);
}
if (wanted('latency')) {
  log(
    `event-to-alert latency: ${SLOW_RUNS} runs of ${LATENCY.seconds} s at ${LATENCY.rate} events/s, ${LATENCY.spikesPerSecond} spikes/s`,
  );
  fresh.alertLatency = benchTs('bench/alert-latency.ts', [
    prefix,
    SLOW_RUNS,
    LATENCY.seconds,
    LATENCY.rate,
    LATENCY.spikesPerSecond,
    LATENCY.agents,
  ]);
}
if (wanted('fusion')) {
  log(`fusion throughput: ${SLOW_RUNS} runs of ${FUSION.alerts} alerts`);
  fresh.fusionThroughput = benchTs('bench/fusion-throughput.ts', [
    prefix,
    SLOW_RUNS,
    FUSION.alerts,
    FUSION.tenants,
    FUSION.agentsPerTenant,
    PROFILE_SECONDS,
  ]);
}
if (wanted('response')) {
  log(`response-engine throughput: ${SLOW_RUNS} runs of ${RESPONSE.incidents} incidents`);
  fresh.responseThroughput = benchTs('bench/response-throughput.ts', [
    prefix,
    SLOW_RUNS,
    RESPONSE.incidents,
    RESPONSE.tenants,
    PROFILE_SECONDS,
  ]);
}
if (wanted('policies')) {
  log('policy enforcement: PolicySet evaluation against contract validation');
  fresh.policyEnforcement = benchTs('bench/policy-eval.ts', [RUNS, 2]);
}
if (wanted('memory')) {
  log('monitor memory per tracked agent: 3 runs of 100,000 agents, 1 run of 1,000,000');
  fresh.monitorMemoryBytesPerAgent = {
    agents100k: stats(benchMemory(100_000, 3)),
    agents1m: stats(benchMemory(1_000_000, 1)),
  };
}

const SECTION_KEYS = {
  ingest: ['ingestHttp', 'baselineProducer', 'ratio'],
  policies: ['policyEnforcement'],
  memory: ['monitorMemoryBytesPerAgent'],
  monitor: ['monitorThroughput'],
  latency: ['alertLatency'],
  fusion: ['fusionThroughput'],
  response: ['responseThroughput'],
};
const measuredNow = Object.fromEntries(
  SECTIONS.filter(wanted).map((s) => [s, { date: machine.date, git: machine.git }]),
);
const settings = {
  runs: RUNS,
  slowRuns: SLOW_RUNS,
  seconds: SECONDS,
  connections: CONNECTIONS,
  batch: BATCH,
  profileSeconds: PROFILE_SECONDS,
  monitor: MONITOR,
  latency: LATENCY,
  fusion: FUSION,
  response: RESPONSE,
};
const wallSeconds = (Date.now() - started) / 1000;
let results;
if (only.length === 0) {
  results = { machine, settings, wallSeconds, measured: measuredNow, ...fresh };
} else {
  // A partial run keeps the other sections (and the machine line) of the last full run.
  const previous = previousResults();
  results = {
    ...previous,
    machine: previous.machine ?? machine,
    settings: previous.settings ?? settings,
    measured: { ...(previous.measured ?? {}), ...measuredNow },
    ...fresh,
  };
  for (const s of SECTIONS.filter(wanted)) {
    for (const key of SECTION_KEYS[s]) {
      if (fresh[key] === undefined) {
        delete results[key];
      }
    }
  }
}
mkdirSync(join(ROOT, 'docs/benchmarks'), { recursive: true });
writeFileSync(LATEST, `${JSON.stringify(results, null, 2)}\n`);
await writePage(results);
log(
  `wrote docs/BENCHMARKS.md and docs/benchmarks/latest.json (${only.length === 0 ? 'all sections' : only.join(', ')}) in ${Math.round(wallSeconds)} s`,
);
