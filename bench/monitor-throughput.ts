// behavioral-monitor throughput against its ceiling, the bare kafkajs consumer,
// on one pre-filled ward.behavioral-events.v1: N realistic events from many
// agents over several event-time windows (so windows close, baselines warm up
// and every batch is checkpointed), produced once. Each run reads the whole
// topic with a fresh bare consumer group, then with a real monitor process
// (fresh consumer group, so fresh state in PostgreSQL, and a fresh Redis key
// prefix) until its committed offsets reach the end. An extra pass under the
// CPU profiler (not counted) says where the monitor's time goes.
// Usage: monitor-throughput.ts <topic prefix> <runs> <events> <agents> <windows> <profile seconds>
import { agentKey, allTopics, BehavioralEventContract, topicRegistry } from '@ward/contracts';
import { type Admin } from 'kafkajs';
import {
  agentShape,
  bareConsume,
  behavioralEvent,
  cpuMeter,
  createTopics,
  endOffsets,
  kafkaFor,
  log,
  metricBy,
  metricSum,
  metricsText,
  produceAll,
  profiled,
  prng,
  service,
  stats,
  stopService,
  waitCaughtUp,
  WINDOW_MS,
} from './support';

/** Functions whose inclusive share the profile reports (see MONITOR_COST_CENTRES in report.mjs). */
const COST_CENTRES = ['decode', 'claim', 'observe', 'row', 'emit'];

async function monitorPass(
  admin: Admin,
  prefix: string,
  group: string,
  end: number,
  options: { readonly profileDir?: string; readonly progressMs?: number } = {},
) {
  const topics = topicRegistry(prefix);
  const topic = topics.behavioralEvents.name;
  const alertsBefore = await endOffsets(admin, topics.threatAlerts.name);
  const monitor = await service(
    'behavioral-monitor',
    {
      KAFKA_TOPIC_PREFIX: prefix,
      MONITOR_CONSUMER_GROUP: group,
      REDIS_KEY_PREFIX: `${group}:`,
    },
    options.profileDir,
  );
  try {
    const meter = cpuMeter(monitor.pid);
    const caught = await waitCaughtUp(admin, group, topic, end, {
      what: 'behavioral-monitor',
      ...(options.progressMs !== undefined && { progressMs: options.progressMs }),
    });
    const cpu = meter.stop();
    const text = await metricsText(monitor);
    const eventsTopic = [`topic="${topic}"`];
    return {
      caught,
      cpu,
      text,
      alerts: (await endOffsets(admin, topics.threatAlerts.name)) - alertsBefore,
      batches: metricSum(text, 'ward_kafka_batch_duration_seconds_count', eventsTopic),
      batchSecondsMean:
        metricSum(text, 'ward_kafka_batch_duration_seconds_sum', eventsTopic) /
        Math.max(1, metricSum(text, 'ward_kafka_batch_duration_seconds_count', eventsTopic)),
    };
  } finally {
    await stopService(monitor);
  }
}

async function main(): Promise<void> {
  const [prefix, runsArg, eventsArg, agentsArg, windowsArg, profileArg] = process.argv.slice(2) as [
    string,
    string,
    string,
    string,
    string,
    string | undefined,
  ];
  const runs = Number(runsArg);
  const total = Number(eventsArg);
  const agentCount = Number(agentsArg);
  const windows = Number(windowsArg);
  const profileSeconds = Number(profileArg ?? 0);
  const topics = topicRegistry(prefix);
  const topic = topics.behavioralEvents.name;
  const tenant = `bm${Date.now().toString(36)}`;
  const kafka = kafkaFor(prefix, 'bench-monitor');
  await createTopics(kafka, allTopics(topics));
  const admin = kafka.admin();
  await admin.connect();

  // Aligned to a window, a day back: event time, so the windows pass in seconds.
  const t0 = Math.floor((Date.now() - 86_400_000) / WINDOW_MS) * WINDOW_MS;
  const span = windows * WINDOW_MS;
  const agents = Array.from({ length: agentCount }, (_, i) => agentShape(tenant, i));
  const rand = prng(42);
  const make = (i: number) => {
    const agent = agents[Math.floor(rand() * agentCount)]!;
    const event = behavioralEvent(agent, `m${i}`, t0 + Math.floor((i * span) / total), rand);
    return { key: agentKey(tenant, agent.agentId), value: JSON.stringify(event) };
  };
  for (let i = 0; i < 50; i++) {
    const check = BehavioralEventContract.decode(make(i).value);
    if (!check.ok) {
      throw new Error(`bench event fails the contract: ${JSON.stringify(check.issues)}`);
    }
  }
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const prefillRate = await produceAll(producer, topic, total, make);
  await producer.disconnect();
  const end = await endOffsets(admin, topic);
  log(
    `monitor: pre-filled ${end} events (${agentCount} agents, ${windows} windows) at ${Math.round(prefillRate)} events/s`,
  );

  const results = [];
  for (let run = 0; run < runs; run++) {
    const bare = await bareConsume(kafka, topic, `${prefix}bare-${run}`, end);
    const pass = await monitorPass(admin, prefix, `${prefix}monitor-${run}`, end);
    const result = {
      bareEventsPerSecond: bare.perSecond,
      monitorEventsPerSecond: pass.caught.perSecond,
      ratio: pass.caught.perSecond / bare.perSecond,
      monitorSeconds: pass.caught.seconds,
      bareSeconds: bare.seconds,
      cpuCores: pass.cpu,
      profiled: metricSum(pass.text, 'ward_monitor_events_total'),
      windowsClosed: metricSum(pass.text, 'ward_monitor_windows_closed_total'),
      alerts: pass.alerts,
      alertsByDetector: metricBy(pass.text, 'ward_alerts_emitted_total', 'detector'),
      batches: pass.batches,
      batchSecondsMean: pass.batchSecondsMean,
      checkpointSecondsMean:
        metricSum(pass.text, 'ward_monitor_checkpoint_seconds_sum') /
        Math.max(1, metricSum(pass.text, 'ward_monitor_checkpoint_seconds_count')),
      deadLettered: metricSum(pass.text, 'ward_kafka_messages_dead_lettered_total'),
    };
    log(
      `monitor run ${run + 1}/${runs}: bare consumer ${Math.round(bare.perSecond)} events/s, monitor ${Math.round(pass.caught.perSecond)} events/s, ratio ${result.ratio.toFixed(2)} (${result.batches} batches of ${(result.batchSecondsMean * 1000).toFixed(0)} ms, checkpoint ${(result.checkpointSecondsMean * 1000).toFixed(0)} ms, ${result.windowsClosed} windows closed, ${result.alerts} alerts; cores used ${JSON.stringify(result.cpuCores)})`,
    );
    results.push(result);
  }
  const profile =
    profileSeconds > 0
      ? await profiled(
          (dir) =>
            monitorPass(admin, prefix, `${prefix}monitor-profiled`, end, {
              profileDir: dir,
              progressMs: profileSeconds * 1000,
            }),
          COST_CENTRES,
        )
      : undefined;
  if (profile !== undefined) {
    log(
      `monitor profile: idle ${(profile.idle * 100).toFixed(0)}%, GC ${(profile.gc * 100).toFixed(0)}%, ${JSON.stringify(profile.inclusive)}`,
    );
  }
  await admin.disconnect();
  process.stdout.write(
    `${JSON.stringify({
      events: end,
      agents: agentCount,
      windows,
      prefillEventsPerSecond: prefillRate,
      bareEventsPerSecond: stats(results.map((r) => r.bareEventsPerSecond)),
      monitorEventsPerSecond: stats(results.map((r) => r.monitorEventsPerSecond)),
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
