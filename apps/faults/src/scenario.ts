import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type RawTelemetryEvent } from '@ward/contracts';

/**
 * The traffic the fault tests play: every detector storyline of
 * `deploy/demo/detectors` for each tenant, calm background agents around them,
 * malformed messages (dead letters) and exact re-sends (duplicates), in
 * event-time order. Deterministic: the same options give the same messages.
 */
export interface ScenarioOptions {
  readonly tenants: readonly string[];
  /** Calm background agents per tenant. */
  readonly backgroundAgents: number;
  /** Calls per window of each background agent. */
  readonly callsPerWindow: number;
  /** One malformed message after every `malformedEvery` records. */
  readonly malformedEvery: number;
  /** One exact re-send of an earlier record after every `duplicateEvery` records. */
  readonly duplicateEvery: number;
}

export interface ScenarioMessage {
  readonly key: string | null;
  readonly value: string;
}

export interface Scenario {
  readonly messages: readonly ScenarioMessage[];
  /** `tenant/eventId` of every valid event, each once. */
  readonly eventKeys: ReadonlySet<string>;
  readonly malformed: number;
  readonly duplicates: number;
}

const DETECTOR_DIR = join(__dirname, '../../../deploy/demo/detectors');
const WINDOW_MS = 60_000;

function storylines(): RawTelemetryEvent[][] {
  return readdirSync(DETECTOR_DIR)
    .filter((f) => f.endsWith('.jsonl'))
    .sort()
    .map((f) =>
      readFileSync(join(DETECTOR_DIR, f), 'utf8')
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) as RawTelemetryEvent),
    );
}

const timeOf = (e: RawTelemetryEvent): number =>
  typeof e.timestamp === 'number' ? e.timestamp : Date.parse(String(e.timestamp));

/** Shapes the raw intake must dead-letter, each for a different reason. */
const MALFORMED = [
  'not json at all',
  '{"agentId": "half-a-record", "action": ',
  JSON.stringify({ agentId: 'no-time', action: 'search_docs', timestamp: 'yesterday-ish' }),
  JSON.stringify({ unrelated: true }),
  JSON.stringify({ agentId: '', action: 'search_docs', timestamp: 1 }),
  JSON.stringify([1, 2, 3]),
];

export function buildScenario(options: ScenarioOptions): Scenario {
  const stories = storylines();
  const start = Math.min(...stories.flat().map(timeOf));
  const end = Math.max(...stories.flat().map(timeOf));
  const windows = Math.ceil((end - start) / WINDOW_MS) + 1;
  const events: RawTelemetryEvent[] = [];
  for (const tenantId of options.tenants) {
    for (const story of stories) {
      events.push(...story.map((e) => ({ ...e, tenantId })));
    }
    for (let a = 0; a < options.backgroundAgents; a++) {
      const agentId = `calm-${String(a).padStart(3, '0')}`;
      const tools = ['search_docs', 'read_ticket', 'summarize'];
      for (let w = 0; w < windows; w++) {
        for (let i = 0; i < options.callsPerWindow; i++) {
          events.push({
            eventId: `${agentId}.w${w}.c${i}`,
            tenantId,
            agentId,
            sessionId: `${agentId}-main`,
            timestamp: new Date(
              start + w * WINDOW_MS + Math.floor(((i + 0.5) * WINDOW_MS) / options.callsPerWindow),
            ).toISOString(),
            type: 'tool_call',
            action: tools[(a + i) % tools.length] as string,
            outcome: 'ok',
            parameters: { query: `q${i % 4}` },
          });
        }
      }
    }
  }
  // Event-time order across agents; each agent's own order is kept (stable sort).
  const ordered = events
    .map((event, index) => ({ event, index, time: timeOf(event) }))
    .sort((x, y) => x.time - y.time || x.index - y.index)
    .map((x) => x.event);

  const messages: ScenarioMessage[] = [];
  const eventKeys = new Set<string>();
  let malformed = 0;
  let duplicates = 0;
  ordered.forEach((event, i) => {
    const value = JSON.stringify(event);
    messages.push({ key: event.agentId, value });
    eventKeys.add(`${event.tenantId}/${event.eventId}`);
    if ((i + 1) % options.malformedEvery === 0) {
      messages.push({ key: null, value: MALFORMED[malformed % MALFORMED.length] as string });
      malformed += 1;
    }
    if ((i + 1) % options.duplicateEvery === 0) {
      // The record three places back, byte for byte: a producer's retry.
      const earlier = ordered[Math.max(0, i - 3)] as RawTelemetryEvent;
      messages.push({ key: earlier.agentId, value: JSON.stringify(earlier) });
      duplicates += 1;
    }
  });
  return { messages, eventKeys, malformed, duplicates };
}
