import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { type Contract, formatIssues } from '@ward/contracts';
import { type TSchema } from '@sinclair/typebox';
import { ReadinessService } from '@ward/observability';
import {
  type Batch,
  type Consumer,
  type EachBatchPayload,
  Kafka,
  type KafkaMessage,
} from 'kafkajs';
import { backoffDelay, buildDeadLetter } from './dead-letter';
import { PoisonMessageError, RewindError } from './errors';
import { MessagingMetrics } from './messaging.metrics';
import { CONSUMER_OPTIONS, type ConsumerOptions, TOPIC_HANDLERS } from './messaging.options';
import { MessageProducer } from './message-producer.service';
import { TopicAdmin } from './topic-admin.service';
import {
  type BatchContext,
  type BatchOutcome,
  type InboundMessage,
  type RejectedMessage,
  type TopicHandler,
} from './topic-handler';

const RETRY_BASE_MS = 200;

interface Poison {
  readonly message: KafkaMessage;
  readonly code: RejectedMessage['code'];
  readonly reason: string;
}

/**
 * Runs kafkajs in a Nest provider rather than through @nestjs/microservices:
 * Nest's Kafka transport handles one message at a time, has no dead-letter
 * queue and redelivers a failing message forever. Here each partition batch is
 * validated against its contract, poison messages go to the DLQ with their
 * reason, the handler makes the rest durable, and only then are offsets
 * committed. Transient failures retry the batch with backoff, never DLQ.
 */
@Injectable()
export class BatchConsumer implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(BatchConsumer.name);
  private readonly consumer: Consumer;
  private readonly routes = new Map<string, TopicHandler>();
  private joined = false;
  private stopping = false;
  // Wakes a transient-failure backoff at once when the service is told to stop.
  private readonly stopSignal = new AbortController();
  // Offsets committed per `topic:partition` this generation, and the chain
  // commits go through, so a flush and a batch never commit out of order.
  private readonly committed = new Map<string, bigint>();
  private commits: Promise<void> = Promise.resolve();
  private flushTimer: NodeJS.Timeout | undefined;

  constructor(
    kafka: Kafka,
    private readonly admin: TopicAdmin,
    private readonly producer: MessageProducer,
    private readonly metrics: MessagingMetrics,
    readiness: ReadinessService,
    @Inject(CONSUMER_OPTIONS) private readonly options: ConsumerOptions,
    @Inject(TOPIC_HANDLERS) handlers: readonly TopicHandler[],
  ) {
    for (const handler of handlers) {
      this.routes.set(admin.topics[handler.topic].name, handler);
    }
    this.consumer = kafka.consumer({
      groupId: options.groupId,
      sessionTimeout: options.sessionTimeoutMs,
      allowAutoTopicCreation: false,
      maxBytesPerPartition: Math.max(options.maxMessageBytes, 1024 * 1024),
      retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 300, maxRetryTime: 30_000 },
    });
    const { GROUP_JOIN, REBALANCING, CRASH, STOP } = this.consumer.events;
    this.consumer.on(GROUP_JOIN, (event) => {
      this.joined = true;
      this.committed.clear();
      const assignment = event.payload.memberAssignment;
      for (const [topic, handler] of this.routes) {
        handler.onAssignment?.(assignment[topic] ?? []);
      }
    });
    for (const event of [REBALANCING, CRASH, STOP]) {
      this.consumer.on(event, () => {
        this.joined = false;
      });
    }
    // kafkajs restarts itself after retriable errors only. An error it deems
    // final (e.g. "Failed to find group coordinator" while the broker is
    // down) would leave the service running with no consumer: start again
    // with backoff until the broker answers.
    this.consumer.on(CRASH, (event) => {
      if (!event.payload.restart && !this.stopping) {
        this.logger.error(
          `consumer ${options.groupId} stopped on ${String(event.payload.error)}; starting it again`,
        );
        void this.restart();
      }
    });
    readiness.register('kafka-consumer', () =>
      Promise.resolve(this.joined ? true : `consumer group ${options.groupId} not joined`),
    );
  }

  get topics(): string[] {
    return [...this.routes.keys()];
  }

  private async restart(): Promise<void> {
    for (let attempt = 0; !this.stopping; attempt++) {
      await sleep(backoffDelay(attempt, RETRY_BASE_MS, 30_000), this.stopSignal.signal).catch(
        () => undefined,
      );
      if (this.stopping) {
        return;
      }
      try {
        await this.consumer.disconnect().catch(() => undefined);
        await this.onApplicationBootstrap();
        return;
      } catch (error) {
        this.logger.warn(
          `starting consumer ${this.options.groupId} again failed: ${String(error)}`,
        );
      }
    }
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.routes.size === 0) {
      return;
    }
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: this.topics, fromBeginning: true });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently,
      eachBatch: (payload) => this.onBatch(payload),
    });
    const intervals = [...this.routes.values()]
      .filter((h) => h.flush !== undefined)
      .map((h) => h.flushIntervalMs ?? 1000);
    if (intervals.length > 0 && this.flushTimer === undefined) {
      this.flushTimer = setInterval(() => void this.flush(), Math.min(...intervals));
      this.flushTimer.unref();
    }
  }

  /** Makes stateful handlers' pending work durable, commits it, then leaves the group. */
  async onModuleDestroy(): Promise<void> {
    this.stopping = true;
    this.stopSignal.abort();
    clearInterval(this.flushTimer);
    await this.flush();
    await this.consumer.disconnect();
  }

  /** Asks each stateful handler to make its work durable and commits where it stands. */
  private async flush(): Promise<void> {
    for (const [topic, handler] of this.routes) {
      if (handler.flush === undefined) {
        continue;
      }
      try {
        for (const p of await handler.flush()) {
          await this.commit(topic, p.partition, p.nextOffset);
        }
      } catch (error) {
        this.logger.warn(`flushing ${topic} failed (retried at the next flush): ${String(error)}`);
      }
    }
  }

  /** Commits `nextOffset` unless this generation already committed as far. */
  private commit(topic: string, partition: number, nextOffset: string): Promise<void> {
    const run = this.commits.then(async () => {
      const key = `${topic}:${partition}`;
      const next = BigInt(nextOffset);
      if ((this.committed.get(key) ?? -1n) >= next) {
        return;
      }
      await this.consumer.commitOffsets([{ topic, partition, offset: nextOffset }]);
      this.committed.set(key, next);
    });
    this.commits = run.catch(() => undefined);
    return run;
  }

  private async onBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    if (batch.messages.length === 0) {
      return;
    }
    const handler = this.routes.get(batch.topic);
    if (!handler) {
      throw new Error(`no handler for topic ${batch.topic}`);
    }
    const end = this.metrics.batchDuration.startTimer({ topic: batch.topic });
    this.metrics.consumed.inc({ topic: batch.topic }, batch.messages.length);

    const { valid, poison } = this.decode(batch, handler.contract);
    const context = {
      heartbeat: () => payload.heartbeat(),
      partition: batch.partition,
      firstOffset: batch.firstOffset() ?? batch.messages[0]!.offset,
      highWatermark: batch.highWatermark,
      lastOffset: batch.messages[batch.messages.length - 1]!.offset,
    };
    let outcome: BatchOutcome;
    try {
      outcome = await this.handleWithRetry(handler, valid, payload, context);
    } catch (error) {
      if (!(error instanceof RewindError)) {
        throw error;
      }
      // Nothing of this batch is resolved or committed: read it again from there.
      this.logger.warn(
        `${batch.topic}[${batch.partition}]: reading again from offset ${error.nextOffset}: ${error.message}`,
      );
      this.consumer.seek({
        topic: batch.topic,
        partition: batch.partition,
        offset: error.nextOffset,
      });
      end();
      return;
    }
    for (const r of outcome.rejected ?? []) {
      const message = batch.messages.find((m) => m.offset === r.offset);
      if (message) {
        poison.push({ message, code: r.code, reason: r.reason });
      }
    }
    await this.deadLetter(batch, poison);

    const last = batch.messages[batch.messages.length - 1]!;
    payload.resolveOffset(last.offset);
    const durable =
      outcome.durableOffset === undefined
        ? (BigInt(last.offset) + 1n).toString()
        : outcome.durableOffset;
    if (durable !== null) {
      await this.commit(batch.topic, batch.partition, durable);
    }
    this.metrics.lag.set(
      { topic: batch.topic, partition: String(batch.partition) },
      Number(batch.offsetLag()),
    );
    end();
  }

  private decode(batch: Batch, contract: Contract<TSchema>) {
    const valid: InboundMessage<unknown>[] = [];
    const poison: Poison[] = [];
    for (const message of batch.messages) {
      const size = message.value?.length ?? 0;
      if (size > this.options.maxMessageBytes) {
        poison.push({
          message,
          code: 'oversized',
          reason: `message of ${size} bytes exceeds ${this.options.maxMessageBytes}`,
        });
        continue;
      }
      const result = contract.decode(message.value);
      if (!result.ok) {
        const notJson =
          result.issues.length === 1 && result.issues[0]!.message.startsWith('not JSON');
        poison.push({
          message,
          code: notJson ? 'invalid_json' : 'schema_violation',
          reason: `${contract.name}: ${formatIssues(result.issues)}`,
        });
        continue;
      }
      valid.push({
        value: result.value,
        key: message.key?.toString('utf8') ?? null,
        topic: batch.topic,
        partition: batch.partition,
        offset: message.offset,
        timestamp: Number(message.timestamp),
      });
    }
    return { valid, poison };
  }

  private async handleWithRetry(
    handler: TopicHandler,
    messages: InboundMessage<unknown>[],
    payload: EachBatchPayload,
    context: BatchContext,
  ): Promise<BatchOutcome> {
    if (messages.length === 0) {
      return {};
    }
    for (let attempt = 0; ; attempt++) {
      try {
        return await handler.handleBatch(messages, context);
      } catch (error) {
        if (error instanceof RewindError) {
          throw error;
        }
        if (error instanceof PoisonMessageError && messages.length === 1) {
          return {
            rejected: [{ offset: messages[0]!.offset, code: error.code, reason: error.message }],
          };
        }
        if (error instanceof PoisonMessageError) {
          // One bad record must not sink its neighbours: find it by handling one at a time.
          return this.isolatePoison(handler, messages, payload, context);
        }
        this.metrics.transientFailures.inc({ topic: messages[0]!.topic });
        if (this.stopping || !payload.isRunning() || payload.isStale()) {
          throw error;
        }
        const delay = backoffDelay(attempt, RETRY_BASE_MS, this.options.maxRetryDelayMs);
        this.logger.warn(
          `transient failure on ${messages[0]!.topic}[${messages[0]!.partition}] (attempt ${attempt + 1}), retrying in ${delay} ms: ${String(error)}`,
        );
        await sleep(delay, this.stopSignal.signal);
        if (this.stopping) {
          // Leave the batch uncommitted: the next owner of the partition retries it.
          throw error;
        }
        await payload.heartbeat();
      }
    }
  }

  private async isolatePoison(
    handler: TopicHandler,
    messages: InboundMessage<unknown>[],
    payload: EachBatchPayload,
    context: BatchContext,
  ): Promise<BatchOutcome> {
    const rejected: RejectedMessage[] = [];
    let durableOffset: string | null | undefined;
    for (const message of messages) {
      const outcome = await this.handleWithRetry(handler, [message], payload, {
        ...context,
        firstOffset: message.offset,
        lastOffset: message.offset,
      });
      rejected.push(...(outcome.rejected ?? []));
      if (outcome.durableOffset !== undefined) {
        durableOffset = outcome.durableOffset;
      }
    }
    return durableOffset === undefined ? { rejected } : { rejected, durableOffset };
  }

  private async deadLetter(batch: Batch, poison: readonly Poison[]): Promise<void> {
    if (poison.length === 0) {
      return;
    }
    const dlq = this.admin.topics.dlq.name;
    const now = new Date();
    await this.producer.send(
      dlq,
      poison.map((p) => ({
        key: batch.topic,
        value: buildDeadLetter({
          message: p.message,
          sourceTopic: batch.topic,
          partition: batch.partition,
          consumerGroup: this.options.groupId,
          code: p.code,
          reason: p.reason,
          now,
        }),
        headers: { 'ward-dlq-reason': p.code, 'ward-source-topic': batch.topic },
      })),
    );
    for (const p of poison) {
      this.metrics.deadLettered.inc({ topic: batch.topic, reason: p.code });
      this.logger.warn(
        `dead-lettered ${batch.topic}[${batch.partition}]@${p.message.offset}: ${p.code}: ${p.reason}`,
      );
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}
