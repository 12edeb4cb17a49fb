export interface KafkaConnectionOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly topicPrefix: string;
  /** Create every Ward topic that is missing when the service starts. */
  readonly ensureTopics: boolean;
  /**
   * TLS to the brokers (optionally with a CA, and with a PEM client
   * certificate and key for mutual TLS); absent means plaintext.
   */
  readonly ssl?: { readonly ca?: string; readonly cert?: string; readonly key?: string };
  readonly sasl?: {
    readonly mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512';
    readonly username: string;
    readonly password: string;
  };
}

export interface ConsumerOptions {
  readonly groupId: string;
  /** Messages larger than this are dead-lettered unread. */
  readonly maxMessageBytes: number;
  /** Upper bound of the backoff between retries of a transient failure. */
  readonly maxRetryDelayMs: number;
  readonly sessionTimeoutMs: number;
  /**
   * Batches of this many partitions are handled at once (kafkajs
   * `partitionsConsumedConcurrently`); one partition's batches stay in order.
   */
  readonly partitionsConsumedConcurrently: number;
}

export const DEFAULT_CONSUMER_OPTIONS: Omit<ConsumerOptions, 'groupId'> = {
  maxMessageBytes: 1024 * 1024,
  maxRetryDelayMs: 30_000,
  sessionTimeoutMs: 30_000,
  partitionsConsumedConcurrently: 1,
};

export const KAFKA_CONNECTION_OPTIONS = Symbol('KAFKA_CONNECTION_OPTIONS');
export const CONSUMER_OPTIONS = Symbol('CONSUMER_OPTIONS');
export const TOPIC_HANDLERS = Symbol('TOPIC_HANDLERS');
