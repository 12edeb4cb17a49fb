import { type RawTelemetryEvent } from '@ward/contracts';
import { type AdaptResult, type JsonObject } from './adapt.types';

// Fields a BehavioralEvent carries that a producer must not set: Ward stamps them.
const STAMPED = ['receivedAt', 'source', 'parameterEntropy'] as const;

/**
 * The native shape: a RawTelemetryEvent, or a whole BehavioralEvent (e.g.
 * replayed from another Ward), whose Ward-stamped fields are dropped so they
 * are stamped again here. Validation is normalizeRawEvent's job.
 */
export function adaptNative(value: JsonObject): AdaptResult {
  const copy: JsonObject = { ...value };
  for (const field of STAMPED) {
    delete copy[field];
  }
  return { ok: true, shape: 'native', records: [copy as unknown as RawTelemetryEvent], skipped: 0 };
}
