import { Injectable, type INestApplicationContext } from '@nestjs/common';
import { type BehavioralEvent, BehavioralEventContract, topicRegistry } from '@ward/contracts';
import { eventually, infraEnv, scratchPrefix, uniqueTag } from '@ward/testing';
import { type Admin, type Kafka, type Producer } from 'kafkajs';
import { RewindError } from './errors';
import { startConsumerApp } from './consumer-app.int-support';
import { createKafka } from './kafka-client';
import {
  type BatchContext,
  type BatchOutcome,
  type DurablePosition,
  type InboundMessage,
  type TopicHandler,
} from './topic-handler';

const prefix = scratchPrefix(uniqueTag('durable'));
const topics = topicRegistry(prefix);
const groupId = `${prefix}consumer`;

/**
 * A stateful handler that makes its work durable only when flushed, as the
 * monitor does with its checkpoints; it can be told to give up its state once
 * and resume from an earlier offset.
 */
@Injectable()
class CheckpointingHandler implements TopicHandler<typeof BehavioralEventContract.schema> {
  readonly topic = 'behavioralEvents' as const;
  readonly contract = BehavioralEventContract;
  readonly flushIntervalMs = 200;
  /** Every (partition, offset) handed over, in order, repeats included. */
  readonly seen: { partition: number; offset: bigint }[] = [];
  readonly applied = new Map<number, bigint>();
  readonly durable = new Map<number, bigint>();
  flushing = false;
  /** When set, the next batch at or past this offset rewinds to it once. */
  rewindAt: bigint | undefined;

  handleBatch(
    messages: readonly InboundMessage<BehavioralEvent>[],
    context: BatchContext,
  ): Promise<BatchOutcome> {
    const last = BigInt(context.lastOffset);
    if (this.rewindAt !== undefined && last >= this.rewindAt) {
      const to = this.rewindAt;
      this.rewindAt = undefined;
      this.applied.set(context.partition, to);
      return Promise.reject(new RewindError(to.toString(), 'state lost'));
    }
    for (const m of messages) {
      this.seen.push({ partition: m.partition, offset: BigInt(m.offset) });
    }
    this.applied.set(context.partition, last + 1n);
    const durable = this.durable.get(context.partition);
    return Promise.resolve({ durableOffset: durable === undefined ? null : durable.toString() });
  }

  flush(): Promise<readonly DurablePosition[]> {
    if (!this.flushing) {
      return Promise.resolve([]);
    }
    for (const [partition, next] of this.applied) {
      this.durable.set(partition, next);
    }
    return Promise.resolve(
      [...this.durable].map(([partition, next]) => ({ partition, nextOffset: next.toString() })),
    );
  }
}

function event(n: number): BehavioralEvent {
  return {
    schemaVersion: 1,
    eventId: `e-${n}`,
    tenantId: 'acme',
    agentId: 'durable-agent',
    timestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(),
    receivedAt: new Date(Date.UTC(2026, 0, 1)).toISOString(),
    source: { channel: 'kafka' },
    type: 'tool_call',
    action: 'search',
    outcome: 'ok',
    parameterEntropy: 0,
    labels: {},
  };
}

describe('BatchConsumer with a handler that is durable later than its batches', () => {
  const env = infraEnv();
  let kafka: Kafka;
  let producer: Producer;
  let admin: Admin;
  let app: INestApplicationContext;
  let handler: CheckpointingHandler;
  const key = 'acme/durable-agent';

  const committed = async (): Promise<bigint> => {
    const [topic] = await admin.fetchOffsets({ groupId, topics: [topics.behavioralEvents.name] });
    const partition = handler.seen[0]?.partition ?? 0;
    const entry = topic!.partitions.find((p) => p.partition === partition);
    return BigInt(entry?.offset ?? '-1');
  };

  beforeAll(async () => {
    kafka = createKafka({
      brokers: env.KAFKA_BROKERS.split(','),
      clientId: 'test',
      topicPrefix: prefix,
      ensureTopics: true,
    });
    ({ app, handler } = await startConsumerApp({
      serviceName: 'messaging-durable-test',
      topicPrefix: prefix,
      consumer: { groupId, partitionsConsumedConcurrently: 3 },
      handler: CheckpointingHandler,
    }));
    producer = kafka.producer();
    await producer.connect();
    admin = kafka.admin();
    await admin.connect();
  });

  afterAll(async () => {
    await admin?.disconnect();
    await producer?.disconnect();
    await app?.close();
  });

  it('commits only what the handler made durable, and what its flush makes durable', async () => {
    await producer.send({
      topic: topics.behavioralEvents.name,
      messages: Array.from({ length: 10 }, (_, i) => ({ key, value: JSON.stringify(event(i)) })),
    });
    await eventually(() => Promise.resolve(handler.seen.length === 10 ? true : undefined), {
      description: 'the ten events to be handled',
    });
    // Handled, not durable: nothing committed, however many flushes pass.
    await eventually(() => Promise.resolve(handler.applied.size > 0 ? true : undefined));
    expect(await committed()).toBe(-1n);

    handler.flushing = true;
    const end = handler.applied.get(handler.seen[0]!.partition)!;
    expect(end).toBe(handler.seen.at(-1)!.offset + 1n);
    await eventually(async () => ((await committed()) === end ? true : undefined), {
      description: 'the flush to commit the durable offset',
    });
  });

  it('reads a partition again from where the handler rewinds to, skipping nothing', async () => {
    const partition = handler.seen[0]!.partition;
    const before = handler.seen.length;
    const resumeAt = handler.applied.get(partition)! + 2n;
    handler.rewindAt = resumeAt;
    await producer.send({
      topic: topics.behavioralEvents.name,
      messages: Array.from({ length: 5 }, (_, i) => ({
        key,
        value: JSON.stringify(event(100 + i)),
      })),
    });
    await eventually(
      () =>
        Promise.resolve(
          handler.seen.at(-1)?.offset === resumeAt + 2n && handler.rewindAt === undefined
            ? true
            : undefined,
        ),
      { description: 'the partition to be read again up to its end' },
    );
    const offsets = handler.seen.slice(before).map((s) => s.offset);
    // The batch that rewound was not handed over; reading resumed exactly at resumeAt.
    expect(offsets.filter((o) => o >= resumeAt)).toEqual([resumeAt, resumeAt + 1n, resumeAt + 2n]);
    await eventually(async () => ((await committed()) === resumeAt + 3n ? true : undefined), {
      description: 'the flush to commit past the rewound batch',
    });
  });
});
