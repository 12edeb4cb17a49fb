import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { ReadinessService } from '@ward/observability';
import { Kafka, type Message, type Producer } from 'kafkajs';
import { BrokerProbe } from './broker-probe';
import { MessagingMetrics } from './messaging.metrics';
import { KAFKA_CONNECTION_OPTIONS, type KafkaConnectionOptions } from './messaging.options';

export interface OutboundMessage {
  readonly key: string | null;
  readonly value: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * The one idempotent producer of a service (acks=all, one request in flight so
 * retries cannot reorder). Disconnected last on shutdown, after consumers have
 * finished their batches.
 */
@Injectable()
export class MessageProducer implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(MessageProducer.name);
  private readonly producer: Producer;
  private connected = false;

  constructor(
    kafka: Kafka,
    private readonly metrics: MessagingMetrics,
    readiness: ReadinessService,
    @Inject(KAFKA_CONNECTION_OPTIONS) connection: KafkaConnectionOptions,
  ) {
    this.producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
    });
    this.producer.on(this.producer.events.DISCONNECT, () => {
      this.connected = false;
    });
    readiness.register('kafka-producer', () =>
      Promise.resolve(this.connected ? true : 'producer not connected'),
    );
    const brokers = new BrokerProbe(connection.brokers);
    readiness.register('kafka', () => brokers.check());
  }

  async onModuleInit(): Promise<void> {
    await this.producer.connect();
    this.connected = true;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.producer.disconnect().catch((error: unknown) => {
      this.logger.warn(`producer disconnect failed: ${String(error)}`);
    });
    this.connected = false;
  }

  /** Serializes each value as JSON and resolves once Kafka acknowledged all of them. */
  async send(topic: string, messages: readonly OutboundMessage[]): Promise<void> {
    if (messages.length === 0) {
      return;
    }
    await this.sendRaw(topic, messages.map(encode));
  }

  /** Several topics' records in one produce request per broker (acks=all). */
  async sendMany(
    batches: readonly { readonly topic: string; readonly messages: readonly OutboundMessage[] }[],
  ): Promise<void> {
    const topicMessages = batches
      .filter((b) => b.messages.length > 0)
      .map((b) => ({
        topic: b.topic,
        messages: b.messages.map(encode),
      }));
    if (topicMessages.length === 0) {
      return;
    }
    await this.producer.sendBatch({ acks: -1, topicMessages });
    for (const t of topicMessages) {
      this.metrics.produced.inc({ topic: t.topic }, t.messages.length);
    }
  }

  async sendRaw(topic: string, messages: Message[]): Promise<void> {
    if (messages.length === 0) {
      return;
    }
    await this.producer.send({ topic, acks: -1, messages });
    this.metrics.produced.inc({ topic }, messages.length);
  }
}

function encode(m: OutboundMessage): Message {
  return {
    key: m.key,
    value: JSON.stringify(m.value),
    ...(m.headers ? { headers: { ...m.headers } } : {}),
  };
}
