// response-engine throughput against the bare kafkajs consumer on the same
// topic: each run pre-fills a fresh ward.incidents.v1 with N incidents of fresh
// tenants (runs are derived from incident and playbook, so a second pass over
// the same incidents would start nothing), reads it with a bare consumer, then
// with a real response-engine running bench/playbooks (four steps, no approval,
// no network) until its committed offsets reach the end (every run stored) and
// until every run has finished. An extra pass under the CPU profiler (not
// counted) says where the engine's time goes.
// Usage: response-throughput.ts <topic prefix> <runs> <incidents> <tenants> <profile seconds>
import { join } from 'node:path';
import { allTopics, type Incident, IncidentContract, topicRegistry } from '@ward/contracts';
import {
  DEFAULT_CORRELATION_SETTINGS,
  deterministicId,
  digest,
  fold,
  newIncident,
  render,
} from '@ward/detectors';
import {
  alertScenario,
  bareConsume,
  cpuMeter,
  createTopics,
  endOffsets,
  kafkaFor,
  log,
  metricSum,
  metricsText,
  produceAll,
  profiled,
  prng,
  service,
  sleep,
  stats,
  stopService,
  waitCaughtUp,
} from './support';

const PLAYBOOK = 'bench-containment';
const COST_CENTRES = ['onIncident', 'advance', 'record', 'append', 'publish', 'execute'];

function incidents(tenants: readonly string[], count: number, seed: number): Incident[] {
  const perTenant = Math.ceil(count / tenants.length);
  const alerts = alertScenario(tenants, perTenant, 4, Date.now() - 86_400_000, prng(seed));
  const byAgent = new Map<string, typeof alerts>();
  for (const alert of alerts) {
    const key = `${alert.tenantId}/${alert.agentId}`;
    byAgent.set(key, [...(byAgent.get(key) ?? []), alert]);
  }
  const out: Incident[] = [];
  for (const group of byAgent.values()) {
    const first = group[0]!;
    const core = newIncident(
      first.tenantId,
      deterministicId('incident', first.tenantId, first.alertId),
    );
    fold(core, group.slice(0, 1 + (out.length % 4)).map(digest));
    core.version = 1;
    out.push(render(core, undefined, DEFAULT_CORRELATION_SETTINGS, Date.now()));
  }
  return out.slice(0, count);
}

interface Settings {
  readonly base: string;
  readonly total: number;
  readonly tenantCount: number;
}

async function oneRun(
  s: Settings,
  label: string,
  options: { readonly profileDir?: string; readonly progressMs?: number } = {},
) {
  const prefix = `${s.base}rsp${label}.`;
  const topics = topicRegistry(prefix);
  const topic = topics.incidents.name;
  const kafka = kafkaFor(prefix, 'bench-response');
  await createTopics(kafka, allTopics(topics));
  const admin = kafka.admin();
  await admin.connect();
  try {
    const stamp = Date.now().toString(36);
    const tenants = Array.from({ length: s.tenantCount }, (_, k) => `br${stamp}${label}t${k}`);
    const list = incidents(tenants, s.total, 11);
    for (const incident of list.slice(0, 20)) {
      const check = IncidentContract.validate(incident);
      if (!check.ok) {
        throw new Error(`bench incident fails the contract: ${JSON.stringify(check.issues)}`);
      }
    }
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await produceAll(producer, topic, list.length, (i) => ({
      key: list[i]!.incidentId,
      value: JSON.stringify(list[i]),
    }));
    await producer.disconnect();
    const end = await endOffsets(admin, topic);

    const bare = await bareConsume(kafka, topic, `${prefix}bare`, end);
    const group = `${prefix}respond`;
    const engine = await service(
      'response-engine',
      {
        KAFKA_TOPIC_PREFIX: prefix,
        RESPONSE_CONSUMER_GROUP: group,
        RESPONSE_PLAYBOOK_DIRS: join(__dirname, 'playbooks'),
        REDIS_KEY_PREFIX: `${prefix}:`,
      },
      options.profileDir,
    );
    const finished = (text: string) =>
      metricSum(text, 'ward_response_runs_total', [
        `playbook="${PLAYBOOK}"`,
        'status="succeeded"',
      ]) +
      metricSum(text, 'ward_response_runs_total', [`playbook="${PLAYBOOK}"`, 'status="failed"']);
    let consumed;
    let finishedAt = 0;
    let text = '';
    let cpu;
    try {
      const meter = cpuMeter(engine.pid);
      consumed = await waitCaughtUp(admin, group, topic, end, {
        what: 'response-engine',
        pollMs: 100,
        ...(options.progressMs !== undefined && { progressMs: options.progressMs }),
      });
      const deadline = Date.now() + 600_000;
      for (;;) {
        text = await metricsText(engine);
        if (options.progressMs !== undefined || finished(text) >= end) {
          finishedAt = Date.now();
          break;
        }
        if (Date.now() > deadline) {
          throw new Error(`response-engine finished ${finished(text)} of ${end} runs`);
        }
        await sleep(100);
      }
      cpu = meter.stop();
    } finally {
      await stopService(engine);
    }
    const completedPerSecond =
      (end - consumed.firstDone) / Math.max(1e-3, (finishedAt - consumed.firstAt) / 1000);
    return {
      incidents: end,
      bareIncidentsPerSecond: bare.perSecond,
      consumedIncidentsPerSecond: consumed.perSecond,
      completedIncidentsPerSecond: completedPerSecond,
      ratio: completedPerSecond / bare.perSecond,
      cpuCores: cpu,
      runsSucceeded: metricSum(text, 'ward_response_runs_total', [
        `playbook="${PLAYBOOK}"`,
        'status="succeeded"',
      ]),
      runsFailed: metricSum(text, 'ward_response_runs_total', [
        `playbook="${PLAYBOOK}"`,
        'status="failed"',
      ]),
      actionMessages: await endOffsets(admin, topics.responseActions.name),
      deadLettered: metricSum(text, 'ward_kafka_messages_dead_lettered_total'),
    };
  } finally {
    await admin.disconnect();
  }
}

async function main(): Promise<void> {
  const [base, runsArg, incidentsArg, tenantsArg, profileArg] = process.argv.slice(2) as [
    string,
    string,
    string,
    string,
    string | undefined,
  ];
  const runs = Number(runsArg);
  const settings: Settings = {
    base,
    total: Number(incidentsArg),
    tenantCount: Number(tenantsArg),
  };
  const profileSeconds = Number(profileArg ?? 0);
  const results = [];
  for (let run = 0; run < runs; run++) {
    const result = await oneRun(settings, `r${run}`);
    log(
      `response run ${run + 1}/${runs}: bare consumer ${Math.round(result.bareIncidentsPerSecond)} incidents/s, engine consumed ${Math.round(result.consumedIncidentsPerSecond)}/s, completed ${Math.round(result.completedIncidentsPerSecond)}/s, ratio ${result.ratio.toFixed(4)} (${result.runsSucceeded} runs succeeded, ${result.runsFailed} failed, ${result.actionMessages} actions published; cores used ${JSON.stringify(result.cpuCores)})`,
    );
    results.push(result);
  }
  const profile =
    profileSeconds > 0
      ? await profiled(
          (dir) => oneRun(settings, 'prof', { profileDir: dir, progressMs: profileSeconds * 1000 }),
          COST_CENTRES,
        )
      : undefined;
  if (profile !== undefined) {
    log(
      `response profile: idle ${(profile.idle * 100).toFixed(0)}%, GC ${(profile.gc * 100).toFixed(0)}%, ${JSON.stringify(profile.inclusive)}`,
    );
  }
  process.stdout.write(
    `${JSON.stringify({
      incidents: settings.total,
      tenants: settings.tenantCount,
      playbook: PLAYBOOK,
      bareIncidentsPerSecond: stats(results.map((r) => r.bareIncidentsPerSecond)),
      consumedIncidentsPerSecond: stats(results.map((r) => r.consumedIncidentsPerSecond)),
      completedIncidentsPerSecond: stats(results.map((r) => r.completedIncidentsPerSecond)),
      ratio: stats(results.map((r) => r.ratio)),
      profile,
      raw: results,
    })}\n`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
