import { Logger } from '@nestjs/common';
import { type Static, type TSchema } from '@sinclair/typebox';
import { type Contract, type TopicId } from '@ward/contracts';
import { type Admin, type Consumer, type Kafka } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import { buildDeadLetter } from './dead-letter';
import { type MessageProducer } from './message-producer.service';
import { type MessagingMetrics } from './messaging.metrics';
import { type TopicAdmin } from './topic-admin.service';

const OFFSET_ATTEMPTS = 20;

/**
 * End offsets of a topic, retried while the broker is still electing leaders
 * (right after the topic was created, or during a broker restart).
 */
export async function endOffsets(
  admin: Admin,
  topic: string,
): Promise<{ partition: number; high: string; low: string }[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await admin.fetchTopicOffsets(topic);
    } catch (error) {
      const retriable = (error as { retriable?: boolean }).retriable === true;
      if (!retriable || attempt >= OFFSET_ATTEMPTS) {
        throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(2000, 100 * 2 ** attempt)));
    }
  }
}

export interface CompactedTableOptions<S extends TSchema> {
  readonly topic: TopicId;
  readonly contract: Contract<S>;
  /** Each instance reads the whole topic in its own group: `<prefix>-<random>`. */
  readonly groupPrefix: string;
  /** The latest value of a key, or null for a tombstone. Called in offset order per key. */
  readonly apply: (key: string, value: Static<S> | null) => void;
  readonly maxMessageBytes?: number;
}

/**
 * Every instance's own copy of a compacted topic (a table: latest value per
 * key, tombstones delete): reads from the beginning in a throwaway consumer
 * group that never commits, and keeps following. `ready` resolves once the
 * end offsets seen at start have been read. Values that break the contract
 * go to the dead-letter topic and are skipped; their key keeps its previous
 * value.
 */
export class CompactedTable<S extends TSchema> {
  private readonly logger: Logger;
  private consumer: Consumer | undefined;
  private readonly groupId: string;
  private resolveReady: () => void = () => undefined;
  private pendingPartitions = new Map<number, bigint>();
  private isReady = false;
  readonly ready: Promise<void>;

  constructor(
    private readonly kafka: Kafka,
    private readonly admin: TopicAdmin,
    private readonly producer: MessageProducer,
    private readonly metrics: MessagingMetrics,
    private readonly options: CompactedTableOptions<S>,
  ) {
    this.logger = new Logger(`CompactedTable(${options.topic})`);
    this.groupId = `${options.groupPrefix}-${randomUUID()}`;
    this.ready = new Promise((resolve) => {
      this.resolveReady = resolve;
    });
  }

  get caughtUp(): boolean {
    return this.isReady;
  }

  async start(): Promise<void> {
    const topic = this.admin.topics[this.options.topic].name;
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      for (const p of await endOffsets(admin, topic)) {
        if (BigInt(p.high) > BigInt(p.low)) {
          this.pendingPartitions.set(p.partition, BigInt(p.high));
        }
      }
    } finally {
      await admin.disconnect();
    }
    this.checkReady();
    const consumer = this.kafka.consumer({
      groupId: this.groupId,
      allowAutoTopicCreation: false,
      ...(this.options.maxMessageBytes !== undefined && {
        maxBytesPerPartition: this.options.maxMessageBytes,
      }),
    });
    this.consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const poison: {
          message: (typeof batch.messages)[number];
          reason: string;
          code: 'invalid_json' | 'schema_violation';
        }[] = [];
        for (const message of batch.messages) {
          const key = message.key?.toString('utf8');
          if (key === undefined || key === '') {
            poison.push({ message, code: 'schema_violation', reason: 'record without a key' });
            continue;
          }
          if (message.value === null) {
            this.options.apply(key, null);
            continue;
          }
          const decoded = this.options.contract.decode(message.value);
          if (!decoded.ok) {
            const reason = decoded.issues.map((i) => `${i.path}: ${i.message}`).join('; ');
            poison.push({
              message,
              code: reason.startsWith('/: not JSON') ? 'invalid_json' : 'schema_violation',
              reason,
            });
            continue;
          }
          this.options.apply(key, decoded.value);
        }
        this.metrics.consumed.inc({ topic }, batch.messages.length);
        if (poison.length > 0) {
          await this.deadLetter(topic, batch.partition, poison);
        }
        const end = this.pendingPartitions.get(batch.partition);
        const last = batch.messages.at(-1);
        if (end !== undefined && last !== undefined && BigInt(last.offset) >= end - 1n) {
          this.pendingPartitions.delete(batch.partition);
          this.checkReady();
        }
      },
    });
  }

  private checkReady(): void {
    if (!this.isReady && this.pendingPartitions.size === 0) {
      this.isReady = true;
      this.resolveReady();
    }
  }

  private async deadLetter(
    topic: string,
    partition: number,
    poison: readonly {
      message: { key: Buffer | null; value: Buffer | null; offset: string; timestamp: string };
      reason: string;
      code: 'invalid_json' | 'schema_violation';
    }[],
  ): Promise<void> {
    const now = new Date();
    await this.producer.send(
      this.admin.topics.dlq.name,
      poison.map((p) => ({
        key: topic,
        value: buildDeadLetter({
          message: p.message,
          sourceTopic: topic,
          partition,
          consumerGroup: this.groupId,
          code: p.code,
          reason: p.reason,
          now,
        }),
        headers: { 'ward-dlq-reason': p.code, 'ward-source-topic': topic },
      })),
    );
    for (const p of poison) {
      this.metrics.deadLettered.inc({ topic, reason: p.code });
      this.logger.warn(
        `dead-lettered ${topic}[${partition}]@${p.message.offset}: ${p.code}: ${p.reason}`,
      );
    }
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
    this.consumer = undefined;
  }
}
