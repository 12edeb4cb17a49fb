import { hostname } from 'node:os';
import { kafkaTlsOptions } from '@ward/config';
import { topicRegistry, type TopicRegistry } from '@ward/contracts';
import { type Admin, type Consumer, Kafka, logLevel } from 'kafkajs';
import { type CliConfig } from '../cli/config';

export interface KafkaHandle {
  readonly kafka: Kafka;
  readonly topics: TopicRegistry;
  readonly brokers: readonly string[];
  /** KAFKA_TOPIC_PREFIX: also put in front of the throwaway consumer groups. */
  readonly prefix: string;
}

/**
 * A Kafka client for a command: quiet (errors are reported by the command,
 * not logged by kafkajs) and quick to give up, so a broker that is down is
 * said in seconds rather than after minutes of retries.
 */
export function connectKafka(
  config: CliConfig,
  options: { readonly connectionTimeoutMs?: number; readonly retries?: number } = {},
): KafkaHandle {
  const { brokers, topicPrefix, security } = config.kafka;
  const kafka = new Kafka({
    clientId: `ward-cli-${hostname()}`,
    brokers: [...brokers],
    logLevel: logLevel.NOTHING,
    connectionTimeout: options.connectionTimeoutMs ?? 3_000,
    retry: { initialRetryTime: 200, retries: options.retries ?? 3 },
    ...(security.ssl !== undefined && { ssl: kafkaTlsOptions(security.ssl) }),
    ...(security.sasl !== undefined && {
      sasl:
        security.sasl.mechanism === 'plain'
          ? {
              mechanism: 'plain',
              username: security.sasl.username,
              password: security.sasl.password,
            }
          : security.sasl.mechanism === 'scram-sha-256'
            ? {
                mechanism: 'scram-sha-256',
                username: security.sasl.username,
                password: security.sasl.password,
              }
            : {
                mechanism: 'scram-sha-512',
                username: security.sasl.username,
                password: security.sasl.password,
              },
    }),
  });
  return { kafka, topics: topicRegistry(topicPrefix), brokers, prefix: topicPrefix };
}

/** Why Kafka could not be reached, in words, from a kafkajs error. */
export function kafkaFailure(brokers: readonly string[], error: unknown): string {
  const cause = (error as { cause?: { message?: string; code?: string } } | undefined)?.cause;
  const text = `${(error as Error | undefined)?.message ?? String(error)} ${cause?.code ?? ''} ${cause?.message ?? ''}`;
  const where = `Kafka at ${brokers.join(',')}`;
  if (/ECONNREFUSED|Connection error|connect ECONNREFUSED/i.test(text)) {
    return `${where} refused the connection`;
  }
  if (/ENOTFOUND|EAI_AGAIN|getaddrinfo/i.test(text)) {
    return `${where}: the host name does not resolve`;
  }
  if (/timeout|timed out/i.test(text)) {
    return `${where} did not answer in time`;
  }
  if (/SASL|authentication/i.test(text)) {
    return `${where} refused the credentials (${(error as Error).message})`;
  }
  return `${where} failed: ${(error as Error)?.message ?? String(error)}`;
}

/**
 * A consumer that reads `topics` from the offsets they have now (or from the
 * beginning) without committing anything: a throwaway group, deleted when it
 * stops. Seeking to offsets taken before the group joins means nothing
 * produced after start() is missed, however long the join takes.
 */
export class TopicFollower {
  private consumer: Consumer | undefined;
  private admin: Admin | undefined;
  readonly groupId: string;
  private joined = false;

  constructor(
    private readonly handle: KafkaHandle,
    private readonly topics: readonly string[],
    private readonly fromBeginning: boolean,
  ) {
    this.groupId = `${handle.prefix}ward-cli-${hostname()}-${process.pid}-${Date.now().toString(36)}`;
  }

  async start(
    onMessage: (topic: string, value: unknown, key: string | undefined) => void,
  ): Promise<void> {
    this.admin = this.handle.kafka.admin();
    await this.admin.connect();
    const starts = new Map<string, { partition: number; offset: string }[]>();
    for (const topic of this.topics) {
      const offsets = await this.admin.fetchTopicOffsets(topic);
      starts.set(
        topic,
        offsets.map((o) => ({
          partition: o.partition,
          offset: this.fromBeginning ? o.low : o.high,
        })),
      );
    }
    const consumer = this.handle.kafka.consumer({
      groupId: this.groupId,
      sessionTimeout: 10_000,
      heartbeatInterval: 1_000,
      maxWaitTimeInMs: 250,
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, () => {
      this.joined = true;
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [...this.topics], fromBeginning: this.fromBeginning });
    await consumer.run({
      autoCommit: false,
      eachMessage: ({ topic, message }) => {
        let value: unknown = null;
        try {
          value = JSON.parse(message.value?.toString('utf8') ?? 'null') as unknown;
        } catch {
          value = null;
        }
        if (value !== null) {
          onMessage(topic, value, message.key?.toString('utf8'));
        }
        return Promise.resolve();
      },
    });
    for (const [topic, partitions] of starts) {
      for (const p of partitions) {
        consumer.seek({ topic, partition: p.partition, offset: p.offset });
      }
    }
  }

  get hasJoined(): boolean {
    return this.joined;
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect().catch(() => undefined);
    // The group never committed; deleting it keeps the broker's group list clean.
    await this.admin?.deleteGroups([this.groupId]).catch(() => undefined);
    await this.admin?.disconnect().catch(() => undefined);
  }
}
