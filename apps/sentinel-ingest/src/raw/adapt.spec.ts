import { BehavioralEventContract } from '@ward/contracts';
import fc from 'fast-check';
import { normalizeRawEvent, type NormalizeContext } from '../events/normalize';
import { adaptRaw, detectShape } from './adapt';
import { mcpCall, otlpExport } from './fixtures';

const ctx: NormalizeContext = {
  receivedAt: new Date('2026-06-01T00:00:00Z'),
  channel: 'kafka',
  defaultTenant: 'default',
  maxFutureSkewMs: 300_000,
};

function normalizeAll(value: unknown) {
  const adapted = adaptRaw(value);
  if (!adapted.ok) {
    throw new Error(adapted.reason);
  }
  return adapted.records.map((r) => {
    const result = normalizeRawEvent(r, ctx);
    if (!result.ok) {
      throw new Error(JSON.stringify(result.issues));
    }
    return result.event;
  });
}

describe('detectShape', () => {
  it('tells the three shapes apart and refuses the rest', () => {
    expect(detectShape(otlpExport())).toBe('otlp');
    expect(detectShape(mcpCall())).toBe('mcp');
    expect(detectShape({ agentId: 'a', action: 'x', timestamp: 1 })).toBe('native');
    expect(detectShape({ hello: 'world' })).toBeUndefined();
    expect(detectShape([otlpExport()])).toBeUndefined();
  });
});

describe('OTLP/JSON adapter', () => {
  it('turns GenAI spans into events and skips the others', () => {
    const adapted = adaptRaw(otlpExport());
    expect(adapted).toMatchObject({ ok: true, shape: 'otlp', skipped: 1 });
    const [tool, chat] = normalizeAll(otlpExport());
    expect(tool).toMatchObject({
      eventId: 'otel:5b8efff798038103d269b633813fc60c:eee19b7ec3c1b174',
      agentId: 'travel-agent',
      sessionId: 'conv-42',
      requesterId: 'alice',
      type: 'tool_call',
      action: 'book_flight',
      outcome: 'ok',
      latencyMs: 250,
      timestamp: '2026-01-01T00:00:00.000Z',
      parameters: { from: 'AMS', to: 'SFO' },
      labels: { 'otel.span_id': 'eee19b7ec3c1b174', 'service.name': 'travel-service' },
    });
    expect(chat).toMatchObject({
      type: 'llm_completion',
      action: 'gen_ai.chat gpt-4o',
      outcome: 'denied',
      latencyMs: 1500,
      labels: { 'gen_ai.system': 'openai', 'gen_ai.usage.input_tokens': '1200' },
    });
  });

  it('gives a reason when no span is usable', () => {
    const noGenAi = {
      resourceSpans: [{ scopeSpans: [{ spans: [{ name: 'GET /', startTimeUnixNano: '1' }] }] }],
    };
    expect(adaptRaw(noGenAi)).toMatchObject({ ok: false, code: 'schema_violation' });
    expect(adaptRaw({ resourceSpans: 'nope' })).toMatchObject({ ok: false });
  });
});

describe('MCP adapter', () => {
  it('maps a successful tools/call', () => {
    const [event] = normalizeAll(mcpCall());
    expect(event).toMatchObject({
      agentId: 'support-bot',
      sessionId: 'sess-9',
      type: 'tool_call',
      action: 'create_issue',
      resource: 'github-mcp',
      outcome: 'ok',
      latencyMs: 84,
      parameters: { repo: 'acme/web', title: 'bug' },
      result: [{ type: 'text', text: 'created #12' }],
      labels: { 'mcp.request_id': '7' },
    });
    expect(event!.eventId).toBe(normalizeAll(mcpCall())[0]!.eventId);
  });

  it('tells a denial from an error', () => {
    const denied = mcpCall({
      response: {
        jsonrpc: '2.0',
        id: 7,
        error: { code: -32001, message: 'Permission denied for repo' },
      },
    });
    const failed = mcpCall({
      response: {
        jsonrpc: '2.0',
        id: 7,
        result: { content: [{ type: 'text', text: 'timeout' }], isError: true },
      },
    });
    expect(normalizeAll(denied)[0]!.outcome).toBe('denied');
    expect(normalizeAll(failed)[0]!.outcome).toBe('error');
  });

  it('skips other methods and refuses records without an agent or tool', () => {
    expect(adaptRaw(mcpCall({ request: { jsonrpc: '2.0', id: 1, method: 'tools/list' } }))).toEqual(
      {
        ok: true,
        shape: 'mcp',
        records: [],
        skipped: 1,
      },
    );
    expect(adaptRaw(mcpCall({ agentId: undefined }))).toMatchObject({
      ok: false,
      reason: expect.stringContaining('agentId') as string,
    });
    expect(
      adaptRaw(mcpCall({ request: { jsonrpc: '2.0', id: 1, method: 'tools/call', params: {} } })),
    ).toMatchObject({ ok: false });
  });
});

describe('native adapter', () => {
  it('re-stamps a BehavioralEvent replayed from elsewhere', () => {
    const [event] = normalizeAll({
      schemaVersion: 1,
      eventId: 'e1',
      tenantId: 't',
      agentId: 'a',
      timestamp: '2026-01-01T00:00:00.000Z',
      receivedAt: '1999-01-01T00:00:00.000Z',
      source: { channel: 'http' },
      type: 'tool_call',
      action: 'x',
      outcome: 'ok',
      parameterEntropy: 99,
      labels: {},
    });
    expect(event).toMatchObject({
      eventId: 'e1',
      receivedAt: '2026-06-01T00:00:00.000Z',
      source: { channel: 'kafka' },
      parameterEntropy: 0,
    });
  });
});

describe('properties: any input gives valid events or a reason, never an exception', () => {
  const check = (value: unknown) => {
    const adapted = adaptRaw(value);
    if (!adapted.ok) {
      expect(adapted.reason.length).toBeGreaterThan(0);
      return;
    }
    for (const record of adapted.records) {
      const result = normalizeRawEvent(record, ctx);
      if (result.ok) {
        expect(BehavioralEventContract.is(result.event)).toBe(true);
      } else {
        expect(result.issues.length).toBeGreaterThan(0);
      }
    }
  };

  it('holds for arbitrary JSON', () => {
    fc.assert(fc.property(fc.jsonValue(), check), { numRuns: 500 });
  });

  it('holds for mutated OTLP, MCP and native records', () => {
    const mutate = (base: Record<string, unknown>) =>
      fc
        .tuple(fc.constantFrom(...Object.keys(base)), fc.jsonValue())
        .map(([key, value]) => ({ ...base, [key]: value }));
    fc.assert(
      fc.property(
        fc.oneof(
          mutate(otlpExport() as unknown as Record<string, unknown>),
          mutate(mcpCall()),
          mutate({ agentId: 'a', action: 'x', timestamp: 1767225600, parameters: {} }),
          mutate({
            ...mcpCall(),
            request: { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'x' } },
          }),
        ),
        check,
      ),
      { numRuns: 500 },
    );
  });

  it('holds for hostile records', () => {
    for (const value of [
      JSON.parse(
        '{"__proto__":{"polluted":true},"agentId":"a","action":"x","timestamp":1767225600}',
      ) as unknown,
      {
        resourceSpans: Array.from({ length: 3 }, () => ({
          scopeSpans: [{ spans: Array.from({ length: 4000 }, () => ({})) }],
        })),
      },
      {
        request: { method: 'tools/call', params: { name: 'x'.repeat(100_000) } },
        agentId: 'a',
        timestamp: 1,
      },
      { agentId: 'a', action: 'x', timestamp: 'not a time' },
    ]) {
      check(value);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
