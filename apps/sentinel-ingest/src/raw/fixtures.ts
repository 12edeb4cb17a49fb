/** Realistic raw records of each accepted shape, shared by unit and integration tests. */
export const START_NS = '1767225600000000000'; // 2026-01-01T00:00:00Z
const attr = (key: string, value: string | number | boolean) => ({
  key,
  value:
    typeof value === 'string'
      ? { stringValue: value }
      : typeof value === 'boolean'
        ? { boolValue: value }
        : Number.isInteger(value)
          ? { intValue: String(value) }
          : { doubleValue: value },
});

export function otlpExport(agentId = 'travel-agent') {
  return {
    resourceSpans: [
      {
        resource: {
          attributes: [attr('service.name', 'travel-service'), attr('ward.agent.id', agentId)],
        },
        scopeSpans: [
          {
            scope: { name: 'opentelemetry.instrumentation.genai', version: '0.1.0' },
            spans: [
              {
                traceId: '5b8efff798038103d269b633813fc60c',
                spanId: 'eee19b7ec3c1b174',
                name: 'execute_tool book_flight',
                kind: 1,
                startTimeUnixNano: START_NS,
                endTimeUnixNano: '1767225600250000000',
                attributes: [
                  attr('gen_ai.operation.name', 'execute_tool'),
                  attr('gen_ai.tool.name', 'book_flight'),
                  attr('gen_ai.tool.call.id', 'call_1'),
                  attr('gen_ai.tool.call.arguments', '{"from":"AMS","to":"SFO"}'),
                  attr('gen_ai.conversation.id', 'conv-42'),
                  attr('enduser.id', 'alice'),
                ],
                status: { code: 1 },
              },
              {
                traceId: '5b8efff798038103d269b633813fc60c',
                spanId: 'eee19b7ec3c1b175',
                name: 'chat gpt-4o',
                kind: 3,
                startTimeUnixNano: '1767225601000000000',
                endTimeUnixNano: '1767225602500000000',
                attributes: [
                  attr('gen_ai.operation.name', 'chat'),
                  attr('gen_ai.system', 'openai'),
                  attr('gen_ai.request.model', 'gpt-4o'),
                  attr('gen_ai.usage.input_tokens', 1200),
                  attr('gen_ai.usage.output_tokens', 300),
                  attr('error.type', 'permission_denied'),
                ],
                status: { code: 2, message: '403 forbidden' },
              },
              {
                traceId: '5b8efff798038103d269b633813fc60c',
                spanId: 'eee19b7ec3c1b176',
                name: 'GET /health',
                startTimeUnixNano: START_NS,
                endTimeUnixNano: START_NS,
                attributes: [attr('http.request.method', 'GET')],
              },
            ],
          },
        ],
      },
    ],
  };
}

export function mcpCall(overrides: Record<string, unknown> = {}) {
  return {
    timestamp: '2026-01-01T00:00:03.000Z',
    agentId: 'support-bot',
    sessionId: 'sess-9',
    server: 'github-mcp',
    durationMs: 84,
    request: {
      jsonrpc: '2.0',
      id: 7,
      method: 'tools/call',
      params: { name: 'create_issue', arguments: { repo: 'acme/web', title: 'bug' } },
    },
    response: {
      jsonrpc: '2.0',
      id: 7,
      result: { content: [{ type: 'text', text: 'created #12' }], isError: false },
    },
    ...overrides,
  };
}
