import { type BehavioralEvent, type ThreatAlert } from '@ward/contracts';
import {
  type CallRateSpike,
  DETECTOR_TECHNIQUES,
  deterministicId,
  riskScore,
  severityForScore,
  zToScore,
} from '@ward/detectors';

export const CALL_RATE_DETECTOR = 'call_rate_spike';

/**
 * Turns a spike verdict into a ThreatAlert. Every field derives from the input
 * (no wall clock), so replaying the same events yields byte-identical alerts.
 */
export function callRateAlert(event: BehavioralEvent, spike: CallRateSpike): ThreatAlert {
  const score = zToScore(spike.zScore, spike.sigma);
  const windowStart = new Date(spike.windowStart).toISOString();
  const seconds = (spike.windowEnd - spike.windowStart) / 1000;
  return {
    schemaVersion: 1,
    alertId: deterministicId(event.tenantId, event.agentId, CALL_RATE_DETECTOR, spike.windowStart),
    tenantId: event.tenantId,
    agentId: event.agentId,
    ...(event.sessionId !== undefined && { sessionId: event.sessionId }),
    detector: CALL_RATE_DETECTOR,
    severity: severityForScore(score),
    score: round(score, 4),
    riskScore: riskScore(score),
    summary:
      `Agent ${event.agentId} made ${spike.count} calls in the ${seconds} s window from ${windowStart}; ` +
      `its baseline is ${round(spike.baselineMean, 2)} ± ${round(spike.baselineStddev, 2)} ` +
      `(z = ${round(spike.zScore, 2)}, threshold ${spike.sigma}).`,
    window: { start: windowStart, end: new Date(spike.windowEnd).toISOString() },
    observedAt: new Date(spike.observedAt).toISOString(),
    evidence: {
      metric: 'call_count',
      value: spike.count,
      baselineMean: round(spike.baselineMean, 6),
      baselineStddev: round(spike.baselineStddev, 6),
      baselineWindows: spike.baselineWindows,
      zScore: round(spike.zScore, 6),
      threshold: spike.sigma,
      sampleEventIds: [...spike.sampleEventIds],
    },
    techniques: [...DETECTOR_TECHNIQUES.call_rate_spike],
  };
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
