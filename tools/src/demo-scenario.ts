import { type RawTelemetryEvent } from '@ward/contracts';
import { callSeries } from '@ward/testing';

export interface DemoScenario {
  readonly tenantId: string;
  readonly runaway: string;
  readonly calm: readonly string[];
  readonly events: RawTelemetryEvent[];
  readonly burstWindowStart: number;
  readonly windowMs: number;
}

const NORMAL = [10, 12, 11, 13, 12];

/**
 * A few normal windows for several agents, then a burst from one, all in event
 * time ending shortly before `nowMs`, so the demo takes seconds, not minutes.
 * Each run is its own tenant, so a second run is new telemetry with a fresh
 * baseline rather than late events for agents that already moved on.
 */
export function runawayScenario(nowMs: number, windowMs: number): DemoScenario {
  const windows = NORMAL.length + 1;
  const start = Math.floor(nowMs / windowMs) * windowMs - (windows + 1) * windowMs;
  const run = Math.floor(nowMs / 1000).toString(36);
  const tenantId = `demo-${run}`;
  const calm = ['support-bot', 'code-reviewer', 'travel-planner', 'report-writer'];
  const runaway = 'procurement-agent';
  const events = [
    ...calm.flatMap((agentId, i) =>
      callSeries({
        tenantId,
        agentId,
        startMs: start,
        windowMs,
        perWindow: [...NORMAL.map((n) => n + i), 11 + i],
        action: 'search_docs',
      }),
    ),
    ...callSeries({
      tenantId,
      agentId: runaway,
      startMs: start,
      windowMs,
      perWindow: [...NORMAL, 90],
      action: 'create_purchase_order',
    }),
  ]
    .map((e) => ({ ...e, eventId: `${run}.${e.eventId ?? ''}` }))
    .sort((a, b) => Number(a.timestamp) - Number(b.timestamp));
  return {
    tenantId,
    runaway,
    calm,
    events,
    burstWindowStart: start + NORMAL.length * windowMs,
    windowMs,
  };
}
