import { Inject, Injectable, Logger } from '@nestjs/common';
import { allTopics, type ResolvedTopic, topicRegistry, type TopicRegistry } from '@ward/contracts';
import { type Admin, Kafka } from 'kafkajs';
import { KAFKA_CONNECTION_OPTIONS, type KafkaConnectionOptions } from './messaging.options';

/** Resolves topic names for this deployment and creates missing topics. */
@Injectable()
export class TopicAdmin {
  private readonly logger = new Logger(TopicAdmin.name);
  readonly topics: TopicRegistry;

  constructor(
    private readonly kafka: Kafka,
    @Inject(KAFKA_CONNECTION_OPTIONS) options: KafkaConnectionOptions,
  ) {
    this.topics = topicRegistry(options.topicPrefix);
  }

  async ensureTopics(topics: readonly ResolvedTopic[] = allTopics(this.topics)): Promise<string[]> {
    return ensureTopics(this.kafka, topics, this.logger);
  }
}

export async function ensureTopics(
  kafka: Kafka,
  topics: readonly ResolvedTopic[],
  logger?: Pick<Logger, 'log'>,
): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t.name));
    if (missing.length === 0) {
      return [];
    }
    await createMissing(admin, missing);
    logger?.log(`created topics ${missing.map((t) => t.name).join(', ')}`);
    return missing.map((t) => t.name);
  } finally {
    await admin.disconnect();
  }
}

async function createMissing(admin: Admin, missing: readonly ResolvedTopic[]): Promise<void> {
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((t) => ({
        topic: t.name,
        numPartitions: t.partitions,
        replicationFactor: -1,
        configEntries: [
          { name: 'cleanup.policy', value: t.cleanupPolicy },
          ...(t.retentionMs === undefined
            ? []
            : [{ name: 'retention.ms', value: String(t.retentionMs) }]),
        ],
      })),
    });
  } catch (error) {
    // Under broker ACLs a service may neither create topics nor see those it has
    // no Describe on; say what to do instead of a bare protocol error.
    const errors = [error, ...((error as { errors?: unknown[] }).errors ?? [])];
    if (errors.some((e) => /AUTHORIZATION_FAILED/.test(String((e as { type?: string }).type)))) {
      throw new Error(
        `topics ${missing.map((t) => t.name).join(', ')} are missing or hidden from this principal, which may not create them: create them as an administrator (npm run topics) and grant this service its ACLs (npm run kafka-acls)`,
        { cause: error },
      );
    }
    throw error;
  }
}
