// Event-to-alert latency through a real behavioral-monitor at a fixed offered
// rate. Background traffic (many agents, event time running ten times faster
// than the wall clock so windows close and baselines warm up during the run)
// is produced at RATE events/s (alone for the first five seconds, so the new
// background agents settle); on top of it, SPIKES agents per second, each
// with five windows of calm history produced before the measured phase, burst
// in their sixth window so `call_rate_spike` fires mid-window (medium, then
// high, then critical). Each alert is matched to the event that completed its
// evidence (the last of its sample event ids, the event being judged) and the
// latency is from that event's produce call to the alert's arrival at a
// consumer in this process: one clock.
// Usage: alert-latency.ts <topic prefix> <runs> <seconds> <rate> <spikes per second> <background agents>
import { agentKey, allTopics, type ThreatAlert, topicRegistry } from '@ward/contracts';
import { type Consumer, type Kafka, type Message } from 'kafkajs';
import {
  agentShape,
  behavioralEvent,
  committed,
  cpuMeter,
  createTopics,
  endOffsets,
  kafkaFor,
  log,
  metricSum,
  metricsText,
  percentile,
  prng,
  service,
  sleep,
  stats,
  stopService,
  waitCaughtUp,
  WINDOW_MS,
} from './support';

const HISTORY_WINDOWS = 5;
const CALM_CALLS = 10;
/** Calls in the burst window: past the medium (~23), high (~33) and critical (~43) thresholds over a calm 10. */
const BURST_CALLS = 50;
const SEVERITIES_PER_SPIKE = 3;
const EVENT_TIME_SPEED = 10;
const TICK_MS = 10;
/** Background traffic alone before the first spike, so new background agents settle first. */
const SETTLE_MS = 5_000;

interface Sample {
  readonly ms: number;
  /** From the event's produce call to the alert's Kafka timestamp (set by the monitor's producer). */
  readonly toPublishMs: number;
  readonly detector: string;
  /** Wall-clock time of the produce call. */
  readonly at: number;
}

async function alertReader(
  kafka: Kafka,
  topic: string,
  group: string,
  producedAt: ReadonlyMap<string, number>,
  samples: Sample[],
  other: Record<string, number>,
): Promise<Consumer> {
  const consumer = kafka.consumer({ groupId: group, allowAutoTopicCreation: false });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  let joined = false;
  consumer.on(consumer.events.GROUP_JOIN, () => {
    joined = true;
  });
  await consumer.run({
    eachBatch: ({ batch }) => {
      const now = Date.now();
      for (const message of batch.messages) {
        const alert = JSON.parse(message.value?.toString('utf8') ?? 'null') as ThreatAlert;
        const trigger = alert.evidence.sampleEventIds.at(-1);
        const at = trigger === undefined ? undefined : producedAt.get(trigger);
        if (at !== undefined) {
          samples.push({
            ms: now - at,
            toPublishMs: Number(message.timestamp) - at,
            detector: alert.detector,
            at,
          });
        } else {
          other[alert.detector] = (other[alert.detector] ?? 0) + 1;
        }
      }
      return Promise.resolve();
    },
  });
  for (let i = 0; !joined; i++) {
    if (i > 600) {
      throw new Error('alert reader never joined its group');
    }
    await sleep(50);
  }
  return consumer;
}

async function oneRun(
  base: string,
  run: number,
  seconds: number,
  rate: number,
  spikesPerSecond: number,
  backgroundAgents: number,
) {
  const prefix = `${base}lat${run}.`;
  const topics = topicRegistry(prefix);
  const kafka = kafkaFor(prefix, 'bench-latency');
  await createTopics(kafka, allTopics(topics));
  const admin = kafka.admin();
  await admin.connect();
  const tenant = `bl${Date.now().toString(36)}r${run}`;
  const eventsTopic = topics.behavioralEvents.name;
  const group = `${prefix}monitor`;
  const monitor = await service('behavioral-monitor', {
    KAFKA_TOPIC_PREFIX: prefix,
    MONITOR_CONSUMER_GROUP: group,
    REDIS_KEY_PREFIX: `${prefix}:`,
  });
  const producedAt = new Map<string, number>();
  const samples: Sample[] = [];
  const other: Record<string, number> = {};
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  let reader: Consumer | undefined;
  try {
    await producer.connect();
    reader = await alertReader(
      kafka,
      topics.threatAlerts.name,
      `${prefix}reader`,
      producedAt,
      samples,
      other,
    );
    const rand = prng(1000 + run);
    const t0 = Math.floor((Date.now() - 86_400_000) / WINDOW_MS) * WINDOW_MS;

    // Calm history of the agents that will spike, before the clock starts.
    const spikers = Array.from({ length: Math.ceil(seconds * spikesPerSecond) }, (_, k) =>
      agentShape(tenant, 100_000 + k, { tools: 1, resources: 1 }),
    );
    const history: Message[] = [];
    for (const agent of spikers) {
      for (let w = 0; w < HISTORY_WINDOWS; w++) {
        for (let c = 0; c < CALM_CALLS; c++) {
          const ts = t0 + w * WINDOW_MS + Math.floor(((c + 0.5) * WINDOW_MS) / CALM_CALLS);
          const event = behavioralEvent(agent, `${agent.agentId}-w${w}-c${c}`, ts, rand);
          history.push({ key: agentKey(tenant, agent.agentId), value: JSON.stringify(event) });
        }
      }
    }
    for (let i = 0; i < history.length; i += 500) {
      await producer.send({ topic: eventsTopic, acks: -1, messages: history.slice(i, i + 500) });
    }
    await waitCaughtUp(admin, group, eventsTopic, await endOffsets(admin, eventsTopic), {
      what: 'monitor (history)',
    });

    // The schedule of burst events: spiker k bursts during second k / spikesPerSecond.
    const burstStart = t0 + HISTORY_WINDOWS * WINDOW_MS + 15_000;
    const bursts: { atMs: number; message: Message; eventId: string }[] = [];
    spikers.forEach((agent, k) => {
      for (let c = 0; c < BURST_CALLS; c++) {
        const eventId = `${agent.agentId}-burst-${c}`;
        const event = behavioralEvent(agent, eventId, burstStart + c * 500, rand);
        bursts.push({
          atMs: SETTLE_MS + ((k + c / BURST_CALLS) * 1000) / spikesPerSecond,
          eventId,
          message: { key: agentKey(tenant, agent.agentId), value: JSON.stringify(event) },
        });
      }
    });
    bursts.sort((a, b) => a.atMs - b.atMs);
    const background = Array.from({ length: backgroundAgents }, (_, i) =>
      agentShape(tenant, i, { tools: 4, resources: 4 }),
    );

    const batchMetric = (text: string, kind: 'count' | 'sum') =>
      metricSum(text, `ward_kafka_batch_duration_seconds_${kind}`, [`topic="${eventsTopic}"`]);
    const warm = await metricsText(monitor);
    const meter = cpuMeter(monitor.pid);
    const started = Date.now();
    // The monitor's backlog (end offsets minus its committed offsets), once a second.
    const backlog: { atSecond: number; events: number }[] = [];
    let sampling = false;
    const sampler = setInterval(() => {
      if (sampling) {
        return;
      }
      sampling = true;
      const at = (Date.now() - started - SETTLE_MS) / 1000;
      void Promise.all([endOffsets(admin, eventsTopic), committed(admin, group, eventsTopic)])
        .then(([endAt, done]) => backlog.push({ atSecond: Math.round(at), events: endAt - done }))
        .catch(() => undefined)
        .finally(() => {
          sampling = false;
        });
    }, 1000);
    const durationMs = SETTLE_MS + seconds * 1000;
    let sentBackground = 0;
    let nextBurst = 0;
    let sends = 0;
    for (;;) {
      const elapsed = Date.now() - started;
      if (elapsed >= durationMs && nextBurst >= bursts.length) {
        break;
      }
      const messages: Message[] = [];
      const ids: string[] = [];
      const due = Math.floor((rate * Math.min(elapsed, durationMs)) / 1000);
      for (; sentBackground < due; sentBackground++) {
        const agent = background[sentBackground % backgroundAgents]!;
        const ts = t0 + Math.floor((sentBackground * 1000 * EVENT_TIME_SPEED) / rate);
        // One session per ten windows: with event time sped up, a session per two windows
        // would make every background agent look like it cycles sessions.
        const event = behavioralEvent(agent, `bg-${sentBackground}`, ts, rand, {
          sessionId: `${agent.agentId}-s${Math.floor(ts / (10 * WINDOW_MS))}`,
        });
        messages.push({ key: agentKey(tenant, agent.agentId), value: JSON.stringify(event) });
      }
      for (; nextBurst < bursts.length && bursts[nextBurst]!.atMs <= elapsed; nextBurst++) {
        messages.push(bursts[nextBurst]!.message);
        ids.push(bursts[nextBurst]!.eventId);
      }
      if (messages.length > 0) {
        const at = Date.now();
        for (const id of ids) {
          producedAt.set(id, at);
        }
        const stamped = messages.map((m) => ({ ...m, timestamp: String(at) }));
        await producer.send({ topic: eventsTopic, acks: -1, messages: stamped });
        sends += 1;
      }
      const wait = TICK_MS - ((Date.now() - started) % TICK_MS);
      await sleep(wait);
    }
    clearInterval(sampler);
    const producedSeconds = (Date.now() - started) / 1000;
    const total = await endOffsets(admin, eventsTopic);
    await waitCaughtUp(admin, group, eventsTopic, total, { what: 'monitor (measured phase)' });
    const cpu = meter.stop();
    const expected = spikers.length * SEVERITIES_PER_SPIKE;
    const callRate = () => samples.filter((x) => x.detector === 'call_rate_spike').length;
    for (let i = 0; i < 100 && callRate() < expected; i++) {
      await sleep(100);
    }
    // Alerts of other detectors on the same bursts may still be on their way.
    await sleep(1000);
    const byDetector: Record<string, number> = {};
    for (const x of samples) {
      byDetector[x.detector] = (byDetector[x.detector] ?? 0) + 1;
    }
    const text = await metricsText(monitor);
    const sorted = samples.map((x) => x.ms).sort((a, b) => a - b);
    const toPublish = samples.map((x) => x.toPublishMs).sort((a, b) => a - b);
    const result = {
      offeredEventsPerSecond: (sentBackground + bursts.length) / producedSeconds,
      cpuCores: cpu,
      sends,
      producedSeconds,
      samples: sorted.length,
      byDetector,
      expectedCallRateSpikes: expected,
      backgroundAlerts: other,
      p50Ms: percentile(sorted, 50),
      p99Ms: percentile(sorted, 99),
      p999Ms: percentile(sorted, 99.9),
      maxMs: sorted.at(-1) ?? NaN,
      latenciesMs: sorted,
      backlog,
      maxBacklog: backlog.reduce((max, b) => (b.events > max.events ? b : max), {
        atSecond: 0,
        events: 0,
      }),
      slowest: [...samples]
        .sort((a, b) => b.ms - a.ms)
        .slice(0, 5)
        .map((x) => ({
          ms: x.ms,
          atSecond: Math.round((x.at - started - SETTLE_MS) / 100) / 10,
        })),
      toPublishP50Ms: percentile(toPublish, 50),
      toPublishP99Ms: percentile(toPublish, 99),
      monitorHistogram: {
        count: metricSum(text, 'ward_monitor_event_to_alert_seconds_count'),
        meanMs:
          (1000 * metricSum(text, 'ward_monitor_event_to_alert_seconds_sum')) /
          Math.max(1, metricSum(text, 'ward_monitor_event_to_alert_seconds_count')),
      },
      batches: batchMetric(text, 'count') - batchMetric(warm, 'count'),
      batchSecondsMean:
        (batchMetric(text, 'sum') - batchMetric(warm, 'sum')) /
        Math.max(1, batchMetric(text, 'count') - batchMetric(warm, 'count')),
    };
    log(
      `latency run ${run + 1}: ${result.samples} alerts on bursts ${JSON.stringify(byDetector)} (${expected} call_rate_spike expected), p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms, p99.9 ${result.p999Ms} ms at ${Math.round(result.offeredEventsPerSecond)} events/s offered (background alerts ${JSON.stringify(other)}, ${result.batches} batches of ${(result.batchSecondsMean * 1000).toFixed(1)} ms; cores used ${JSON.stringify(cpu)})`,
    );
    return result;
  } finally {
    await reader?.disconnect();
    await producer.disconnect();
    await stopService(monitor);
    await admin.disconnect();
  }
}

async function main(): Promise<void> {
  const [prefix, runsArg, secondsArg, rateArg, spikesArg, agentsArg] = process.argv.slice(2) as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const runs = Number(runsArg);
  const seconds = Number(secondsArg);
  const rate = Number(rateArg);
  const spikesPerSecond = Number(spikesArg);
  const backgroundAgents = Number(agentsArg);
  const results = [];
  for (let run = 0; run < runs; run++) {
    results.push(await oneRun(prefix, run, seconds, rate, spikesPerSecond, backgroundAgents));
  }
  const pooled = results.flatMap((r) => r.latenciesMs).sort((a, b) => a - b);
  process.stdout.write(
    `${JSON.stringify({
      seconds,
      rate,
      spikesPerSecond,
      backgroundAgents,
      p50Ms: stats(results.map((r) => r.p50Ms)),
      p99Ms: stats(results.map((r) => r.p99Ms)),
      p999Ms: stats(results.map((r) => r.p999Ms)),
      samples: stats(results.map((r) => r.samples)),
      offeredEventsPerSecond: stats(results.map((r) => r.offeredEventsPerSecond)),
      pooled: {
        samples: pooled.length,
        p50Ms: percentile(pooled, 50),
        p99Ms: percentile(pooled, 99),
        p999Ms: percentile(pooled, 99.9),
        maxMs: pooled.at(-1) ?? NaN,
      },
      toPublishP50Ms: stats(results.map((r) => r.toPublishP50Ms)),
      toPublishP99Ms: stats(results.map((r) => r.toPublishP99Ms)),
      batchesPerSecond: stats(results.map((r) => r.batches / r.producedSeconds)),
      cpuCores: results.map((r) => r.cpuCores),
      batchMs: stats(results.map((r) => r.batchSecondsMean * 1000)),
      raw: results.map(({ latenciesMs: _omit, ...rest }) => rest),
    })}\n`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
