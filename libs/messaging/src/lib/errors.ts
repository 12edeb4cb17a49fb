import { type DeadLetterReason } from '@ward/contracts';

/**
 * A message that can never succeed (invalid, unsupported, rejected by the
 * domain). It is dead-lettered at once and the partition moves on.
 */
export class PoisonMessageError extends Error {
  constructor(
    readonly code: DeadLetterReason,
    message: string,
  ) {
    super(message);
    this.name = 'PoisonMessageError';
  }
}

/**
 * A failure that may pass (database down, broker timeout). The batch is retried
 * with backoff and never dead-lettered. Any error that is not a
 * PoisonMessageError is treated as transient.
 */
export class TransientError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TransientError';
  }
}

/**
 * The handler cannot take this batch where it stands: its durable state
 * resumes at an earlier offset (its in-memory state was lost after a failure).
 * The consumer reads the partition again from `nextOffset`, committing nothing.
 */
export class RewindError extends Error {
  constructor(
    readonly nextOffset: string,
    message: string,
  ) {
    super(message);
    this.name = 'RewindError';
  }
}
