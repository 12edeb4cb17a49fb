import { type RawTelemetryEvent } from '@ward/contracts';

export type RawShape = 'native' | 'otlp' | 'mcp';

export type AdaptResult =
  | {
      readonly ok: true;
      readonly shape: RawShape;
      readonly records: RawTelemetryEvent[];
      readonly skipped: number;
    }
  | {
      readonly ok: false;
      readonly shape: RawShape | 'unknown';
      readonly code: 'unsupported_shape' | 'schema_violation';
      readonly reason: string;
    };

export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export const MAX_LABEL_VALUE = 256;
export const MAX_LABELS = 32;

export function truncate(value: string, max = MAX_LABEL_VALUE): string {
  return value.length <= max ? value : value.slice(0, max);
}

/** Adds a label when there is room and a value; labels are bounded by the contract. */
export function putLabel(labels: Record<string, string>, key: string, value: unknown): void {
  if (
    Object.keys(labels).length >= MAX_LABELS ||
    value === undefined ||
    value === null ||
    value === ''
  ) {
    return;
  }
  const text =
    typeof value === 'string'
      ? value
      : typeof value === 'number' || typeof value === 'boolean'
        ? String(value)
        : (JSON.stringify(value) ?? '');
  labels[truncate(key, 64)] = truncate(text);
}

const DENIAL = /\b(denied|forbidden|unauthori[sz]ed|permission|not allowed|403|401)\b/i;

export function looksDenied(...texts: unknown[]): boolean {
  return (
    texts.some((t) => typeof t === 'string' && DENIAL.test(t)) ||
    texts.some((t) => t === 403 || t === 401)
  );
}
