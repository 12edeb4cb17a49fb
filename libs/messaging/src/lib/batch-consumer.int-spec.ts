import { Injectable, type INestApplicationContext } from '@nestjs/common';
import {
  type BehavioralEvent,
  BehavioralEventContract,
  type DeadLetter,
  topicRegistry,
} from '@ward/contracts';
import { MetricsService } from '@ward/observability';
import { eventually, infraEnv, TopicRecorder, uniqueTag, scratchPrefix } from '@ward/testing';
import { type Kafka, type Producer } from 'kafkajs';
import { PoisonMessageError, TransientError } from './errors';
import { startConsumerApp } from './consumer-app.int-support';
import { createKafka } from './kafka-client';
import { type BatchOutcome, type InboundMessage, type TopicHandler } from './topic-handler';

const prefix = scratchPrefix(uniqueTag('msg'));
const topics = topicRegistry(prefix);
const groupId = `${prefix}consumer`;

/** Records what it is given; can fail transiently or reject by agent id on demand. */
@Injectable()
class RecordingHandler implements TopicHandler<typeof BehavioralEventContract.schema> {
  readonly topic = 'behavioralEvents' as const;
  readonly contract = BehavioralEventContract;
  readonly seen: InboundMessage<BehavioralEvent>[] = [];
  transientFailuresLeft = 0;

  handleBatch(messages: readonly InboundMessage<BehavioralEvent>[]): Promise<BatchOutcome> {
    if (this.transientFailuresLeft > 0) {
      this.transientFailuresLeft -= 1;
      return Promise.reject(new TransientError('database briefly unavailable'));
    }
    if (messages.some((m) => m.value.agentId === 'throws-poison')) {
      if (messages.length === 1) {
        return Promise.reject(
          new PoisonMessageError('rejected_by_handler', 'agent is not allowed'),
        );
      }
      return Promise.reject(new PoisonMessageError('rejected_by_handler', 'one of these is bad'));
    }
    this.seen.push(...messages);
    return Promise.resolve({
      rejected: messages
        .filter((m) => m.value.agentId === 'rejected')
        .map((m) => ({
          offset: m.offset,
          code: 'rejected_by_handler' as const,
          reason: 'domain refused it',
        })),
    });
  }
}

function event(agentId: string, n: number): BehavioralEvent {
  return {
    schemaVersion: 1,
    eventId: `e-${agentId}-${n}`,
    tenantId: 'acme',
    agentId,
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

describe('BatchConsumer against a real broker', () => {
  const env = infraEnv();
  let kafka: Kafka;
  let producer: Producer;
  let app: INestApplicationContext;
  let handler: RecordingHandler;
  let recorder: TopicRecorder;

  beforeAll(async () => {
    kafka = createKafka({
      brokers: env.KAFKA_BROKERS.split(','),
      clientId: 'test',
      topicPrefix: prefix,
      ensureTopics: true,
    });
    ({ app, handler } = await startConsumerApp({
      serviceName: 'messaging-test',
      topicPrefix: prefix,
      consumer: { groupId, maxMessageBytes: 4096 },
      handler: RecordingHandler,
    }));
    producer = kafka.producer();
    await producer.connect();
    recorder = await new TopicRecorder(kafka, [topics.dlq.name], `${prefix}recorder`).start();
  });

  afterAll(async () => {
    await recorder?.stop();
    await producer?.disconnect();
    await app?.close();
  });

  it('dead-letters malformed, invalid and oversized messages with their reason and keeps the partition moving', async () => {
    const key = 'acme/same-partition';
    await producer.send({
      topic: topics.behavioralEvents.name,
      messages: [
        { key, value: JSON.stringify(event('good', 1)) },
        { key, value: '{"schemaVersion":1,"eventId":' },
        { key, value: Buffer.from([0xff, 0xfe, 0x00, 0x7b]) },
        { key, value: JSON.stringify({ ...event('bad', 2), outcome: 'perhaps' }) },
        {
          key,
          value: JSON.stringify({
            ...event('big', 3),
            labels: { pad: 'x'.repeat(200) },
            parameters: { blob: 'y'.repeat(5000) },
          }),
        },
        { key, value: JSON.stringify(event('good', 4)) },
      ],
    });

    await eventually(
      () =>
        handler.seen.filter((m) => m.value.agentId === 'good').length === 2 ? true : undefined,
      {
        description: 'both good messages to be handled',
      },
    );
    const letters = await eventually(() => {
      const got = recorder.on(topics.dlq.name).map((m) => m.value as DeadLetter);
      return got.length >= 4 ? got : undefined;
    });
    expect(letters.map((l) => l.reason.code).sort()).toEqual([
      'invalid_json',
      'invalid_json',
      'oversized',
      'schema_violation',
    ]);
    const binary = letters.find((l) => l.value?.encoding === 'base64');
    expect(binary?.value?.data).toBe(Buffer.from([0xff, 0xfe, 0x00, 0x7b]).toString('base64'));
    const byCode = Object.fromEntries(
      letters.filter((l) => l !== binary).map((l) => [l.reason.code, l]),
    );
    expect(byCode.invalid_json).toMatchObject({
      sourceTopic: topics.behavioralEvents.name,
      consumerGroup: groupId,
      value: { encoding: 'utf8', data: '{"schemaVersion":1,"eventId":' },
    });
    expect(byCode.schema_violation!.reason.message).toContain('/outcome');
    expect(byCode.oversized!.reason.message).toMatch(/exceeds 4096/);
    expect(recorder.on(topics.dlq.name).every((m) => m.key === topics.behavioralEvents.name)).toBe(
      true,
    );
    const good = handler.seen.filter((m) => m.value.agentId === 'good');
    const partition = good[0]!.partition;
    const offsets = good.map((m) => Number(m.offset));
    expect(offsets[1]! - offsets[0]!).toBe(5);

    const admin = kafka.admin();
    await admin.connect();
    const committed = await eventually(async () => {
      const [topicOffsets] = await admin.fetchOffsets({
        groupId,
        topics: [topics.behavioralEvents.name],
      });
      const entry = topicOffsets!.partitions.find((p) => p.partition === partition);
      return entry && Number(entry.offset) === offsets[1]! + 1 ? entry : undefined;
    });
    await admin.disconnect();
    expect(Number(committed.offset)).toBe(offsets[1]! + 1);
  });

  it('dead-letters what the handler rejects, alone, and never its neighbours', async () => {
    const key = 'acme/handler-rejects';
    await producer.send({
      topic: topics.behavioralEvents.name,
      messages: [
        { key, value: JSON.stringify(event('ok-a', 1)) },
        { key, value: JSON.stringify(event('rejected', 2)) },
        { key, value: JSON.stringify(event('throws-poison', 3)) },
        { key, value: JSON.stringify(event('ok-b', 4)) },
      ],
    });
    const letters = await eventually(() => {
      const got = recorder
        .on(topics.dlq.name)
        .map((m) => m.value as DeadLetter)
        .filter((l) => l.reason.code === 'rejected_by_handler');
      return got.length >= 2 ? got : undefined;
    });
    expect(letters.map((l) => l.reason.message).sort()).toEqual([
      'agent is not allowed',
      'domain refused it',
    ]);
    await eventually(() =>
      handler.seen.some((m) => m.value.agentId === 'ok-b') ? true : undefined,
    );
    expect(handler.seen.filter((m) => m.value.agentId === 'ok-a').length).toBeGreaterThanOrEqual(1);
  });

  it('retries a transient failure with backoff and never dead-letters it', async () => {
    const before = recorder.on(topics.dlq.name).length;
    handler.transientFailuresLeft = 2;
    await producer.send({
      topic: topics.behavioralEvents.name,
      messages: [{ key: 'acme/flaky', value: JSON.stringify(event('flaky', 1)) }],
    });
    await eventually(() =>
      handler.seen.some((m) => m.value.agentId === 'flaky') ? true : undefined,
    );
    expect(handler.transientFailuresLeft).toBe(0);
    expect(handler.seen.filter((m) => m.value.agentId === 'flaky')).toHaveLength(1);
    expect(recorder.on(topics.dlq.name)).toHaveLength(before);
    const metrics = await app.get(MetricsService).render();
    expect(metrics).toMatch(
      /ward_kafka_transient_failures_total\{topic="[^"]+",service="messaging-test"\} 2/,
    );
    expect(metrics).toMatch(
      /ward_kafka_messages_dead_lettered_total\{topic="[^"]+",reason="invalid_json",service="messaging-test"\} 2/,
    );
  });
});
