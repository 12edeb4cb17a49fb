import { type Static, type TSchema } from '@sinclair/typebox';
import { type Contract, type DeadLetterReason, type TopicId } from '@ward/contracts';

export interface InboundMessage<T> {
  readonly value: T;
  readonly key: string | null;
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  /** Kafka message timestamp, epoch ms. */
  readonly timestamp: number;
}

export interface RejectedMessage {
  readonly offset: string;
  readonly code: DeadLetterReason;
  readonly reason: string;
}

export interface BatchOutcome {
  /** Messages the domain refused for good; they go to the DLQ before the commit. */
  readonly rejected?: readonly RejectedMessage[];
}

export interface BatchContext {
  /** Keeps the group membership alive during long work. */
  heartbeat(): Promise<void>;
  readonly partition: number;
  /** Offsets of the whole fetched batch, including messages that failed their contract. */
  readonly firstOffset: string;
  readonly lastOffset: string;
}

/**
 * A Kafka handler: the thin adapter between one topic and one domain call. It
 * receives only messages that already passed the topic's contract. When this
 * promise resolves the work must be durable: the offsets are committed next.
 */
export interface TopicHandler<S extends TSchema = TSchema> {
  readonly topic: TopicId;
  readonly contract: Contract<S>;
  handleBatch(
    messages: readonly InboundMessage<Static<S>>[],
    context: BatchContext,
  ): Promise<BatchOutcome>;
  /**
   * Called after every rebalance with the partitions of this topic the
   * instance now owns, so a stateful handler can drop what it no longer owns.
   */
  onAssignment?(partitions: readonly number[]): void;
}
