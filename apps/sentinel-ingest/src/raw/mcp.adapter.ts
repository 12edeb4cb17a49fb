import { type Outcome, type RawTelemetryEvent } from '@ward/contracts';
import {
  type AdaptResult,
  isObject,
  type JsonObject,
  looksDenied,
  putLabel,
  truncate,
} from './adapt.types';

/**
 * MCP (Model Context Protocol) `tools/call` as an MCP proxy logs it: the
 * JSON-RPC request and its response in one record.
 *
 * ```json
 * { "timestamp": 1767225600123 | "2026-01-01T00:00:00.123Z",
 *   "agentId": "support-bot", "sessionId": "s-1", "tenantId": "acme" (optional),
 *   "server": "github-mcp" (MCP server name or URL, optional),
 *   "durationMs": 42 (optional),
 *   "request":  { "jsonrpc": "2.0", "id": 7, "method": "tools/call",
 *                 "params": { "name": "create_issue", "arguments": { ... } } },
 *   "response": { "jsonrpc": "2.0", "id": 7,
 *                 "result": { "content": [ ... ], "isError": false, "structuredContent": { ... } } }
 *            or { "jsonrpc": "2.0", "id": 7, "error": { "code": -32001, "message": "permission denied" } } }
 * ```
 *
 * Other methods (`initialize`, `tools/list`, notifications) are skipped, not
 * refused. A request without a response is recorded with outcome `ok` and no
 * result (proxies that log before the answer arrives).
 */
export function adaptMcp(value: JsonObject): AdaptResult {
  const request = value.request;
  if (!isObject(request) || typeof request.method !== 'string') {
    return {
      ok: false,
      shape: 'mcp',
      code: 'schema_violation',
      reason: 'request.method must be a string',
    };
  }
  if (request.method !== 'tools/call') {
    return { ok: true, shape: 'mcp', records: [], skipped: 1 };
  }
  const params = isObject(request.params) ? request.params : undefined;
  if (!params || typeof params.name !== 'string' || params.name === '') {
    return {
      ok: false,
      shape: 'mcp',
      code: 'schema_violation',
      reason: 'request.params.name (the tool) must be a non-empty string',
    };
  }
  if (typeof value.agentId !== 'string' || value.agentId === '') {
    return {
      ok: false,
      shape: 'mcp',
      code: 'schema_violation',
      reason: 'agentId must be a non-empty string',
    };
  }
  if (typeof value.timestamp !== 'number' && typeof value.timestamp !== 'string') {
    return {
      ok: false,
      shape: 'mcp',
      code: 'schema_violation',
      reason: 'timestamp must be epoch seconds/milliseconds or ISO 8601',
    };
  }
  const response = isObject(value.response) ? value.response : undefined;
  const error = response && isObject(response.error) ? response.error : undefined;
  const result = response && isObject(response.result) ? response.result : undefined;
  let outcome: Outcome = 'ok';
  if (error) {
    outcome = looksDenied(error.message) ? 'denied' : 'error';
  } else if (result?.isError === true) {
    outcome = looksDenied(JSON.stringify(result.content ?? '').slice(0, 2000)) ? 'denied' : 'error';
  }
  const requestId =
    typeof request.id === 'string' || typeof request.id === 'number'
      ? String(request.id)
      : undefined;
  const sessionId =
    typeof value.sessionId === 'string' && value.sessionId !== '' ? value.sessionId : undefined;
  const scope = (sessionId ?? value.agentId).replace(/[^A-Za-z0-9._:-]/g, '_');
  const labels: Record<string, string> = {};
  putLabel(labels, 'mcp.method', 'tools/call');
  putLabel(labels, 'mcp.request_id', requestId);
  if (error) {
    putLabel(labels, 'mcp.error_code', error.code);
  }
  const resultValue = result ? (result.structuredContent ?? result.content) : undefined;
  const record: RawTelemetryEvent = {
    ...(requestId !== undefined && {
      eventId:
        `mcp:${scope}:${requestId.replace(/[^A-Za-z0-9._:-]/g, '_')}:${String(value.timestamp).replace(/[^A-Za-z0-9._:-]/g, '_')}`.slice(
          0,
          128,
        ),
    }),
    ...(typeof value.tenantId === 'string' && { tenantId: value.tenantId }),
    agentId: value.agentId,
    ...(sessionId !== undefined && { sessionId }),
    ...(typeof value.requesterId === 'string' &&
      value.requesterId !== '' && { requesterId: value.requesterId }),
    timestamp: value.timestamp,
    type: 'tool_call',
    action: truncate(params.name),
    ...(typeof value.server === 'string' &&
      value.server !== '' && { resource: truncate(value.server, 2048) }),
    outcome,
    ...(typeof value.durationMs === 'number' &&
      Number.isFinite(value.durationMs) &&
      value.durationMs >= 0 && { latencyMs: value.durationMs }),
    ...(isObject(params.arguments) && { parameters: params.arguments }),
    ...(resultValue !== undefined && { result: resultValue }),
    ...(error && {
      result: {
        error: {
          code: error.code,
          message: typeof error.message === 'string' ? truncate(error.message, 2000) : undefined,
        },
      },
    }),
    labels,
  };
  return { ok: true, shape: 'mcp', records: [record], skipped: 0 };
}
