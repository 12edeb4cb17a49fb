import { type EventType, type Outcome, type RawTelemetryEvent } from '@ward/contracts';
import {
  type AdaptResult,
  isObject,
  type JsonObject,
  looksDenied,
  putLabel,
  truncate,
} from './adapt.types';

/** More spans than this in one export request are refused rather than half-read. */
export const MAX_SPANS = 10_000;
const STATUS_ERROR = 2;

type Attributes = Map<string, unknown>;

/** OTLP/JSON AnyValue → plain JSON value. */
function anyValue(value: unknown, depth = 0): unknown {
  if (!isObject(value) || depth > 8) {
    return undefined;
  }
  if (typeof value.stringValue === 'string') {
    return value.stringValue;
  }
  if (typeof value.boolValue === 'boolean') {
    return value.boolValue;
  }
  if (value.intValue !== undefined) {
    const n = Number(value.intValue);
    return Number.isFinite(n) ? n : undefined;
  }
  if (value.doubleValue !== undefined) {
    const n = Number(value.doubleValue);
    return Number.isFinite(n) ? n : undefined;
  }
  if (isObject(value.arrayValue) && Array.isArray(value.arrayValue.values)) {
    return value.arrayValue.values.slice(0, 256).map((v) => anyValue(v, depth + 1));
  }
  if (isObject(value.kvlistValue) && Array.isArray(value.kvlistValue.values)) {
    return Object.fromEntries(attributes(value.kvlistValue.values, depth + 1));
  }
  return undefined;
}

function attributes(list: unknown, depth = 0): Attributes {
  const out: Attributes = new Map();
  if (!Array.isArray(list)) {
    return out;
  }
  for (const entry of list.slice(0, 512)) {
    if (isObject(entry) && typeof entry.key === 'string') {
      const value = anyValue(entry.value, depth);
      if (value !== undefined) {
        out.set(entry.key, value);
      }
    }
  }
  return out;
}

function str(attrs: Attributes, ...keys: string[]): string | undefined {
  for (const key of keys) {
    const value = attrs.get(key);
    if (typeof value === 'string' && value !== '') {
      return value;
    }
    if (typeof value === 'number') {
      return String(value);
    }
  }
  return undefined;
}

/** Unix nanoseconds (string or number) → epoch milliseconds. */
function nanosToMs(value: unknown): number | undefined {
  if (typeof value === 'string' && /^\d{1,20}$/.test(value)) {
    return Number(BigInt(value) / 1_000_000n);
  }
  if (typeof value === 'number' && Number.isFinite(value) && value > 0) {
    return Math.floor(value / 1e6);
  }
  return undefined;
}

function parseJsonObject(text: string | undefined): JsonObject | undefined {
  if (text === undefined) {
    return undefined;
  }
  try {
    const value: unknown = JSON.parse(text);
    return isObject(value) ? value : { value };
  } catch {
    return { raw: truncate(text, 4096) };
  }
}

function parseJsonValue(text: string | undefined): unknown {
  if (text === undefined) {
    return undefined;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return truncate(text, 4096);
  }
}

function typeFor(operation: string): EventType {
  switch (operation) {
    case 'execute_tool':
      return 'tool_call';
    case 'chat':
    case 'text_completion':
    case 'generate_content':
      return 'llm_completion';
    default:
      return 'api_request';
  }
}

function spanRecord(span: JsonObject, resource: Attributes): RawTelemetryEvent | undefined {
  const attrs = attributes(span.attributes);
  const isGenAi = [...attrs.keys()].some((k) => k.startsWith('gen_ai.'));
  if (!isGenAi) {
    return undefined;
  }
  const start = nanosToMs(span.startTimeUnixNano);
  const end = nanosToMs(span.endTimeUnixNano);
  const agentId =
    str(attrs, 'gen_ai.agent.id') ??
    str(resource, 'ward.agent.id') ??
    str(attrs, 'gen_ai.agent.name') ??
    str(resource, 'service.name');
  if (start === undefined || agentId === undefined) {
    return undefined;
  }
  const operation = str(attrs, 'gen_ai.operation.name') ?? 'unknown';
  const tool = str(attrs, 'gen_ai.tool.name');
  const model = str(attrs, 'gen_ai.request.model', 'gen_ai.response.model');
  const status = isObject(span.status) ? span.status : {};
  const errorType = str(attrs, 'error.type');
  const failed = Number(status.code) === STATUS_ERROR || errorType !== undefined;
  const outcome: Outcome = failed
    ? looksDenied(errorType, status.message, attrs.get('http.response.status_code'))
      ? 'denied'
      : 'error'
    : 'ok';
  const labels: Record<string, string> = {};
  putLabel(labels, 'otel.trace_id', span.traceId);
  putLabel(labels, 'otel.span_id', span.spanId);
  putLabel(labels, 'gen_ai.operation.name', operation);
  putLabel(labels, 'gen_ai.system', str(attrs, 'gen_ai.system', 'gen_ai.provider.name'));
  putLabel(labels, 'gen_ai.request.model', model);
  putLabel(labels, 'gen_ai.usage.input_tokens', attrs.get('gen_ai.usage.input_tokens'));
  putLabel(labels, 'gen_ai.usage.output_tokens', attrs.get('gen_ai.usage.output_tokens'));
  putLabel(labels, 'error.type', errorType);
  putLabel(labels, 'service.name', str(resource, 'service.name'));
  const parameters = parseJsonObject(str(attrs, 'gen_ai.tool.call.arguments'));
  const result = parseJsonValue(str(attrs, 'gen_ai.tool.call.result'));
  const sessionId = str(attrs, 'gen_ai.conversation.id', 'session.id');
  const requesterId = str(attrs, 'enduser.id', 'user.id');
  const resourceName = str(attrs, 'url.full', 'server.address');
  const tenantId = str(resource, 'ward.tenant.id');
  const traceId = typeof span.traceId === 'string' ? span.traceId : '';
  const spanId = typeof span.spanId === 'string' ? span.spanId : '';
  return {
    ...(traceId &&
      spanId &&
      /^[A-Za-z0-9]+$/.test(traceId + spanId) && {
        eventId: `otel:${traceId}:${spanId}`.slice(0, 128),
      }),
    ...(tenantId !== undefined && { tenantId }),
    agentId: truncate(agentId),
    ...(sessionId !== undefined && { sessionId: truncate(sessionId) }),
    ...(requesterId !== undefined && { requesterId: truncate(requesterId) }),
    timestamp: start,
    type: typeFor(operation),
    action: truncate(tool ?? (model ? `gen_ai.${operation} ${model}` : `gen_ai.${operation}`)),
    ...(resourceName !== undefined && { resource: truncate(resourceName, 2048) }),
    outcome,
    ...(end !== undefined && end >= start && { latencyMs: end - start }),
    ...(parameters !== undefined && { parameters }),
    ...(result !== undefined && { result }),
    labels,
  };
}

/** OTLP/JSON ExportTraceServiceRequest → one raw record per GenAI span. */
export function adaptOtlp(value: JsonObject): AdaptResult {
  if (!Array.isArray(value.resourceSpans)) {
    return {
      ok: false,
      shape: 'otlp',
      code: 'schema_violation',
      reason: 'resourceSpans must be an array',
    };
  }
  const records: RawTelemetryEvent[] = [];
  let skipped = 0;
  let spans = 0;
  for (const resourceSpans of value.resourceSpans) {
    if (!isObject(resourceSpans)) {
      continue;
    }
    const resource = attributes(
      isObject(resourceSpans.resource) ? resourceSpans.resource.attributes : undefined,
    );
    const scopes = Array.isArray(resourceSpans.scopeSpans) ? resourceSpans.scopeSpans : [];
    for (const scope of scopes) {
      const list = isObject(scope) && Array.isArray(scope.spans) ? scope.spans : [];
      spans += list.length;
      if (spans > MAX_SPANS) {
        return {
          ok: false,
          shape: 'otlp',
          code: 'schema_violation',
          reason: `more than ${MAX_SPANS} spans in one request`,
        };
      }
      for (const span of list) {
        const record = isObject(span) ? spanRecord(span, resource) : undefined;
        if (record) {
          records.push(record);
        } else {
          skipped += 1;
        }
      }
    }
  }
  if (records.length === 0) {
    return {
      ok: false,
      shape: 'otlp',
      code: 'schema_violation',
      reason: `no usable GenAI span among ${spans} (each needs gen_ai.* attributes, a start time and an agent id: gen_ai.agent.id, resource ward.agent.id, gen_ai.agent.name or service.name)`,
    };
  }
  return { ok: true, shape: 'otlp', records, skipped };
}
