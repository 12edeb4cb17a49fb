import { createHash } from 'node:crypto';
import {
  type BehavioralEvent,
  BehavioralEventContract,
  type ContractIssue,
  type IntakeChannel,
  MAX_PARAMETERS_BYTES,
  MAX_RESULT_BYTES,
  RawTelemetryEventContract,
} from '@ward/contracts';
import { shannonEntropy } from '@ward/detectors';

export interface NormalizeContext {
  readonly receivedAt: Date;
  readonly channel: IntakeChannel;
  readonly origin?: string;
  readonly defaultTenant: string;
  readonly maxFutureSkewMs: number;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export type NormalizeResult =
  | { readonly ok: true; readonly event: BehavioralEvent }
  | { readonly ok: false; readonly issues: readonly ContractIssue[] };

const EARLIEST_MS = Date.UTC(2000, 0, 1);
const ISO_ZONE = /(Z|[+-]\d{2}:?\d{2})$/i;
const NUMERIC = /^\d+(\.\d+)?$/;

/**
 * Epoch seconds, milliseconds, microseconds or nanoseconds (told apart by
 * magnitude), digit strings, or ISO 8601 (a zone-less ISO time is UTC).
 */
export function parseTimestamp(input: number | string): number | undefined {
  let value: number;
  if (typeof input === 'number') {
    value = input;
  } else if (NUMERIC.test(input)) {
    value = Number(input);
  } else {
    const iso = ISO_ZONE.test(input) ? input : `${input}Z`;
    const parsed = Date.parse(iso);
    return Number.isNaN(parsed) || !/^\d{4}-\d{2}-\d{2}/.test(input) ? undefined : parsed;
  }
  if (!Number.isFinite(value) || value < 0) {
    return undefined;
  }
  if (value >= 1e17) {
    return Math.floor(value / 1e6);
  }
  if (value >= 1e14) {
    return Math.floor(value / 1e3);
  }
  if (value >= 1e11) {
    return Math.floor(value);
  }
  return Math.floor(value * 1000);
}

/** JSON with object keys sorted, so one record always hashes to one id. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    return JSON.stringify(value) ?? 'null';
  }
  if (Array.isArray(value)) {
    return `[${value.map(canonicalJson).join(',')}]`;
  }
  const entries = Object.keys(value)
    .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
  return `{${entries.join(',')}}`;
}

export function deriveEventId(tenantId: string, raw: unknown): string {
  const digest = createHash('sha256')
    .update(tenantId)
    .update('\u001f')
    .update(canonicalJson(raw))
    .digest('hex');
  return `sha256:${digest.slice(0, 40)}`;
}

/** Raw telemetry (native shape) → BehavioralEvent, or the reasons it is refused. */
export function normalizeRawEvent(raw: unknown, ctx: NormalizeContext): NormalizeResult {
  const checked = RawTelemetryEventContract.validate(raw);
  if (!checked.ok) {
    return checked;
  }
  const r = checked.value;
  const timestampMs = parseTimestamp(r.timestamp);
  if (timestampMs === undefined) {
    return fail(
      '/timestamp',
      `unrecognized timestamp ${JSON.stringify(r.timestamp)}: use epoch seconds, milliseconds or ISO 8601`,
    );
  }
  if (timestampMs < EARLIEST_MS) {
    return fail('/timestamp', 'timestamp is before 2000-01-01');
  }
  if (timestampMs > ctx.receivedAt.getTime() + ctx.maxFutureSkewMs) {
    return fail(
      '/timestamp',
      `timestamp is more than ${ctx.maxFutureSkewMs / 1000} s in the future`,
    );
  }
  let parametersJson = '';
  if (r.parameters !== undefined) {
    parametersJson = JSON.stringify(r.parameters);
    if (Buffer.byteLength(parametersJson, 'utf8') > MAX_PARAMETERS_BYTES) {
      return fail('/parameters', `parameters exceed ${MAX_PARAMETERS_BYTES} bytes serialized`);
    }
  }
  if (
    r.result !== undefined &&
    Buffer.byteLength(JSON.stringify(r.result) ?? '', 'utf8') > MAX_RESULT_BYTES
  ) {
    return fail('/result', `result exceeds ${MAX_RESULT_BYTES} bytes serialized`);
  }
  const tenantId = r.tenantId ?? ctx.defaultTenant;
  // Built field by field in the contract's order (so the JSON published is the
  // same as ever): optional fields are assigned only when present, without
  // the throwaway object a conditional spread makes for each.
  const event: Mutable<BehavioralEvent> = {
    schemaVersion: 1,
    eventId: r.eventId ?? deriveEventId(tenantId, raw),
    tenantId,
    agentId: r.agentId,
  } as Mutable<BehavioralEvent>;
  if (r.sessionId !== undefined) {
    event.sessionId = r.sessionId;
  }
  if (r.requesterId !== undefined) {
    event.requesterId = r.requesterId;
  }
  event.timestamp = new Date(timestampMs).toISOString();
  event.receivedAt = ctx.receivedAt.toISOString();
  event.source =
    ctx.origin === undefined
      ? { channel: ctx.channel }
      : { channel: ctx.channel, origin: ctx.origin };
  event.type = r.type ?? 'custom';
  event.action = r.action;
  if (r.resource !== undefined) {
    event.resource = r.resource;
  }
  event.outcome = r.outcome ?? 'ok';
  if (r.latencyMs !== undefined) {
    event.latencyMs = r.latencyMs;
  }
  if (r.bytesIn !== undefined) {
    event.bytesIn = r.bytesIn;
  }
  if (r.bytesOut !== undefined) {
    event.bytesOut = r.bytesOut;
  }
  if (r.parameters !== undefined) {
    event.parameters = r.parameters;
  }
  if (r.result !== undefined) {
    event.result = r.result;
  }
  event.parameterEntropy = shannonEntropy(parametersJson);
  if (r.instructionHash !== undefined) {
    event.instructionHash = r.instructionHash;
  }
  if (r.iocs !== undefined) {
    event.iocs = r.iocs;
  }
  event.labels = r.labels ?? {};
  // The output contract is the one consumers enforce; never publish what they would dead-letter.
  const final = BehavioralEventContract.validate(event);
  return final.ok ? { ok: true, event: final.value } : final;
}

function fail(path: string, message: string): NormalizeResult {
  return { ok: false, issues: [{ path, message }] };
}
