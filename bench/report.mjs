// Renders docs/BENCHMARKS.md from the results `npm run bench` writes to
// docs/benchmarks/latest.json: every word and figure of that page comes from
// here, so a run never leaves hand edits behind to lose.

const n = (v) => (Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : 'n/a');
const f1 = (v) => (Number.isFinite(v) ? v.toFixed(1) : 'n/a');
const f2 = (v) => (Number.isFinite(v) ? v.toFixed(2) : 'n/a');
const pct = (v) => (Number.isFinite(v) ? `${Math.round(v * 100)}%` : 'n/a');
const row = (label, s, fmt = n) =>
  `| ${label} | ${fmt(s.median)} | ${fmt(s.min)} | ${fmt(s.max)} |`;
const TABLE_HEAD = '| | median | min | max |\n| --- | ---: | ---: | ---: |';
const met = (ok) => (ok ? '**met**' : '**not met**');
const runs = (k) => `${k} run${k === 1 ? '' : 's'}`;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Median cores used per component over the runs (see cpuMeter in support.ts). */
function cores(raw) {
  const list = raw.map((r) => r.cpuCores).filter(Boolean);
  if (list.length === 0) {
    return undefined;
  }
  const keys = ['service', 'kafka', 'postgres', 'redis', 'bench', 'other'];
  return Object.fromEntries(keys.map((k) => [k, median(list.map((c) => c[k] ?? 0))]));
}

function coresLine(r, raw, service) {
  const c = cores(raw);
  if (c === undefined) {
    return '';
  }
  return `CPU while it ran (median of the runs, in cores of the ${r.machine.cpus}-core machine):
${service} ${f2(c.service)}, Kafka ${f2(c.kafka)}, PostgreSQL ${f2(c.postgres)}, Redis
${f2(c.redis)}, the benchmark process ${f2(c.bench)}, and other processes on this
shared machine ${f2(c.other)}.`;
}

/** One sentence on a profiled pass: idle, GC, the named cost centres and the top functions. */
function profileLine(profile, labels) {
  if (profile === undefined || profile === null) {
    return 'No profiled pass in this run (`BENCH_PROFILE_SECONDS=0`).';
  }
  const centres = Object.entries(labels)
    .filter(([fn]) => profile.inclusive[fn] !== undefined)
    .map(([fn, label]) => `${label} ${pct(profile.inclusive[fn])} (\`${fn}\`)`);
  const top = profile.functions
    .filter((x) => !x.name.startsWith('(garbage collector)'))
    .slice(0, 4)
    .map((x) => `\`${x.name.replace(/ .*\//, ' ').replace(/:\d+$/, '')}\` ${pct(x.share)}`);
  const writes = profile.functions
    .filter((x) => /^(writev|writeBuffer|writeUtf8String) /.test(x.name))
    .reduce((sum, x) => sum + x.share, 0);
  const writesNote =
    writes >= 0.15
      ? ` Socket writes alone (\`writev\`, \`writeBuffer\`: a system call for each statement or request sent) took ${pct(writes)}.`
      : '';
  return `In an extra pass under \`node --cpu-prof\` (${f1(profile.sampledSeconds)} s
while it worked, not counted in the table) the process was idle, waiting on
I/O, ${pct(profile.idle)} of the time and in GC ${pct(profile.gc)}${
    centres.length > 0 ? `; with the function on the stack: ${centres.join(', ')}` : ''
  }; the most self time: ${top.join(', ')}.${writesNote}`;
}

function atAGlance(r) {
  const rows = [];
  const add = (what, aim, figure, ok) =>
    rows.push(
      `| ${what} | ${aim} | ${figure} | ${ok === undefined ? 'no aim' : ok ? 'yes' : 'no'} |`,
    );
  if (r.ingestHttp) {
    const v = r.ingestHttp.eventsPerSecond.median;
    add('ingest, HTTP NDJSON', '≥ 50,000 events/s', `${n(v)} events/s`, v >= 50_000);
  }
  if (r.monitorMemoryBytesPerAgent) {
    const v = r.monitorMemoryBytesPerAgent.agents1m.median;
    add('monitor memory per agent (1M agents)', '≤ 2 KB', `${n(v)} bytes`, v <= 2048);
  }
  if (r.monitorThroughput) {
    const v = r.monitorThroughput.ratio.median;
    add('monitor / bare consumer', '≥ 0.7', f2(v), v >= 0.7);
  }
  if (r.alertLatency) {
    const v = r.alertLatency.p99Ms.median;
    add('event to alert, p99', '< 100 ms', `${n(v)} ms`, v < 100);
  }
  if (r.fusionThroughput) {
    add('fusion', '—', `${n(r.fusionThroughput.fusionAlertsPerSecond.median)} alerts/s`);
  }
  if (r.responseThroughput) {
    add(
      'response-engine',
      '—',
      `${n(r.responseThroughput.completedIncidentsPerSecond.median)} incidents/s`,
    );
  }
  return `| | aim | median | met |\n| --- | --- | ---: | --- |\n${rows.join('\n')}`;
}

function measuredNote(r, section) {
  const m = r.measured?.[section];
  if (m === undefined || m.date === r.machine.date) {
    return '';
  }
  return `\n_Measured separately (\`BENCH_ONLY\`) on ${m.date}, commit ${m.git}._\n`;
}

const INGEST_COST_CENTRES = {
  recordsFromNdjson: 'NDJSON parsing',
  normalizeRawEvent: 'validation and normalization',
  inspectEvent: 'the inline secret and injection scan',
  label: 'policy labels',
  seen: 'the dedup lookup',
  mark: 'the dedup mark',
  send: 'the publish',
  encode: "kafkajs's request encoding",
};

/** Why ingest stays under its aim, from the profiled pass's shares. */
function ingestCause(profile) {
  if (profile === undefined || profile === null) {
    return '';
  }
  const share = (test) =>
    profile.packages.filter((p) => test(p.name)).reduce((sum, p) => sum + p.share, 0);
  const kafkajs = share((name) => name === 'npm:kafkajs');
  const own = share((name) => /^(apps|libs)\//.test(name));
  return ` Ingest itself is bound by the CPU, not by waiting: in the profiled pass
below it was idle ${pct(profile.idle)} of the time. kafkajs took ${pct(kafkajs)}
(encoding and checksumming the produce requests, work the bare producer does
too), GC ${pct(profile.gc)}, and Ward's own code (parsing, validation and
normalization, entropy, the inline scan, dedup keys) ${pct(own)}; the rest is
the runtime's JSON and buffer work and the HTTP server. One instance turns its
core into the figure above while the load generator, the broker and Redis
share the other; more throughput takes more instances (ingest is stateless
behind a load balancer) or a machine where the broker has its own cores.`;
}

function ingestSection(r) {
  const { ingestHttp: ih, baselineProducer: bp } = r;
  const s = ih.settings ?? r.settings;
  return `## sentinel-ingest: HTTP NDJSON intake
${measuredNote(r, 'ingest')}
Load from a separate process (autocannon, ${s.connections} connections), each
request an NDJSON batch of ${s.batch} records with fresh event ids, through the
whole path: API-key check, per-tenant rate limit in Redis, parsing,
validation and normalization, dedup lookups and marks in Redis, and an
idempotent, acks=all publish to \`ward.behavioral-events.v1\`. ${s.runs} runs
of ${s.seconds} s; the baseline is a bare idempotent kafkajs producer sending
the same kind of records in batches of ${s.batch} to the same broker, in the
same run.

${TABLE_HEAD}
${row('ingest, events/s', ih.eventsPerSecond)}
${row(`request p99 (ms, ${s.batch} records)`, ih.requestP99Ms)}
${row('baseline: bare kafkajs producer, events/s', bp.eventsPerSecond)}
| **ratio ingest / baseline** | **${f2(r.ratio)}** | | |

The aim is 50,000 events/s per instance: ${met(ih.eventsPerSecond.median >= 50_000)}.
The load generator, the service and the broker share the same ${r.machine.cpus}
cores here, so both figures are lower bounds of what a dedicated instance does.${
    ih.eventsPerSecond.median >= 50_000
      ? ''
      : bp.eventsPerSecond.median < 50_000
        ? ` Here the bare producer alone, which does no more than publish what ingest
publishes, stays under the aim (${n(bp.eventsPerSecond.median)} events/s), so no
instance of ingest can reach it on this machine; what ingest adds per record is
the HTTP request, NDJSON parsing, contract validation and normalization, the
inline secret and prompt-injection scan, policy labels, and its share of the
per-request dedup lookup and mark in Redis (one command each per request).`
        : ` Per record ingest adds to the bare producer's work the HTTP request, NDJSON
parsing, contract validation and normalization, the inline secret and
prompt-injection scan, policy labels, and its share of the per-request dedup
lookup and mark in Redis (one command each per request).`
  }${ih.eventsPerSecond.median >= 50_000 ? '' : ingestCause(ih.profile)}

${profileLine(ih.profile, INGEST_COST_CENTRES)}
`;
}

function memorySection(r) {
  const { agents100k: a, agents1m: b } = r.monitorMemoryBytesPerAgent;
  const ok = b.median <= 2048 && a.median <= 2048;
  return `## behavioral-monitor: memory per tracked agent
${measuredNote(r, 'memory')}
Measured by \`bench/monitor-memory.ts\`: N agent profiles built the way the
monitor holds them (one map entry per agent, two closed windows and an open
one of realistic traffic: three tools, a resource, a session), heap and array
buffer growth after a full GC, divided by N, one run per process.

| agents | runs | bytes per agent (median, min–max) |
| --- | --- | --- |
| 100,000 | ${a.runs} | ${n(a.median)} (${n(a.min)}–${n(a.max)}) |
| 1,000,000 | ${b.runs} | ${n(b.median)} |

The aim is at most 2 KB (2,048 bytes) per agent (issue 9): ${met(ok)}.${
    ok
      ? ''
      : ' Most of the cost is the per-object overhead V8 adds to what each profile holds beyond its packed state (wrapper objects, the map entry and its key, the sample event ids).'
  }
`;
}

function policiesSection(r) {
  const p = r.policyEnforcement;
  return `## sentinel-ingest: enforcing active policies
${measuredNote(r, 'policies')}
Measured by \`bench/policy-eval.ts\`: the JSON form of a tenant's active
policies evaluated in-process on realistic events (1 KB result, parameters,
indicators), as sentinel-ingest does before publishing each event, with the
per-agent call counter rate ceilings need. One policy in ten is an injection
block scanning parameters and result with every strong injection pattern when
its agent matches. Baseline in the same process and run: the contract
validation every event already goes through. ${p.runs} runs of ${p.seconds} s;
no aim is set.

| events/s | median | min | max |
| --- | ---: | ---: | ---: |
${row('baseline: `BehavioralEventContract.validate`', p.eventsPerSecond.validate)}
${row('10 active policies', p.eventsPerSecond.policies10)}
${row('50 active policies', p.eventsPerSecond.policies50)}
| **ratio 10 policies / baseline** | **${f2(p.ratio10)}** | | |
| **ratio 50 policies / baseline** | **${f2(p.ratio50)}** | | |
`;
}

const MONITOR_COST_CENTRES = {
  decode: 'decoding and validating events',
  claim: 'the Redis dedup claims (one script run per batch)',
  observe: 'the profile engine',
  row: 'serializing profiles for the checkpoint',
};

function monitorSection(r) {
  const m = r.monitorThroughput;
  const raw = m.raw;
  const ok = m.ratio.median >= 0.7;
  const batchEvents = median(raw.map((x) => m.events / Math.max(1, x.batches)));
  const batchMs = median(raw.map((x) => x.batchSecondsMean * 1000));
  const checkpointMs = median(raw.map((x) => x.checkpointSecondsMean * 1000));
  const monitorSeconds = median(raw.map((x) => x.monitorSeconds));
  const alerts = median(raw.map((x) => x.alerts));
  const windows = median(raw.map((x) => x.windowsClosed));
  return `## behavioral-monitor: throughput against a bare consumer
${measuredNote(r, 'monitor')}
Measured by \`bench/monitor-throughput.ts\`. One \`ward.behavioral-events.v1\`
(6 partitions) is pre-filled once with ${n(m.events)} realistic BehavioralEvents
(about 600 bytes of JSON each, as ingest publishes them) of ${n(m.agents)} agents,
each with four tools and eight resources, consistent denials of one tool on one
resource, random errors, a session per two windows, event times spread evenly
over ${m.windows} one-minute windows, so every agent closes windows, warms its
baselines up and is judged. Each of ${runs(m.ratio.runs)} (fewer than the
${r.settings.runs} of the fast sections, to keep the whole bench near ten
minutes) reads the whole topic twice: first with a bare kafkajs consumer (fresh
group, the services' fetch size, \`JSON.parse\` of every record, an offset
commit per batch, nothing else), then with a real \`behavioral-monitor\`
process (fresh consumer group, so fresh state in PostgreSQL, and a fresh Redis
key prefix) until its committed offsets, polled with \`admin.fetchOffsets\`
every 50 ms, reach the topic's end. Both rates are taken from the first
committed progress to the end, so start-up and the group join are left out.
The monitor commits only what it has checkpointed, every
\`MONITOR_CHECKPOINT_INTERVAL_MS\` (1 s), so its rate is that of durable
progress, measured to within about a second.

| events/s | median | min | max |
| --- | ---: | ---: | ---: |
${row('baseline: bare kafkajs consumer', m.bareEventsPerSecond)}
${row('behavioral-monitor', m.monitorEventsPerSecond)}
${row('**ratio monitor / bare consumer**', m.ratio, f2)}

Per run the monitor profiled all ${n(m.events)} events in ${f1(monitorSeconds)} s
(median), closed ${n(windows)} agent windows and published ${n(alerts)} alerts;
it handled batches of about ${n(batchEvents)} events in ${n(batchMs)} ms each
(six partitions at once); a checkpoint transaction, written in the background
while batches go on (one partition at a time, the changed profiles copied when
it is taken and serialized in slices), took ${n(checkpointMs)} ms.

The aim is at least 0.7 of the bare consumer (DESIGN.md, issue 9): ${met(ok)}.${
    ok
      ? ''
      : ` Per event the monitor does what the bare consumer does not: contract
validation, its share of a batch's dedup claim in Redis (one script run per
batch), the profile update and detectors, and the serialization of changed
profiles for the checkpoint; per batch the alert path when a batch raised
alerts. It is bound by CPU, not by round trips: with the process on the CPU
almost all the time, decoding, the profile engine and GC dominate (below), and
the bare consumer's \`JSON.parse\` alone is a large part of its own cost. The
way to 0.7 is spreading partitions over cores (worker threads) or a cheaper
wire format than JSON; on this two-core machine, where the broker, PostgreSQL
and Redis share the cores with it, even the first would not get there.`
  }
${profileLine(m.profile, MONITOR_COST_CENTRES)}
${coresLine(r, raw, 'the monitor')}
`;
}

function latencySection(r) {
  const l = r.alertLatency;
  const ok = l.p99Ms.median < 100;
  const raw = l.raw;
  const spikes = Math.ceil(l.seconds * l.spikesPerSecond);
  const busy = median(raw.map((x) => (x.batches * x.batchSecondsMean) / x.producedSeconds));
  const batchEvents = median(
    raw.map((x) => (x.offeredEventsPerSecond * x.producedSeconds) / Math.max(1, x.batches)),
  );
  const slow = raw.flatMap((x) => x.slowest ?? []).sort((a, b) => b.ms - a.ms)[0];
  const backlog = raw
    .map((x) => x.maxBacklog)
    .filter(Boolean)
    .sort((a, b) => b.events - a.events)[0];
  const c = cores(raw);
  return `## behavioral-monitor: event to alert latency
${measuredNote(r, 'latency')}
Measured by \`bench/alert-latency.ts\` against a real \`behavioral-monitor\`
process (fresh topics, consumer group and Redis key prefix per run). Background
traffic of ${n(l.backgroundAgents)} agents is produced at a fixed
${n(l.rate)} events/s in batches every 10 ms (idempotent producer, acks=all),
its event time running ten times faster than the wall clock so that windows
close and baselines warm up during the run; it runs alone for 5 s, then for
${l.seconds} s ${l.spikesPerSecond} agents per second burst on top of it. Each
bursting agent first gets five one-minute windows of calm history (10 calls
each, produced before the clock starts), then 50 calls in its sixth window,
spread over one second, so \`call_rate_spike\` fires mid-window at the call
that crosses the threshold (medium, then high, then critical: ${n(spikes * 3)}
alerts a run), and \`bytes_out_spike\` fires with it. Each alert is matched to
the event that completed its evidence (the last of its sample event ids, the
event being judged), and the latency is from that event's \`send()\` to the
alert's arrival at a consumer of \`ward.threat-alerts.v1\` in the benchmark
process: one clock. ${runs(l.p99Ms.runs)} (fewer than ${r.settings.runs}, for
time); each percentile is taken per run (nearest rank).

| ms | median | min | max |
| --- | ---: | ---: | ---: |
${row('p50', l.p50Ms)}
${row('p99', l.p99Ms)}
${row('p99.9', l.p999Ms)}
${row('p99 of event to alert published by the monitor', l.toPublishP99Ms)}
${row('alerts matched per run (samples)', l.samples)}
${row('offered events/s', l.offeredEventsPerSecond)}

All runs pooled: ${n(l.pooled.samples)} samples, p50 ${n(l.pooled.p50Ms)} ms, p99
${n(l.pooled.p99Ms)} ms, p99.9 ${n(l.pooled.p999Ms)} ms, max ${n(l.pooled.maxMs)} ms.
With a few hundred samples a run, a run's p99.9 is its slowest alert or close to
it.

The aim is p99 under 100 ms at steady load (DESIGN.md, issue 9): ${met(ok)}.${
    ok
      ? ''
      : ` Of the p99 of ${n(l.p99Ms.median)} ms, ${n(l.toPublishP99Ms.median)} ms pass before the alert
leaves the monitor (its Kafka timestamp is set by the monitor's producer). The
monitor handles the six partitions' batches at once; a batch is a dedup claim
in Redis, the profile update (with the alert cooldowns, which live in the
profile), and, when it raised alerts, the alert insert in PostgreSQL and one produce request for alerts and tier
changes. Checkpoints are written in the background every second, one
partition at a time, serialized in slices; what holds the event loop now is
GC and those slices, and an event that arrives then waits. Here a batch held
about ${n(batchEvents)} events and took ${f1(median(raw.map((x) => x.batchSecondsMean * 1000)))} ms, and the
consumer spent ${pct(busy)} of the wall time inside batches while the monitor
process used ${c === undefined ? 'n/a' : f2(c.service)} of a core${
          busy >= 0.8
            ? `: the loop is saturated by waiting on those round trips, not by
computing, so an event mostly waits for the batches of the other partitions
ahead of it.`
            : '; an event waits for the batches of the other partitions ahead of it, then its own.'
        }${
          backlog === undefined
            ? ''
            : ` The largest backlog seen (sampled once a second) was ${n(backlog.events)} events, ${backlog.atSecond} s into the spikes.`
        }${
          slow === undefined
            ? ''
            : ` The slowest alert took ${n(slow.ms)} ms, ${f1(slow.atSecond)} s into the spikes.`
        }`
  }
${coresLine(r, raw, 'the monitor')}
`;
}

const FUSION_COST_CENTRES = {
  correlate: 'correlation (synchronous parts)',
  render: 'rendering incidents',
};

function fusionSection(r) {
  const fu = r.fusionThroughput;
  const raw = fu.raw;
  const msPerAlert = 1000 / fu.fusionAlertsPerSecond.median;
  return `## fusion: alerts to incidents
${measuredNote(r, 'fusion')}
Measured by \`bench/fusion-throughput.ts\`. Each of ${runs(fu.ratio.runs)}
pre-fills a fresh \`ward.threat-alerts.v1\` with ${n(fu.alerts)} ThreatAlerts
of fresh tenants (${fu.tenants} tenants × ${fu.agentsPerTenant} agents; the
common detectors with their techniques and evidence; per agent, bursts of four
alerts ten minutes apart separated by pauses longer than the 30-minute
correlation window; three alerts in ten carry a domain shared by a pair of
agents, so some incidents merge), reads it with the bare consumer, then with a
real \`fusion\` process until its committed offsets reach the end. Fresh
tenants each run because fusion keeps incidents per tenant: a second pass over
the same alerts would find only duplicates. ${n(fu.alerts)} alerts rather than
more, and ${runs(fu.ratio.runs)}, to keep the whole bench near ten minutes.

| alerts/s | median | min | max |
| --- | ---: | ---: | ---: |
${row('baseline: bare kafkajs consumer', fu.bareAlertsPerSecond)}
${row('fusion', fu.fusionAlertsPerSecond)}
${row('**ratio fusion / bare consumer**', fu.ratio, (v) => v.toFixed(4))}

Per run fusion opened ${n(median(raw.map((x) => x.incidentsOpened)))} incidents
and wrote ${n(median(raw.map((x) => x.incidentVersions)))} incident versions.
No aim is set for fusion (DESIGN.md and issue 9 name none); it costs about
${f1(msPerAlert)} ms per alert. Each alert is folded in its own PostgreSQL
transaction under its tenant's advisory lock, a chain of about ten sequential
statements (lock, duplicate check, candidate lookup, incident load, version
insert, keys, alert link), so the rate is set by round trips to PostgreSQL,
not by the correlation itself.
${profileLine(fu.profile, FUSION_COST_CENTRES)}
${coresLine(r, raw, 'fusion')}
`;
}

function responseSection(r) {
  const re = r.responseThroughput;
  const raw = re.raw;
  return `## response-engine: incidents to finished playbook runs
${measuredNote(r, 'response')}
Measured by \`bench/response-throughput.ts\`. Each of ${runs(re.ratio.runs)}
pre-fills a fresh \`ward.incidents.v1\` with ${n(re.incidents)} incidents of
fresh tenants (built by fusion's own domain functions from one to four alerts
each, so they are what fusion publishes), reads it with the bare consumer, then
with a real \`response-engine\` process whose only playbook is
\`bench/playbooks/${re.playbook}.yaml\`: four steps that wait for no approval
and call no outside system (rate limit and tier on \`ward.agent-control.v1\`,
an indicator block when high or worse, a note). Every step state is written to
PostgreSQL with its hash-chained audit entry and published to
\`ward.response-actions.v1\`, as in production. The engine commits an incident
once its runs are stored and advances them in the background, so two rates:
until its committed offsets reach the end, and until every run has finished
(\`ward_response_runs_total\`), both from the first committed progress. Fresh
tenants each run because runs are derived from incident and playbook.
${n(re.incidents)} incidents and ${runs(re.ratio.runs)}, to keep the whole bench
near ten minutes.

| incidents/s | median | min | max |
| --- | ---: | ---: | ---: |
${row('baseline: bare kafkajs consumer', re.bareIncidentsPerSecond)}
${row('response-engine, runs stored (offsets committed)', re.consumedIncidentsPerSecond)}
${row('response-engine, runs finished', re.completedIncidentsPerSecond)}
${row('**ratio finished / bare consumer**', re.ratio, (v) => v.toFixed(4))}

Per run ${n(median(raw.map((x) => x.runsSucceeded)))} runs succeeded and
${n(median(raw.map((x) => x.runsFailed)))} failed; ${n(median(raw.map((x) => x.actionMessages)))}
ResponseActions were published. No aim is set for the response engine
(DESIGN.md and issue 9 name none); it costs about
${f1(1000 / re.completedIncidentsPerSecond.median)} ms of wall time per
incident. Each step transition (${f1(median(raw.map((x) => x.actionMessages / x.incidents)))} a run here) is its own transaction on the
run's lock that also appends to the one audit chain under a global advisory
lock, then an acknowledged publish to Kafka; starting and finishing a run add
two more transactions.
${profileLine(re.profile, {})}
${coresLine(r, raw, 'the engine')}
`;
}

export function renderBenchmarks(r) {
  const m = r.machine;
  const sections = [
    r.ingestHttp && ingestSection(r),
    r.monitorThroughput && monitorSection(r),
    r.alertLatency && latencySection(r),
    r.monitorMemoryBytesPerAgent && memorySection(r),
    r.fusionThroughput && fusionSection(r),
    r.responseThroughput && responseSection(r),
    r.policyEnforcement && policiesSection(r),
  ].filter(Boolean);
  const wall =
    r.wallSeconds === undefined
      ? ''
      : ` The whole run took ${Math.floor(Math.round(r.wallSeconds) / 60)} min ${Math.round(r.wallSeconds) % 60} s.`;
  return `# Benchmarks

Produced by \`npm run bench\` (not part of \`npm test\`) against the real local
broker, PostgreSQL and Redis; raw figures in
[\`benchmarks/latest.json\`](benchmarks/latest.json). This page is written by
\`bench/report.mjs\` from that file: do not edit it by hand.
\`BENCH_ONLY=<sections>\` (ingest, policies, memory, monitor, latency, fusion,
response) re-measures some sections and re-renders the page with the others
kept; \`node bench/run.mjs --render\` only re-renders.

The machine is shared and noisy: each figure is the median of several runs with
min and max (${r.settings.runs} runs for the fast sections, ${r.settings.slowRuns ?? 'fewer'}
for the pipeline sections that start services), and each ratio is against a
baseline measured in the same run. Each pipeline section reports the CPU the
other processes on the machine took while it ran.${wall}

Machine: ${m.cpus} × ${m.cpuModel}, ${m.memoryGiB} GiB, Node ${m.node}, Kafka ${m.kafka}; commit ${m.git}, ${m.date}.

${atAGlance(r)}

${sections.join('\n')}`;
}
