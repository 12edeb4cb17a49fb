import {
  type AgentControl,
  agentKey,
  type BehavioralEvent,
  type ThreatAlert,
  topicRegistry,
} from '@ward/contracts';
import { createKafka } from '@ward/messaging';
import {
  eventually,
  freePort,
  infraEnv,
  type ServiceProcess,
  startService,
  TopicRecorder,
  uniqueTag,
  scratchPrefix,
} from '@ward/testing';
import Redis from 'ioredis';
import { type Kafka } from 'kafkajs';
import { Client } from 'pg';

/**
 * The monitor's promise: the same stream gives the same alerts and tiers
 * whether it is consumed in one go, in other batch sizes, with a kill -9 in
 * the middle, or split between two replicas that rebalance. Each scenario runs
 * real monitor processes against its own topics and consumer group.
 */
const env = infraEnv();
const run = uniqueTag('replay');
const tenant = run.replace(/[^A-Za-z0-9]/g, '');
const W = 60_000;
const START = Date.UTC(2026, 0, 1, 8, 0);

function stream(): BehavioralEvent[] {
  const out: BehavioralEvent[] = [];
  const add = (
    agentId: string,
    window: number,
    i: number,
    n: number,
    over: Partial<BehavioralEvent> = {},
  ) =>
    out.push({
      schemaVersion: 1,
      eventId: `${agentId}-${window}-${i}-${over.action ?? 'search'}`,
      tenantId: tenant,
      agentId,
      sessionId: `${agentId}-s`,
      timestamp: new Date(START + window * W + Math.floor(((i + 0.5) * W) / n)).toISOString(),
      receivedAt: new Date(START).toISOString(),
      source: { channel: 'kafka' },
      type: 'tool_call',
      action: 'search',
      outcome: 'ok',
      parameterEntropy: 2,
      labels: {},
      ...over,
    });
  for (let w = 0; w < 14; w++) {
    const burst = w === 5 ? 200 : 10;
    for (let i = 0; i < burst; i++) {
      add('runaway', w, i, burst);
    }
    for (let i = 0; i < 20; i++) {
      add('prober', w, i, 20, w === 6 ? { action: 'login', outcome: 'denied' } : {});
    }
    for (let i = 0; i < 5; i++) {
      add('splitter', w, i, 5);
    }
    if (w === 7) {
      add('splitter', w, 5, 8, { action: 'upload', parameters: { chunk: 'AKIAIOSF' } });
      add('splitter', w, 6, 8, { action: 'upload', parameters: { chunk: 'ODNN7EXAMPLE' } });
    }
    for (let i = 0; i < 5; i++) {
      add('cycler', w, i, 10);
    }
    if (w === 8) {
      ['a', 'b', 'c', 'd'].forEach((s, i) =>
        add('cycler', w, 6 + i, 10, {
          eventId: `cycler-${w}-${s}`,
          sessionId: `cycler-${s}`,
          action: 'transfer',
          outcome: i === 0 ? 'denied' : 'ok',
        }),
      );
    }
  }
  // A duplicate delivery of an earlier event must not count twice.
  out.push({ ...out[3]! });
  return out.sort((a, b) => a.timestamp.localeCompare(b.timestamp));
}

interface Scenario {
  readonly prefix: string;
  readonly group: string;
  readonly kafka: Kafka;
  readonly recorder: TopicRecorder;
  readonly processes: ServiceProcess[];
}

describe('behavioral-monitor gives the same answer however the stream is consumed', () => {
  const events = stream();
  let pg: Client;
  const scenarios: Scenario[] = [];

  beforeAll(async () => {
    pg = new Client({ connectionString: env.DATABASE_URL });
    await pg.connect();
  });

  afterAll(async () => {
    for (const s of scenarios) {
      for (const p of s.processes) {
        await p.stop('SIGKILL');
      }
      await s.recorder.stop();
    }
    await pg?.end();
  });

  async function scenario(name: string): Promise<Scenario> {
    const prefix = scratchPrefix(`${run}-${name}`);
    const kafka = createKafka({
      brokers: env.KAFKA_BROKERS.split(','),
      clientId: 'test',
      topicPrefix: prefix,
      ensureTopics: false,
    });
    const topics = topicRegistry(prefix);
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: [topics.behavioralEvents, topics.threatAlerts, topics.agentControl, topics.dlq].map(
        (t) => ({ topic: t.name, numPartitions: t.partitions }),
      ),
    });
    await admin.disconnect();
    const recorder = await new TopicRecorder(
      kafka,
      [topics.threatAlerts.name, topics.agentControl.name],
      `${prefix}recorder`,
    ).start();
    const s = { prefix, group: `${prefix}monitor`, kafka, recorder, processes: [] };
    scenarios.push(s);
    return s;
  }

  async function monitor(s: Scenario): Promise<ServiceProcess> {
    const p = await startService(
      'behavioral-monitor',
      {
        ...env,
        KAFKA_TOPIC_PREFIX: s.prefix,
        MONITOR_CONSUMER_GROUP: s.group,
        REDIS_KEY_PREFIX: `${s.prefix}:`,
        LOG_LEVEL: 'warn',
      },
      { port: await freePort() },
    );
    s.processes.push(p);
    return p;
  }

  async function publish(s: Scenario, batch: readonly BehavioralEvent[]): Promise<void> {
    const producer = s.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await producer.send({
      topic: topicRegistry(s.prefix).behavioralEvents.name,
      messages: batch.map((e) => ({
        key: agentKey(e.tenantId, e.agentId),
        value: JSON.stringify(e),
      })),
    });
    await producer.disconnect();
  }

  async function highWatermark(s: Scenario, topic: string): Promise<number> {
    const admin = s.kafka.admin();
    await admin.connect();
    try {
      const ends = await admin.fetchTopicOffsets(topic);
      return ends.reduce((n, p) => n + Number(p.high), 0);
    } finally {
      await admin.disconnect();
    }
  }

  /**
   * Waits until the checkpointed offsets cover everything on the events topic
   * (alerts and tier changes are published before the checkpoint), then until
   * the recorder has read everything on the alert and agent-control topics.
   */
  async function drained(s: Scenario): Promise<void> {
    const topics = topicRegistry(s.prefix);
    const want = await highWatermark(s, topics.behavioralEvents.name);
    await eventually(
      async () => {
        const { rows } = await pg.query<{ n: string }>(
          'SELECT coalesce(sum(next_offset), 0) AS n FROM monitor_offsets WHERE consumer_group = $1',
          [s.group],
        );
        return Number(rows[0]!.n) === want ? true : undefined;
      },
      { timeoutMs: 60_000, description: `${s.group} to checkpoint ${want} events` },
    );
    for (const topic of [topics.threatAlerts.name, topics.agentControl.name]) {
      const total = await highWatermark(s, topic);
      await eventually(() => (s.recorder.on(topic).length >= total ? true : undefined), {
        description: `the recorder to read all ${total} records of ${topic}`,
      });
    }
  }

  /** Distinct alerts by id (a replay may republish one; it must be byte-identical). */
  function outcome(s: Scenario) {
    const topics = topicRegistry(s.prefix);
    const alerts = new Map<string, ThreatAlert>();
    for (const m of s.recorder.on(topics.threatAlerts.name)) {
      const a = m.value as ThreatAlert;
      const seen = alerts.get(a.alertId);
      if (seen !== undefined) {
        expect(a).toEqual(seen);
      }
      alerts.set(a.alertId, a);
    }
    const tiers = new Map<string, AgentControl>();
    const transitions = new Set<string>();
    for (const m of s.recorder.on(topics.agentControl.name)) {
      const c = m.value as AgentControl;
      tiers.set(c.agentId, c);
      transitions.add(`${c.agentId}:${c.previousTier}->${c.tier}@${c.changedAt}`);
    }
    return {
      alerts: [...alerts.values()].sort((a, b) => a.alertId.localeCompare(b.alertId)),
      finalTiers: Object.fromEntries([...tiers].map(([k, c]) => [k, c.tier])),
      transitions: [...transitions].sort(),
    };
  }

  let reference: ReturnType<typeof outcome>;

  it('in one go: every storyline produces its alerts and tier changes', async () => {
    const s = await scenario('one');
    await publish(s, events);
    await monitor(s);
    await drained(s);
    reference = outcome(s);
    const by = (agent: string) =>
      reference.alerts.filter((a) => a.agentId === agent).map((a) => `${a.detector}:${a.severity}`);
    expect(by('runaway')).toEqual(
      expect.arrayContaining([
        'call_rate_spike:medium',
        'call_rate_spike:high',
        'call_rate_spike:critical',
      ]),
    );
    expect(by('prober')).toEqual(
      expect.arrayContaining(['deny_rate_spike:critical', 'new_tool:medium']),
    );
    expect(by('splitter')).toEqual(expect.arrayContaining(['secret_split:critical']));
    expect(by('cycler')).toEqual(
      expect.arrayContaining(['behavior_reversal:high', 'session_cycling:high']),
    );
    for (const a of reference.alerts) {
      expect(a.techniques.length).toBeGreaterThan(0);
      expect(a.evidence.sampleEventIds.length).toBeGreaterThan(0);
    }
    // The runaway agent was quarantined at once, then earned its way back one tier at a time.
    const runaway = reference.transitions.filter((t) => t.startsWith('runaway:'));
    expect(runaway.some((t) => t.includes('->4@'))).toBe(true);
    expect(runaway.some((t) => t.includes('4->3@'))).toBe(true);
    // The duplicate delivery was profiled once.
    const { rows } = await pg.query<{ state: string }>(
      `SELECT state FROM agent_profiles WHERE consumer_group = $1 AND agent_id = 'runaway'`,
      [s.group],
    );
    expect(rows).toHaveLength(1);
  });

  it('in other batch sizes: identical alerts and tiers', async () => {
    const s = await scenario('batches');
    await monitor(s);
    const sizes = [1, 7, 50, 3, 120, 13];
    for (let i = 0, k = 0; i < events.length; k++) {
      const size = sizes[k % sizes.length]!;
      await publish(s, events.slice(i, i + size));
      i += size;
      await drained(s);
    }
    expect(outcome(s)).toEqual(reference);
  });

  /** Half the stream, then 100 events while the monitor is killed, `meanwhile`, a restart, the rest. */
  async function killMidway(
    name: string,
    meanwhile: (s: Scenario) => Promise<void>,
  ): Promise<void> {
    const s = await scenario(name);
    const half = Math.floor(events.length / 2);
    await publish(s, events.slice(0, half));
    const first = await monitor(s);
    await drained(s);
    await publish(s, events.slice(half, half + 100));
    await first.stop('SIGKILL');
    await meanwhile(s);
    await publish(s, events.slice(half + 100));
    await monitor(s);
    await drained(s);
    expect(outcome(s)).toEqual(reference);
  }

  it('with a kill -9 in the middle and a restart: identical alerts and tiers', async () => {
    await killMidway('kill', () => Promise.resolve());
  });

  it('with a kill -9 and Redis emptied meanwhile (restarted without persistence): identical alerts and tiers', async () => {
    // Cooldowns are checkpointed with the profiles, so what Redis loses
    // (claims, anything else the monitor keeps there) cannot change a verdict.
    await killMidway('redis-lost', async (s) => {
      const redis = new Redis(env.REDIS_URL);
      try {
        const keys = await redis.keys(`${s.prefix}:*`);
        expect(keys.length).toBeGreaterThan(0);
        await redis.del(...keys);
      } finally {
        redis.disconnect();
      }
    });
  });

  it('over a checkpoint left by a deleted topic of the same name: identical alerts and tiers', async () => {
    const s = await scenario('recreated');
    const topic = topicRegistry(s.prefix).behavioralEvents.name;
    await publish(s, events);
    // Offsets far past the new topic's end, as an earlier incarnation left them
    // (on the partitions that hold events: the others would never be read).
    const admin = s.kafka.admin();
    await admin.connect();
    const ends = await admin.fetchTopicOffsets(topic);
    await admin.disconnect();
    for (const end of ends.filter((p) => Number(p.high) > 0)) {
      await pg.query(
        `INSERT INTO monitor_offsets (consumer_group, topic, partition, next_offset, updated_at)
         VALUES ($1, $2, $3, 1000000, now())`,
        [s.group, topic, end.partition],
      );
    }
    await monitor(s);
    await drained(s);
    expect(outcome(s)).toEqual(reference);
  });

  it('split between two replicas that rebalance: identical alerts and tiers', async () => {
    const s = await scenario('rebalance');
    const a = await monitor(s);
    const b = await monitor(s);
    const third = Math.floor(events.length / 3);
    await publish(s, events.slice(0, third));
    await drained(s);
    await publish(s, events.slice(third, 2 * third));
    await b.stop('SIGTERM');
    await drained(s);
    await publish(s, events.slice(2 * third));
    await drained(s);
    expect(a.output.join('')).not.toMatch(/Error/);
    expect(outcome(s)).toEqual(reference);
  });
});
