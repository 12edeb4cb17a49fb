import { type RawTelemetryEvent } from '@ward/contracts';

export interface CallSeriesOptions {
  readonly tenantId: string;
  readonly agentId: string;
  /** Event time of the first window's start (ms); aligned windows keep tests exact. */
  readonly startMs: number;
  readonly windowMs: number;
  /** Calls in each successive window. */
  readonly perWindow: readonly number[];
  readonly action?: string;
  readonly sessionId?: string;
}

/**
 * Raw telemetry for one agent: `perWindow[i]` calls spread evenly through
 * window i. Event ids are derived from position so a replay sends the same ids.
 */
export function callSeries(options: CallSeriesOptions): RawTelemetryEvent[] {
  const events: RawTelemetryEvent[] = [];
  options.perWindow.forEach((count, window) => {
    for (let i = 0; i < count; i++) {
      const timestamp =
        options.startMs +
        window * options.windowMs +
        Math.floor(((i + 0.5) * options.windowMs) / Math.max(count, 1));
      events.push({
        eventId: `${options.agentId}.w${window}.c${i}`.replace(/[^A-Za-z0-9._:-]/g, '_'),
        tenantId: options.tenantId,
        agentId: options.agentId,
        ...(options.sessionId !== undefined && { sessionId: options.sessionId }),
        timestamp,
        type: 'tool_call',
        action: options.action ?? 'search_docs',
        outcome: 'ok',
        parameters: { query: `q${window}-${i}` },
      });
    }
  });
  return events;
}

export function toNdjson(records: readonly unknown[]): string {
  return `${records.map((r) => JSON.stringify(r)).join('\n')}\n`;
}
