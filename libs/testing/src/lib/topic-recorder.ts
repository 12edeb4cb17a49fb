import { type Consumer, type Kafka, type KafkaMessage } from 'kafkajs';
import { eventually } from './wait';

export interface RecordedMessage {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: string | null;
  readonly value: unknown;
  readonly raw: KafkaMessage;
}

/**
 * Reads topics from the beginning with a throwaway consumer group and keeps
 * every message, so a test can wait for the one it expects.
 */
export class TopicRecorder {
  readonly messages: RecordedMessage[] = [];
  private consumer: Consumer | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly topics: readonly string[],
    private readonly groupId: string,
  ) {}

  async start(): Promise<this> {
    this.consumer = this.kafka.consumer({ groupId: this.groupId, allowAutoTopicCreation: false });
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [...this.topics], fromBeginning: true });
    let joined = false;
    this.consumer.on(this.consumer.events.GROUP_JOIN, () => {
      joined = true;
    });
    await this.consumer.run({
      eachMessage: ({ topic, partition, message }) => {
        const text = message.value?.toString('utf8');
        let value: unknown = text;
        try {
          value = text === undefined ? null : JSON.parse(text);
        } catch {
          // keep the text: tests of poison messages read it as it was
        }
        this.messages.push({
          topic,
          partition,
          offset: message.offset,
          key: message.key?.toString('utf8') ?? null,
          value,
          raw: message,
        });
        return Promise.resolve();
      },
    });
    await eventually(() => (joined ? true : undefined), {
      description: `recorder ${this.groupId} to join`,
    });
    return this;
  }

  on(topic: string): RecordedMessage[] {
    return this.messages.filter((m) => m.topic === topic);
  }

  async waitFor(
    topic: string,
    predicate: (m: RecordedMessage) => boolean,
    timeoutMs = 30_000,
  ): Promise<RecordedMessage> {
    return eventually(() => this.on(topic).find(predicate), {
      timeoutMs,
      description: `a matching message on ${topic}`,
    });
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
  }
}
