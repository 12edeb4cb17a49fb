import {
  type Incident,
  type IncidentStatus,
  type IndicatorType,
  type IntelMatch,
  MAX_INCIDENT_ALERTS,
  type MitreTechnique,
  type Severity,
  SEVERITIES,
  type ThreatAlert,
} from '@ward/contracts';
import { deterministicId } from '../ids';
import { normalizeIndicator } from './indicators';
import { type IntelIndex } from './intel';
import { buildGraph } from './graph';
import { narrate } from './narrative';

/**
 * Fusion's domain: which incident an alert belongs to, what an incident knows,
 * how bad it is and why. Pure: the service loads the candidate incidents,
 * calls these functions and stores what they return.
 */

/** What an incident keeps of each alert folded into it. */
export interface AlertDigest {
  readonly alertId: string;
  readonly detector: string;
  readonly severity: Severity;
  readonly score: number;
  readonly agentId: string;
  readonly sessionId?: string;
  readonly requesterId?: string;
  readonly observedAtMs: number;
  readonly summary: string;
  readonly techniques: readonly MitreTechnique[];
  readonly tools: readonly string[];
  readonly resources: readonly string[];
  /** Normalized indicators as `<type>:<value>`. */
  readonly indicators: readonly string[];
}

/** An incident as fusion holds it: its alerts and its lifecycle. */
export interface IncidentCore {
  readonly incidentId: string;
  readonly tenantId: string;
  status: IncidentStatus;
  version: number;
  mergedInto?: string;
  statusReason?: string;
  statusActor?: string;
  /** Oldest first, at most MAX_INCIDENT_ALERTS; `alertCount` keeps counting beyond. */
  alerts: AlertDigest[];
  alertCount: number;
  firstSeenMs: number;
  lastSeenMs: number;
}

export interface CorrelationSettings {
  /** An alert joins an incident whose span, widened by this on both sides, contains it. */
  readonly windowMs: number;
  /** Intel matches at or above this confidence escalate the incident. */
  readonly intelMinConfidence: number;
}

export const DEFAULT_CORRELATION_SETTINGS: CorrelationSettings = {
  windowMs: 30 * 60_000,
  intelMinConfidence: 50,
};

/** Indicators of an alert, normalized, as `<type>:<value>`. */
export function alertIndicators(alert: ThreatAlert): string[] {
  const out = new Set<string>();
  const add = (type: IndicatorType, values: readonly string[] | undefined) => {
    for (const v of values ?? []) {
      const n = normalizeIndicator(type, v);
      if (n !== undefined) {
        out.add(`${type}:${n}`);
      }
    }
  };
  add('ip', alert.iocs?.ips);
  add('domain', alert.iocs?.domains);
  add('url', alert.iocs?.urls);
  add('hash', alert.iocs?.hashes);
  return [...out].sort();
}

/** The keys an alert correlates on: its agent, session, requester and indicators. */
export function correlationKeys(alert: ThreatAlert): string[] {
  return [
    `agent:${alert.agentId}`,
    ...(alert.sessionId !== undefined ? [`session:${alert.sessionId}`] : []),
    ...(alert.requesterId !== undefined ? [`requester:${alert.requesterId}`] : []),
    ...alertIndicators(alert),
  ];
}

export function keysOf(core: IncidentCore): string[] {
  const keys = new Set<string>();
  for (const a of core.alerts) {
    keys.add(`agent:${a.agentId}`);
    if (a.sessionId !== undefined) {
      keys.add(`session:${a.sessionId}`);
    }
    if (a.requesterId !== undefined) {
      keys.add(`requester:${a.requesterId}`);
    }
    for (const i of a.indicators) {
      keys.add(i);
    }
  }
  return [...keys].sort();
}

export function digest(alert: ThreatAlert): AlertDigest {
  return {
    alertId: alert.alertId,
    detector: alert.detector,
    severity: alert.severity,
    score: alert.score,
    agentId: alert.agentId,
    ...(alert.sessionId !== undefined && { sessionId: alert.sessionId }),
    ...(alert.requesterId !== undefined && { requesterId: alert.requesterId }),
    observedAtMs: Date.parse(alert.observedAt),
    summary: alert.summary,
    techniques: alert.techniques,
    tools: alert.tools ?? [],
    resources: alert.resources ?? [],
    indicators: alertIndicators(alert),
  };
}

/** An open incident that shares a key with the alert, as the store found it. */
export interface Candidate {
  readonly incidentId: string;
  readonly firstSeenMs: number;
  readonly lastSeenMs: number;
}

export type Decision =
  | { readonly kind: 'open'; readonly incidentId: string }
  | { readonly kind: 'join'; readonly incidentId: string }
  | { readonly kind: 'merge'; readonly incidentId: string; readonly absorbed: readonly string[] };

export function incidentIdFor(tenantId: string, openingAlertId: string): string {
  return deterministicId('incident', tenantId, openingAlertId);
}

/**
 * Where an alert goes: a new incident when no open candidate is within the
 * window; the candidate when one is; when it links several, all merge into
 * the oldest (earliest first alert, then smallest id), so the same story
 * always ends under the same id.
 */
export function decide(
  tenantId: string,
  alert: ThreatAlert,
  candidates: readonly Candidate[],
  settings: CorrelationSettings,
): Decision {
  const at = Date.parse(alert.observedAt);
  const near = candidates
    .filter(
      (c) => at >= c.firstSeenMs - settings.windowMs && at <= c.lastSeenMs + settings.windowMs,
    )
    .sort((a, b) => a.firstSeenMs - b.firstSeenMs || a.incidentId.localeCompare(b.incidentId));
  if (near.length === 0) {
    return { kind: 'open', incidentId: incidentIdFor(tenantId, alert.alertId) };
  }
  if (near.length === 1) {
    return { kind: 'join', incidentId: near[0]!.incidentId };
  }
  return {
    kind: 'merge',
    incidentId: near[0]!.incidentId,
    absorbed: near.slice(1).map((c) => c.incidentId),
  };
}

export function newIncident(tenantId: string, incidentId: string): IncidentCore {
  return {
    incidentId,
    tenantId,
    status: 'open',
    version: 0,
    alerts: [],
    alertCount: 0,
    firstSeenMs: Number.POSITIVE_INFINITY,
    lastSeenMs: Number.NEGATIVE_INFINITY,
  };
}

/** Folds alerts in; returns how many were new (0: a replay changes nothing). */
export function fold(core: IncidentCore, alerts: readonly AlertDigest[]): number {
  const known = new Set(core.alerts.map((a) => a.alertId));
  let added = 0;
  for (const a of alerts) {
    if (known.has(a.alertId)) {
      continue;
    }
    known.add(a.alertId);
    added += 1;
    core.alertCount += 1;
    core.firstSeenMs = Math.min(core.firstSeenMs, a.observedAtMs);
    core.lastSeenMs = Math.max(core.lastSeenMs, a.observedAtMs);
    core.alerts.push(a);
  }
  if (added > 0) {
    core.alerts.sort(
      (x, y) => x.observedAtMs - y.observedAtMs || x.alertId.localeCompare(y.alertId),
    );
    if (core.alerts.length > MAX_INCIDENT_ALERTS) {
      core.alerts.splice(0, core.alerts.length - MAX_INCIDENT_ALERTS);
    }
  }
  return added;
}

/** Moves everything of `absorbed` into `survivor`; `absorbed` becomes a `merged` tombstone. */
export function merge(survivor: IncidentCore, absorbed: IncidentCore): void {
  fold(survivor, absorbed.alerts);
  // Alerts the absorbed incident counted beyond the ones it still listed.
  survivor.alertCount += Math.max(0, absorbed.alertCount - absorbed.alerts.length);
  survivor.firstSeenMs = Math.min(survivor.firstSeenMs, absorbed.firstSeenMs);
  survivor.lastSeenMs = Math.max(survivor.lastSeenMs, absorbed.lastSeenMs);
  absorbed.status = 'merged';
  absorbed.mergedInto = survivor.incidentId;
}

/** Detector families: agreement between two families is independent evidence. */
const FAMILIES: Readonly<Record<string, string>> = {
  call_rate_spike: 'volume',
  error_rate_spike: 'volume',
  session_spike: 'volume',
  anomaly_composite: 'volume',
  deny_rate_spike: 'access',
  behavior_reversal: 'access',
  session_cycling: 'access',
  new_tool: 'novelty',
  new_resource: 'novelty',
  tool_diversity_spike: 'novelty',
  resource_diversity_spike: 'novelty',
  tool_mix_divergence: 'novelty',
  behavior_drift: 'novelty',
  bytes_out_spike: 'data',
  entropy_spike: 'data',
  secret_split: 'data',
  secret_recurrence: 'data',
  sensitive_data: 'data',
  prompt_injection: 'injection',
};

export const familyOf = (detector: string): string => FAMILIES[detector] ?? detector;

export interface Assessment {
  readonly severity: Severity;
  readonly score: number;
  readonly escalations: { code: Incident['escalations'][number]['code']; detail: string }[];
  readonly intelMatches: IntelMatch[];
}

const raise = (s: Severity): Severity =>
  SEVERITIES[Math.min(SEVERITIES.length - 1, SEVERITIES.indexOf(s) + 1)]!;

/**
 * Severity starts at the worst alert's and rises one level for each reason:
 * independent detector families agree; several agents are involved
 * (coordinated or lateral movement); an indicator matches threat intel at or
 * above the confidence floor. The score combines the strongest alert of each
 * detector (1 - prod(1 - s)) plus 0.1 per escalation, at most 1.
 */
export function assess(
  core: IncidentCore,
  intel: IntelIndex | undefined,
  settings: CorrelationSettings,
): Assessment {
  let severity: Severity = 'low';
  const best = new Map<string, number>();
  for (const a of core.alerts) {
    if (SEVERITIES.indexOf(a.severity) > SEVERITIES.indexOf(severity)) {
      severity = a.severity;
    }
    best.set(a.detector, Math.max(best.get(a.detector) ?? 0, a.score));
  }
  const escalations: Assessment['escalations'] = [];
  const families = [...new Set(core.alerts.map((a) => familyOf(a.detector)))].sort();
  if (families.length >= 2) {
    const detectors = [...best.keys()].sort();
    escalations.push({
      code: 'independent_detectors',
      detail: `${families.length} independent kinds of evidence agree (${families.join(', ')}): ${detectors.join(', ')}`,
    });
  }
  const agents = [...new Set(core.alerts.map((a) => a.agentId))].sort();
  if (agents.length >= 2) {
    escalations.push({
      code: 'multiple_agents',
      detail: `${agents.length} agents involved (${agents.slice(0, 10).join(', ')}${agents.length > 10 ? ', …' : ''}): coordinated or lateral movement`,
    });
  }
  const intelMatches: IntelMatch[] = [];
  if (intel !== undefined) {
    const indicators = [...new Set(core.alerts.flatMap((a) => a.indicators))].sort();
    for (const key of indicators) {
      const colon = key.indexOf(':');
      intelMatches.push(...intel.match(key.slice(0, colon) as IndicatorType, key.slice(colon + 1)));
    }
  }
  const strong = intelMatches.filter((m) => m.confidence >= settings.intelMinConfidence);
  if (strong.length > 0) {
    const top = strong[0]!;
    escalations.push({
      code: 'threat_intel',
      detail: `${strong.length} indicator match(es) in threat intel, strongest ${top.indicator} in ${top.feed} (${top.source}, confidence ${top.confidence})`,
    });
  }
  for (let i = 0; i < escalations.length; i++) {
    severity = raise(severity);
  }
  let keep = 1;
  for (const s of best.values()) {
    keep *= 1 - Math.min(1, Math.max(0, s));
  }
  const score = Math.min(1, 1 - keep + 0.1 * escalations.length);
  return {
    severity,
    score: Math.round(score * 1e6) / 1e6,
    escalations,
    intelMatches: intelMatches.slice(0, 256),
  };
}

const iso = (ms: number) => new Date(ms).toISOString();

function uniqueTechniques(core: IncidentCore): MitreTechnique[] {
  const byId = new Map<string, MitreTechnique>();
  for (const a of core.alerts) {
    for (const t of a.techniques) {
      byId.set(t.id, t);
    }
  }
  return [...byId.values()].sort((a, b) => a.id.localeCompare(b.id)).slice(0, 64);
}

export function titleOf(core: IncidentCore, severity: Severity): string {
  const agents = [...new Set(core.alerts.map((a) => a.agentId))];
  const detectors = [...new Set(core.alerts.map((a) => a.detector))];
  const who = agents.length === 1 ? `agent ${agents[0]}` : `${agents.length} agents`;
  const what = detectors.slice(0, 3).join(', ') + (detectors.length > 3 ? ', …' : '');
  return `${severity[0]!.toUpperCase()}${severity.slice(1)}: ${what} on ${who}`.slice(0, 300);
}

/** The published form of an incident: the core, assessed, with its graph and narrative. */
export function render(
  core: IncidentCore,
  intel: IntelIndex | undefined,
  settings: CorrelationSettings,
  nowMs: number,
): Incident {
  const a = assess(core, intel, settings);
  const uniq = (values: (string | undefined)[]) =>
    [...new Set(values.filter((v): v is string => v !== undefined))].sort();
  const indicators = uniq(core.alerts.flatMap((x) => x.indicators));
  const ofType = (type: string) =>
    indicators.filter((i) => i.startsWith(`${type}:`)).map((i) => i.slice(type.length + 1));
  const iocs = {
    ...(ofType('ip').length > 0 && { ips: ofType('ip').slice(0, 64) }),
    ...(ofType('domain').length > 0 && { domains: ofType('domain').slice(0, 64) }),
    ...(ofType('url').length > 0 && { urls: ofType('url').slice(0, 64) }),
    ...(ofType('hash').length > 0 && { hashes: ofType('hash').slice(0, 64) }),
  };
  const incident: Incident = {
    schemaVersion: 1,
    incidentId: core.incidentId,
    version: core.version,
    tenantId: core.tenantId,
    status: core.status,
    ...(core.mergedInto !== undefined && { mergedInto: core.mergedInto }),
    ...(core.statusReason !== undefined && { statusReason: core.statusReason }),
    ...(core.statusActor !== undefined && { statusActor: core.statusActor }),
    title: titleOf(core, a.severity),
    severity: a.severity,
    score: a.score,
    escalations: a.escalations,
    alertIds: core.alerts.map((x) => x.alertId),
    alertCount: Math.max(core.alertCount, core.alerts.length, 1),
    detectors: uniq(core.alerts.map((x) => x.detector)).slice(0, 64),
    agents: uniq(core.alerts.map((x) => x.agentId)).slice(0, 256),
    sessions: uniq(core.alerts.map((x) => x.sessionId)).slice(0, 256),
    requesters: uniq(core.alerts.map((x) => x.requesterId)).slice(0, 256),
    iocs,
    techniques: uniqueTechniques(core),
    intelMatches: a.intelMatches,
    graph: buildGraph(core),
    narrative: '',
    firstSeen: iso(core.firstSeenMs),
    lastSeen: iso(core.lastSeenMs),
    updatedAt: iso(nowMs),
  };
  return { ...incident, narrative: narrate(incident, core) };
}

/** Status changes an analyst may make; `merged` is fusion's own and final. */
const TRANSITIONS: Readonly<Record<IncidentStatus, readonly IncidentStatus[]>> = {
  open: ['contained', 'resolved', 'false_positive'],
  contained: ['open', 'resolved', 'false_positive'],
  resolved: ['open', 'false_positive'],
  false_positive: ['open'],
  merged: [],
};

/** Applies an analyst's status change; returns why it is refused, or undefined when applied. */
export function changeStatus(
  core: IncidentCore,
  status: IncidentStatus,
  reason: string,
  actor: string,
): string | undefined {
  if (!TRANSITIONS[core.status].includes(status)) {
    return core.status === 'merged'
      ? `incident ${core.incidentId} was merged into ${core.mergedInto ?? 'another incident'}; change that one`
      : `an incident cannot go from ${core.status} to ${status}`;
  }
  core.status = status;
  core.statusReason = reason;
  core.statusActor = actor;
  return undefined;
}
