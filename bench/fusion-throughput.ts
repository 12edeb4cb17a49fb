// fusion throughput against the bare kafkajs consumer on the same topic: each
// run pre-fills a fresh ward.threat-alerts.v1 with N alerts of fresh tenants
// (fusion's incidents live per tenant, so a second pass over the same alerts
// would only find duplicates), reads it with a bare consumer, then with a real
// fusion process until its committed offsets reach the end. An extra pass
// under the CPU profiler (not counted) says where fusion's time goes.
// Usage: fusion-throughput.ts <topic prefix> <runs> <alerts> <tenants> <agents per tenant> <profile seconds>
import { agentKey, allTopics, ThreatAlertContract, topicRegistry } from '@ward/contracts';
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
  stats,
  stopService,
  waitCaughtUp,
} from './support';

const COST_CENTRES = ['correlate', 'decide', 'render', 'write', 'flush'];

interface Settings {
  readonly base: string;
  readonly total: number;
  readonly tenantCount: number;
  readonly agentsPerTenant: number;
}

async function oneRun(
  s: Settings,
  label: string,
  options: { readonly profileDir?: string; readonly progressMs?: number } = {},
) {
  const prefix = `${s.base}fus${label}.`;
  const topics = topicRegistry(prefix);
  const topic = topics.threatAlerts.name;
  const kafka = kafkaFor(prefix, 'bench-fusion');
  await createTopics(kafka, allTopics(topics));
  const admin = kafka.admin();
  await admin.connect();
  try {
    const stamp = Date.now().toString(36);
    const tenants = Array.from({ length: s.tenantCount }, (_, k) => `bf${stamp}${label}t${k}`);
    const perAgent = Math.ceil(s.total / (s.tenantCount * s.agentsPerTenant));
    const alerts = alertScenario(
      tenants,
      s.agentsPerTenant,
      perAgent,
      Date.now() - 2 * 86_400_000,
      prng(7),
    ).slice(0, s.total);
    for (const alert of alerts.slice(0, 50)) {
      const check = ThreatAlertContract.validate(alert);
      if (!check.ok) {
        throw new Error(`bench alert fails the contract: ${JSON.stringify(check.issues)}`);
      }
    }
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await produceAll(producer, topic, alerts.length, (i) => ({
      key: agentKey(alerts[i]!.tenantId, alerts[i]!.agentId),
      value: JSON.stringify(alerts[i]),
    }));
    await producer.disconnect();
    const end = await endOffsets(admin, topic);

    const bare = await bareConsume(kafka, topic, `${prefix}bare`, end);
    const group = `${prefix}fusion`;
    const fusion = await service(
      'fusion',
      { KAFKA_TOPIC_PREFIX: prefix, FUSION_CONSUMER_GROUP: group },
      options.profileDir,
    );
    let caught;
    let text;
    let cpu;
    try {
      const meter = cpuMeter(fusion.pid);
      caught = await waitCaughtUp(admin, group, topic, end, {
        what: 'fusion',
        pollMs: 100,
        ...(options.progressMs !== undefined && { progressMs: options.progressMs }),
      });
      cpu = meter.stop();
      text = await metricsText(fusion);
    } finally {
      await stopService(fusion);
    }
    return {
      alerts: end,
      bareAlertsPerSecond: bare.perSecond,
      fusionAlertsPerSecond: caught.perSecond,
      ratio: caught.perSecond / bare.perSecond,
      fusionSeconds: caught.seconds,
      cpuCores: cpu,
      incidentsOpened: metricSum(text, 'ward_fusion_incidents_opened_total'),
      incidentVersions:
        metricSum(text, 'ward_fusion_incidents_opened_total') +
        metricSum(text, 'ward_fusion_incidents_updated_total'),
      deadLettered: metricSum(text, 'ward_kafka_messages_dead_lettered_total'),
    };
  } finally {
    await admin.disconnect();
  }
}

async function main(): Promise<void> {
  const [base, runsArg, alertsArg, tenantsArg, agentsArg, profileArg] = process.argv.slice(2) as [
    string,
    string,
    string,
    string,
    string,
    string | undefined,
  ];
  const runs = Number(runsArg);
  const settings: Settings = {
    base,
    total: Number(alertsArg),
    tenantCount: Number(tenantsArg),
    agentsPerTenant: Number(agentsArg),
  };
  const profileSeconds = Number(profileArg ?? 0);
  const results = [];
  for (let run = 0; run < runs; run++) {
    const result = await oneRun(settings, `r${run}`);
    log(
      `fusion run ${run + 1}/${runs}: bare consumer ${Math.round(result.bareAlertsPerSecond)} alerts/s, fusion ${Math.round(result.fusionAlertsPerSecond)} alerts/s, ratio ${result.ratio.toFixed(4)} (${result.incidentsOpened} incidents opened, ${result.incidentVersions} versions; cores used ${JSON.stringify(result.cpuCores)})`,
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
      `fusion profile: idle ${(profile.idle * 100).toFixed(0)}%, GC ${(profile.gc * 100).toFixed(0)}%, ${JSON.stringify(profile.inclusive)}`,
    );
  }
  process.stdout.write(
    `${JSON.stringify({
      alerts: settings.total,
      tenants: settings.tenantCount,
      agentsPerTenant: settings.agentsPerTenant,
      bareAlertsPerSecond: stats(results.map((r) => r.bareAlertsPerSecond)),
      fusionAlertsPerSecond: stats(results.map((r) => r.fusionAlertsPerSecond)),
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
