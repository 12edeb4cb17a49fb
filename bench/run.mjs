#!/usr/bin/env node
// `npm run bench`: measures what users ask first, against the real broker,
// PostgreSQL and Redis, and writes docs/BENCHMARKS.md and
// docs/benchmarks/latest.json. Each figure is the median of several runs with
// min and max; every ratio is against a baseline measured in the same run.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { ensureDependencies, ensureInfrastructure, log, ROOT, run } from '../scripts/lib.mjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 8);
const BATCH = Number(process.env.BENCH_BATCH ?? 500);

ensureDependencies();
ensureInfrastructure();
run(process.execPath, ['scripts/run-ts.mjs', 'libs/persistence/src/cli/migrate.ts']);

const tag = `bench-${Date.now().toString(36)}`;
const prefix = `${tag}.`;
const port = 3901;
const adminToken = `${tag}-admin`;

const stats = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    median: sorted[Math.floor(sorted.length / 2)],
    min: sorted[0],
    max: sorted[sorted.length - 1],
    runs: sorted.length,
  };
};

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

async function benchIngest() {
  const { spawn } = await import('node:child_process');
  const server = spawn(
    process.execPath,
    [join(ROOT, 'scripts/run-ts.mjs'), 'apps/sentinel-ingest/src/main.ts'],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        PORT: String(port),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
        KAFKA_TOPIC_PREFIX: prefix,
        REDIS_KEY_PREFIX: `${tag}:`,
        INGEST_ADMIN_TOKEN: adminToken,
        INGEST_RATE_LIMIT_EVENTS_PER_SECOND: '10000000',
        INGEST_RATE_LIMIT_BURST: '100000000',
        INGEST_RAW_TOPIC_ENABLED: 'false',
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  try {
    await waitReady(`http://127.0.0.1:${port}/readyz`);
    const created = await fetch(`http://127.0.0.1:${port}/v1/api-keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ tenantId: 'bench', name: 'bench' }),
    });
    const { key } = await created.json();
    const results = [];
    for (let i = 0; i < RUNS; i++) {
      const out = execFileSync(
        process.execPath,
        [
          join(ROOT, 'bench/http-load.mjs'),
          `http://127.0.0.1:${port}/v1/events`,
          key,
          String(SECONDS),
          String(CONNECTIONS),
          String(BATCH),
        ],
        { cwd: ROOT, encoding: 'utf8' },
      );
      const result = JSON.parse(out);
      log(
        `ingest run ${i + 1}/${RUNS}: ${Math.round(result.eventsPerSecond)} events/s (p99 ${result.latencyP99Ms} ms per ${BATCH}-record request, non-2xx ${result.non2xx})`,
      );
      results.push(result);
    }
    return results;
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => server.on('exit', r));
  }
}

function benchBaseline() {
  const results = [];
  for (let i = 0; i < RUNS; i++) {
    const out = spawnSync(
      process.execPath,
      [
        join(ROOT, 'scripts/run-ts.mjs'),
        'bench/kafka-produce.ts',
        process.env.KAFKA_BROKERS ?? '127.0.0.1:9092',
        prefix,
        String(SECONDS),
        String(BATCH),
      ],
      { cwd: ROOT, encoding: 'utf8' },
    );
    if (out.status !== 0) {
      throw new Error(out.stderr);
    }
    const result = JSON.parse(out.stdout);
    log(`baseline run ${i + 1}/${RUNS}: ${Math.round(result.eventsPerSecond)} events/s`);
    results.push(result);
  }
  return results;
}

const machine = {
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model ?? 'unknown',
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  node: process.version,
  kafka: '3.9.1 (single-node KRaft, local)',
  date: new Date().toISOString(),
  git: execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
    cwd: ROOT,
    encoding: 'utf8',
  }).trim(),
};

log(
  `ingest HTTP NDJSON: ${RUNS} runs of ${SECONDS} s, ${CONNECTIONS} connections, ${BATCH} records per request`,
);
const ingest = await benchIngest();
log(`baseline: bare kafkajs producer, ${RUNS} runs of ${SECONDS} s, ${BATCH} records per send`);
const baseline = benchBaseline();

const ingestStats = stats(ingest.map((r) => r.eventsPerSecond));
const baselineStats = stats(baseline.map((r) => r.eventsPerSecond));
const p99 = stats(ingest.map((r) => r.latencyP99Ms));
const results = {
  machine,
  settings: { runs: RUNS, seconds: SECONDS, connections: CONNECTIONS, batch: BATCH },
  ingestHttp: { eventsPerSecond: ingestStats, requestP99Ms: p99, raw: ingest },
  baselineProducer: { eventsPerSecond: baselineStats, raw: baseline },
  ratio: ingestStats.median / baselineStats.median,
};
mkdirSync(join(ROOT, 'docs/benchmarks'), { recursive: true });
writeFileSync(join(ROOT, 'docs/benchmarks/latest.json'), `${JSON.stringify(results, null, 2)}\n`);

const n = (v) => Math.round(v).toLocaleString('en-US');
const md = `# Benchmarks

Produced by \`npm run bench\` (not part of \`npm test\`) against the real local
broker, PostgreSQL and Redis; raw figures in
[\`benchmarks/latest.json\`](benchmarks/latest.json). The machine is shared and
noisy: each figure is the median of ${RUNS} runs of ${SECONDS} s with min and
max, and each ratio is against a baseline measured in the same run.

Machine: ${machine.cpus} × ${machine.cpuModel}, ${machine.memoryGiB} GiB, Node ${machine.node}, Kafka ${machine.kafka}; commit ${machine.git}, ${machine.date}.

## sentinel-ingest: HTTP NDJSON intake

Load from a separate process (autocannon, ${CONNECTIONS} connections), each
request an NDJSON batch of ${BATCH} records with fresh event ids, through the
whole path: API-key check, per-tenant rate limit in Redis, parsing,
validation and normalization, dedup lookups and marks in Redis, and an
idempotent, acks=all publish to \`ward.behavioral-events.v1\`.

| | median | min | max |
| --- | ---: | ---: | ---: |
| ingest, events/s | ${n(ingestStats.median)} | ${n(ingestStats.min)} | ${n(ingestStats.max)} |
| request p99 (ms, ${BATCH} records) | ${n(p99.median)} | ${n(p99.min)} | ${n(p99.max)} |
| baseline: bare kafkajs producer, events/s | ${n(baselineStats.median)} | ${n(baselineStats.min)} | ${n(baselineStats.max)} |
| **ratio ingest / baseline** | **${results.ratio.toFixed(2)}** | | |

The aim is 50,000 events/s per instance. The load generator, the service and
the broker share the same ${machine.cpus} cores here, so both figures are lower
bounds of what a dedicated instance does.
`;
writeFileSync(join(ROOT, 'docs/BENCHMARKS.md'), md);
log(
  `wrote docs/BENCHMARKS.md: ingest median ${n(ingestStats.median)} events/s, baseline ${n(baselineStats.median)} events/s, ratio ${results.ratio.toFixed(2)}`,
);
