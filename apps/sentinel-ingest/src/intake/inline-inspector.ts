import { type BehavioralEvent, replaceNul, type Severity, type ThreatAlert } from '@ward/contracts';
import {
  alertContextOf,
  DETECTOR_TECHNIQUES,
  deterministicId,
  redactSensitive,
  riskScore,
  scanInjection,
  scanSensitive,
  type SensitiveFinding,
} from '@ward/detectors';

export interface InspectionSettings {
  readonly redact: boolean;
  /** Injection score at or above which an alert is raised. */
  readonly injectionMinScore: number;
}

export interface Inspection {
  readonly event: BehavioralEvent;
  readonly alerts: ThreatAlert[];
}

const CRITICAL_SECRETS = new Set([
  'private_key',
  'aws_secret_access_key',
  'azure_storage_key',
  'stripe_key',
  'gcp_api_key',
]);
const SCORE: Readonly<Record<Severity, number>> = {
  low: 0.3,
  medium: 0.6,
  high: 0.8,
  critical: 0.95,
};
const MAX_LABEL = 256;

/**
 * Runs the inline detectors on one event: secrets and personal data in its
 * parameters and result, prompt-injection markers in its result. Hits become
 * ThreatAlerts whose evidence says what and where, never the value; the event
 * is redacted (when configured) and labelled. Pure: same event, same output.
 */
export function inspectEvent(event: BehavioralEvent, settings: InspectionSettings): Inspection {
  const sensitive = [
    ...(event.parameters === undefined ? [] : scanSensitive(event.parameters, '/parameters')),
    ...(event.result === undefined ? [] : scanSensitive(event.result, '/result')),
  ];
  const injection =
    event.result === undefined
      ? { score: 0, findings: [] }
      : scanInjection(event.result, '/result');
  const raisesInjection = injection.score >= settings.injectionMinScore;
  if (sensitive.length === 0 && !raisesInjection) {
    return { event, alerts: [] };
  }

  const alerts: ThreatAlert[] = [];
  const labels = { ...event.labels };
  const label = (key: string, value: string) => {
    if (key in labels || Object.keys(labels).length < 32) {
      labels[key] = value.slice(0, MAX_LABEL);
    }
  };
  let inspected: BehavioralEvent = event;

  if (sensitive.length > 0) {
    const kinds = [...new Set(sensitive.map((f) => f.kind))];
    label('ward.sensitive', kinds.join(','));
    label('ward.redacted', String(settings.redact));
    if (settings.redact) {
      inspected = {
        ...inspected,
        ...(event.parameters !== undefined && {
          parameters: redactSensitive(
            event.parameters,
            sensitive.filter((f) => f.path.startsWith('/parameters')),
            '/parameters',
          ),
        }),
        ...(event.result !== undefined && {
          result: redactSensitive(
            event.result,
            sensitive.filter((f) => f.path.startsWith('/result')),
            '/result',
          ),
        }),
      };
    }
    alerts.push(sensitiveAlert(event, sensitive, settings.redact));
  }
  if (raisesInjection) {
    label('ward.injection', [...new Set(injection.findings.map((f) => f.marker))].join(','));
    label('ward.injection_score', String(injection.score));
    const severity: Severity = injection.score >= 0.8 ? 'high' : 'medium';
    const markers = [...new Set(injection.findings.map((f) => `${f.marker} at ${f.path}`))];
    alerts.push(
      baseAlert(event, 'prompt_injection', severity, injection.score, {
        summary: `A result returned to agent ${event.agentId} by ${event.action} carries prompt-injection markers (score ${injection.score}): ${markers.slice(0, 6).join('; ')}.`,
        metric: 'injection_score',
        value: injection.score,
        threshold: settings.injectionMinScore,
        findings: injection.findings
          .slice(0, 100)
          .map((f) => ({ kind: f.marker, category: 'injection' as const, path: f.path })),
      }),
    );
  }
  // Alerts are stored in PostgreSQL, which cannot hold NUL; the event (Kafka only) keeps its strings.
  return { event: { ...inspected, labels }, alerts: alerts.map((a) => replaceNul(a)) };
}

function sensitiveAlert(
  event: BehavioralEvent,
  findings: readonly SensitiveFinding[],
  redacted: boolean,
): ThreatAlert {
  const secrets = findings.filter((f) => f.category === 'secret');
  const severity: Severity = secrets.some((f) => CRITICAL_SECRETS.has(f.kind))
    ? 'critical'
    : secrets.length > 0
      ? 'high'
      : findings.every((f) => f.kind === 'email')
        ? 'low'
        : 'medium';
  const where = findings.slice(0, 6).map((f) => `${f.kind} at ${f.path}`);
  return baseAlert(event, 'sensitive_data', severity, SCORE[severity], {
    summary:
      `Agent ${event.agentId} handled ${secrets.length} secret(s) and ${findings.length - secrets.length} personal-data item(s) in ${event.action}: ` +
      `${where.join('; ')}${findings.length > where.length ? '; …' : ''}. ${redacted ? 'Redacted before publishing.' : 'Published unredacted (INGEST_REDACT=false).'}`,
    metric: 'sensitive_findings',
    value: findings.length,
    threshold: 1,
    findings: findings.map((f) => ({
      kind: f.kind,
      category: f.category,
      path: f.path,
      fingerprint: f.fingerprint,
    })),
  });
}

function baseAlert(
  event: BehavioralEvent,
  detector: 'sensitive_data' | 'prompt_injection',
  severity: Severity,
  score: number,
  details: {
    summary: string;
    metric: string;
    value: number;
    threshold: number;
    findings: NonNullable<ThreatAlert['findings']>;
  },
): ThreatAlert {
  const context = alertContextOf(event);
  return {
    schemaVersion: 1,
    alertId: deterministicId(event.tenantId, event.agentId, detector, event.eventId),
    tenantId: event.tenantId,
    agentId: event.agentId,
    ...(event.sessionId !== undefined && { sessionId: event.sessionId }),
    ...(context.requesterId !== undefined && { requesterId: context.requesterId }),
    detector,
    severity,
    score,
    riskScore: riskScore(score),
    summary: details.summary.slice(0, 1000),
    window: { start: event.timestamp, end: event.timestamp },
    observedAt: event.timestamp,
    evidence: {
      metric: details.metric,
      value: details.value,
      baselineMean: 0,
      baselineStddev: 0,
      baselineWindows: 0,
      zScore: 0,
      threshold: details.threshold,
      sampleEventIds: [event.eventId],
    },
    techniques: [...DETECTOR_TECHNIQUES[detector]],
    findings: details.findings,
    ...(context.iocs !== undefined && { iocs: context.iocs }),
    ...(context.tools !== undefined && { tools: context.tools }),
    ...(context.resources !== undefined && { resources: context.resources }),
  };
}
