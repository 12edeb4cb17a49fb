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
  /**
   * For a handler that makes its work durable later than each batch (state
   * checkpointed on an interval): the next offset of the partition whose work
   * is durable, committed instead of the batch's end; null when nothing is
   * durable yet. Absent: the whole batch is durable.
   */
  readonly durableOffset?: string | null;
}

/** A partition's durable position, as a handler's `flush` reports it. */
export interface DurablePosition {
  readonly partition: number;
  /** Next offset to read: everything before it is durable. */
  readonly nextOffset: string;
}

export interface BatchContext {
  /** Keeps the group membership alive during long work. */
  heartbeat(): Promise<void>;
  readonly partition: number;
  /** Offsets of the whole fetched batch, including messages that failed their contract. */
  readonly firstOffset: string;
  readonly lastOffset: string;
  /** The partition's end when the batch was fetched (the offset after its last record). */
  readonly highWatermark: string;
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
  /**
   * For a handler that returns `durableOffset`: makes pending work durable and
   * reports each owned partition's durable position, which is then committed.
   * Called every `flushIntervalMs` and when the consumer stops.
   */
  flush?(): Promise<readonly DurablePosition[]>;
  readonly flushIntervalMs?: number;
}
