import { type DeadLetter, type DeadLetterReason } from '@ward/contracts';

export interface RawKafkaMessage {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly offset: string;
  readonly timestamp: string;
  readonly headers?: Record<string, Buffer | string | (Buffer | string)[] | undefined>;
}

const MAX_REASON_LENGTH = 4000;

/** Builds the DLQ record: the original bytes untouched, plus where they came from and why. */
export function buildDeadLetter(params: {
  readonly message: RawKafkaMessage;
  readonly sourceTopic: string;
  readonly partition: number;
  readonly consumerGroup: string;
  readonly code: DeadLetterReason;
  readonly reason: string;
  readonly now: Date;
}): DeadLetter {
  const { message } = params;
  return {
    schemaVersion: 1,
    sourceTopic: params.sourceTopic,
    partition: params.partition,
    offset: message.offset,
    consumerGroup: params.consumerGroup,
    reason: { code: params.code, message: params.reason.slice(0, MAX_REASON_LENGTH) },
    key: message.key === null ? null : message.key.toString('base64'),
    value: encodeValue(message.value),
    headers: encodeHeaders(message.headers),
    messageTimestamp: message.timestamp,
    failedAt: params.now.toISOString(),
  };
}

function encodeValue(value: Buffer | null): DeadLetter['value'] {
  if (value === null) {
    return null;
  }
  const text = value.toString('utf8');
  // Round-trip check: only bytes that are valid UTF-8 are kept as text.
  if (Buffer.byteLength(text, 'utf8') === value.length && Buffer.from(text, 'utf8').equals(value)) {
    return { encoding: 'utf8', data: text };
  }
  return { encoding: 'base64', data: value.toString('base64') };
}

function encodeHeaders(headers: RawKafkaMessage['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, raw] of Object.entries(headers ?? {})) {
    if (raw === undefined) {
      continue;
    }
    const first = Array.isArray(raw) ? raw[0] : raw;
    if (first !== undefined) {
      out[name] = Buffer.from(first).toString('base64');
    }
  }
  return out;
}

/** Retry delay with full jitter: random in [0, min(max, base * 2^attempt)]. */
export function backoffDelay(
  attempt: number,
  baseMs: number,
  maxMs: number,
  random = Math.random,
): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.max(baseMs, Math.floor(random() * ceiling));
}
