import { BehavioralEventContract } from '@ward/contracts';
import fc from 'fast-check';
import { normalizeRawEvent, type NormalizeContext } from '../events/normalize';
import { adaptRaw } from './adapt';
import { adaptMcp } from './mcp.adapter';
import { adaptNative } from './native.adapter';
import { adaptOtlp } from './otlp.adapter';

/**
 * Properties of each message adapter, for records generated from the shape's
 * own grammar (adapt.spec.ts covers arbitrary and mutated JSON): what the
 * producer said survives into a valid BehavioralEvent, adapting is a pure
 * function of its input (same answer twice, input untouched), and what Ward
 * stamps itself cannot be forged.
 */
const ctx: NormalizeContext = {
  receivedAt: new Date('2026-06-01T00:00:00Z'),
  channel: 'kafka',
  defaultTenant: 'default',
  maxFutureSkewMs: 300_000,
};
const T_MS = Date.UTC(2026, 0, 1);

const name = fc.stringMatching(/^[A-Za-z][A-Za-z0-9._-]{0,30}$/);
const tenant = fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/);
const epochMs = fc.integer({ min: T_MS, max: T_MS + 86_400_000 });
const args = fc.dictionary(
  fc.stringMatching(/^[a-z_]{1,12}$/),
  fc.oneof(fc.string(), fc.integer()),
  {
    maxKeys: 5,
  },
);

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    Object.values(value).forEach(deepFreeze);
    Object.freeze(value);
  }
  return value;
}

function events(value: Record<string, unknown>) {
  const adapted = adaptRaw(value);
  if (!adapted.ok) {
    throw new Error(adapted.reason);
  }
  return adapted.records.map((record) => {
    const normalized = normalizeRawEvent(record, ctx);
    if (!normalized.ok) {
      throw new Error(JSON.stringify(normalized.issues));
    }
    expect(BehavioralEventContract.is(normalized.event)).toBe(true);
    return normalized.event;
  });
}

const mcpRecord = fc.record({
  agentId: name,
  tenantId: tenant,
  sessionId: name,
  tool: name,
  arguments: args,
  at: epochMs,
  id: fc.integer({ min: 1, max: 1_000_000 }),
  answer: fc.oneof(
    fc.constant({ result: { content: [{ type: 'text', text: 'done' }], isError: false } }),
    fc.constant({ error: { code: -32001, message: 'permission denied for this repo' } }),
    fc.constant({ error: { code: -32603, message: 'internal failure' } }),
  ),
});

describe('MCP tools/call adapter', () => {
  it('keeps agent, tenant, session, tool and arguments, and tells ok, denied and error apart', () => {
    fc.assert(
      fc.property(mcpRecord, (r) => {
        const value = deepFreeze({
          timestamp: r.at,
          agentId: r.agentId,
          tenantId: r.tenantId,
          sessionId: r.sessionId,
          request: {
            jsonrpc: '2.0',
            id: r.id,
            method: 'tools/call',
            params: { name: r.tool, arguments: r.arguments },
          },
          response: { jsonrpc: '2.0', id: r.id, ...r.answer },
        });
        const [event, ...rest] = events(value);
        expect(rest).toEqual([]);
        expect(event).toMatchObject({
          agentId: r.agentId,
          tenantId: r.tenantId,
          sessionId: r.sessionId,
          action: r.tool,
          type: 'tool_call',
          timestamp: new Date(r.at).toISOString(),
          outcome:
            'result' in r.answer
              ? 'ok'
              : r.answer.error.message.includes('permission')
                ? 'denied'
                : 'error',
        });
        expect(adaptMcp(value)).toEqual(adaptMcp(value));
      }),
      { numRuns: 300 },
    );
  });

  it('skips every method other than tools/call without refusing it', () => {
    fc.assert(
      fc.property(
        name.filter((m) => m !== 'tools/call'),
        (method) => {
          expect(adaptMcp({ agentId: 'a', timestamp: T_MS, request: { method } })).toEqual({
            ok: true,
            shape: 'mcp',
            records: [],
            skipped: 1,
          });
        },
      ),
    );
  });
});

const attr = (key: string, value: string) => ({ key, value: { stringValue: value } });
const toolSpan = fc.record({ tool: name, startMs: epochMs, durationMs: fc.nat({ max: 60_000 }) });

describe('OTLP/JSON GenAI adapter', () => {
  it('makes one tool_call per execute_tool span, in order, and skips spans without gen_ai', () => {
    fc.assert(
      fc.property(
        name,
        fc.array(toolSpan, { minLength: 1, maxLength: 8 }),
        fc.nat({ max: 4 }),
        (agentId, spans, plain) => {
          const ns = (ms: number) => `${BigInt(ms) * 1_000_000n}`;
          const value = deepFreeze({
            resourceSpans: [
              {
                resource: { attributes: [attr('ward.agent.id', agentId)] },
                scopeSpans: [
                  {
                    spans: [
                      ...spans.map((s, i) => ({
                        traceId: '5b8efff798038103d269b633813fc60c',
                        spanId: (1000 + i).toString(16).padStart(16, '0'),
                        name: `execute_tool ${s.tool}`,
                        startTimeUnixNano: ns(s.startMs),
                        endTimeUnixNano: ns(s.startMs + s.durationMs),
                        attributes: [
                          attr('gen_ai.operation.name', 'execute_tool'),
                          attr('gen_ai.tool.name', s.tool),
                        ],
                      })),
                      ...Array.from({ length: plain }, (_, i) => ({
                        traceId: '5b8efff798038103d269b633813fc60c',
                        spanId: (9000 + i).toString(16).padStart(16, '0'),
                        name: 'GET /health',
                        startTimeUnixNano: ns(T_MS),
                        endTimeUnixNano: ns(T_MS),
                        attributes: [attr('http.request.method', 'GET')],
                      })),
                    ],
                  },
                ],
              },
            ],
          });
          const adapted = adaptOtlp(value);
          expect(adapted).toMatchObject({ ok: true, skipped: plain });
          const out = events(value);
          expect(out.map((e) => e.action)).toEqual(spans.map((s) => s.tool));
          expect(out.every((e) => e.agentId === agentId && e.type === 'tool_call')).toBe(true);
          expect(out.map((e) => e.latencyMs)).toEqual(spans.map((s) => s.durationMs));
          expect(adaptOtlp(value)).toEqual(adapted);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('native adapter', () => {
  it('passes the producer’s fields through and never lets it stamp receivedAt, source or entropy', () => {
    fc.assert(
      fc.property(
        fc.record({ agentId: name, action: name, tenantId: tenant, at: epochMs, parameters: args }),
        fc.record({
          receivedAt: fc.constant('1999-01-01T00:00:00Z'),
          source: fc.constant({ channel: 'forged', origin: 'attacker' }),
          parameterEntropy: fc.double({ min: 0, max: 100, noNaN: true }),
        }),
        (r, forged) => {
          const value = deepFreeze({
            agentId: r.agentId,
            action: r.action,
            tenantId: r.tenantId,
            timestamp: r.at,
            parameters: r.parameters,
            ...forged,
          });
          const adapted = adaptNative(value);
          expect(adapted.ok && adapted.records[0]).not.toHaveProperty('receivedAt');
          const [event] = events(value);
          expect(event).toMatchObject({
            agentId: r.agentId,
            action: r.action,
            tenantId: r.tenantId,
            receivedAt: ctx.receivedAt.toISOString(),
            source: { channel: 'kafka' },
          });
          expect(event!.parameters).toEqual(r.parameters);
        },
      ),
      { numRuns: 300 },
    );
  });
});
