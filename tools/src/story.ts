import { type RawTelemetryEvent } from '@ward/contracts';

/**
 * Builds one agent's telemetry for the generated storyline files
 * (deploy/demo/detectors, deploy/demo/scenarios): calls placed by window and
 * offset from a fixed start, so the files never change.
 */
export const STORY_WINDOW_MS = 60_000;

export type Over = Partial<Omit<RawTelemetryEvent, 'agentId' | 'timestamp' | 'eventId'>>;

export class Story {
  readonly events: RawTelemetryEvent[] = [];
  private seq = 0;

  constructor(
    readonly agentId: string,
    private readonly startMs: number,
    private readonly base: Over = {},
  ) {}

  /** One event at `offsetMs` into window `window`. */
  at(window: number, offsetMs: number, over: Over = {}): this {
    this.seq += 1;
    this.events.push({
      eventId: `${this.agentId}-${String(this.seq).padStart(4, '0')}`,
      agentId: this.agentId,
      timestamp: new Date(this.startMs + window * STORY_WINDOW_MS + offsetMs).toISOString(),
      type: 'tool_call',
      action: 'search_docs',
      outcome: 'ok',
      sessionId: `${this.agentId}-main`,
      parameters: { query: `q${this.seq % 7}` },
      ...this.base,
      ...over,
    });
    return this;
  }

  /** `count` calls spread evenly over window `window`; `over` may depend on the call's index. */
  calls(window: number, count: number, over: Over | ((i: number) => Over) = {}): this {
    for (let i = 0; i < count; i++) {
      const o = typeof over === 'function' ? over(i) : over;
      this.at(window, Math.floor(((i + 0.5) * STORY_WINDOW_MS) / count), o);
    }
    return this;
  }

  /** The same `count` calls in each of windows `from` .. `to - 1`. */
  steady(from: number, to: number, count: number, over: Over | ((i: number) => Over) = {}): this {
    for (let w = from; w < to; w++) {
      this.calls(w, count, over);
    }
    return this;
  }

  /** One quiet call well past the window's end and its allowed lateness: closes `window`. */
  close(window: number, over: Over = {}): this {
    return this.at(window + 1, 30_000, over);
  }
}

/** The stories' events in event-time order (ties by event id). */
export function byEventTime(stories: readonly Story[]): RawTelemetryEvent[] {
  return stories
    .flatMap((s) => s.events)
    .sort(
      (a, b) =>
        String(a.timestamp).localeCompare(String(b.timestamp)) ||
        String(a.eventId).localeCompare(String(b.eventId)),
    );
}

export function toJsonl(events: readonly RawTelemetryEvent[]): string {
  return events.map((e) => JSON.stringify(e)).join('\n') + '\n';
}
