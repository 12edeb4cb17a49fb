import { type AdaptResult, isObject, type RawShape } from './adapt.types';
import { adaptMcp } from './mcp.adapter';
import { adaptNative } from './native.adapter';
import { adaptOtlp } from './otlp.adapter';

/** Tells the three accepted raw shapes apart by their defining fields. */
export function detectShape(value: unknown): RawShape | undefined {
  if (!isObject(value)) {
    return undefined;
  }
  if (Array.isArray(value.resourceSpans)) {
    return 'otlp';
  }
  if (
    isObject(value.request) &&
    (value.request.jsonrpc === '2.0' || typeof value.request.method === 'string')
  ) {
    return 'mcp';
  }
  if ('agentId' in value && 'action' in value) {
    return 'native';
  }
  return undefined;
}

/** Any parsed JSON value → raw records, or the reason it is refused. Never throws. */
export function adaptRaw(value: unknown): AdaptResult {
  try {
    const shape = detectShape(value);
    if (shape === undefined || !isObject(value)) {
      return {
        ok: false,
        shape: 'unknown',
        code: 'unsupported_shape',
        reason:
          'unrecognized telemetry shape: expected a Ward event (agentId, action, timestamp), OTLP/JSON traces (resourceSpans) or an MCP tools/call log record (request.method)',
      };
    }
    switch (shape) {
      case 'otlp':
        return adaptOtlp(value);
      case 'mcp':
        return adaptMcp(value);
      case 'native':
        return adaptNative(value);
    }
  } catch (error) {
    return {
      ok: false,
      shape: detectShape(value) ?? 'unknown',
      code: 'schema_violation',
      reason: `could not read record: ${String(error)}`,
    };
  }
}
