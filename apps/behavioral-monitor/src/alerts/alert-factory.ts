import { type AgentControl, replaceNul, type ThreatAlert, type Tier } from '@ward/contracts';
import {
  type AlertContext,
  DETECTOR_TECHNIQUES,
  deterministicId,
  type Finding,
  riskScore,
  severityForScore,
  type TierChange,
} from '@ward/detectors';

/**
 * Turns a detector finding into a ThreatAlert. Every field derives from the
 * input (no wall clock), so replaying the same events yields byte-identical
 * alerts with the same ids. `context` is the requester, tool, resource and
 * indicators of the event that completed the evidence, when it is part of it.
 * Strings from telemetry carry no NUL once here (replaceNul): the alert is
 * stored in PostgreSQL, and so is everything built from it downstream.
 */
export function alertFromFinding(
  tenantId: string,
  agentId: string,
  finding: Finding,
  tierChange?: TierChange,
  context: AlertContext = {},
): ThreatAlert {
  const severity = severityForScore(finding.score);
  const score = round(Math.min(1, Math.max(0, finding.score)), 4);
  return replaceNul<ThreatAlert>({
    schemaVersion: 1,
    alertId: deterministicId(
      tenantId,
      agentId,
      finding.detector,
      finding.metric,
      finding.windowStart,
      severity,
    ),
    tenantId,
    agentId,
    ...(finding.sessionId !== undefined && { sessionId: finding.sessionId }),
    ...(context.requesterId !== undefined && { requesterId: context.requesterId }),
    detector: finding.detector,
    severity,
    score,
    riskScore: riskScore(score),
    summary: `Agent ${agentId.slice(0, 200)}: ${finding.description}.`.slice(0, 1000),
    window: {
      start: new Date(finding.windowStart).toISOString(),
      end: new Date(finding.windowEnd).toISOString(),
    },
    observedAt: new Date(finding.observedAt).toISOString(),
    evidence: {
      metric: finding.metric.slice(0, 64),
      value: round(finding.value, 6),
      baselineMean: round(finding.baselineMean, 6),
      baselineStddev: round(Math.max(0, finding.baselineStddev), 6),
      baselineWindows: finding.baselineWindows,
      zScore: round(finding.zScore, 6),
      threshold: finding.threshold,
      sampleEventIds: finding.sampleEventIds.slice(-20),
    },
    techniques: [...DETECTOR_TECHNIQUES[finding.detector]],
    ...(context.iocs !== undefined && { iocs: context.iocs }),
    ...(context.tools !== undefined && { tools: context.tools }),
    ...(context.resources !== undefined && { resources: context.resources }),
    ...(tierChange !== undefined && {
      tierChange: {
        from: tierChange.from as Tier,
        to: tierChange.to as Tier,
        reason: tierChange.reason.slice(0, 500),
      },
    }),
  });
}

export function agentControl(input: {
  tenantId: string;
  agentId: string;
  behaviorTier: number;
  configuredTier: number | undefined;
  previousTier: number;
  source: AgentControl['source'];
  reason: string;
  atMs: number;
  actor?: string;
  alertId?: string;
}): AgentControl {
  const tier = Math.max(input.behaviorTier, input.configuredTier ?? 1) as Tier;
  return replaceNul<AgentControl>({
    schemaVersion: 1,
    tenantId: input.tenantId,
    agentId: input.agentId,
    tier,
    behaviorTier: input.behaviorTier as Tier,
    ...(input.configuredTier !== undefined && { configuredTier: input.configuredTier as Tier }),
    quarantined: tier === 4,
    previousTier: input.previousTier as Tier,
    source: input.source,
    ...(input.actor !== undefined && { actor: input.actor.slice(0, 200) }),
    reason: input.reason.slice(0, 500),
    ...(input.alertId !== undefined && { alertId: input.alertId }),
    changedAt: new Date(input.atMs).toISOString(),
  });
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
