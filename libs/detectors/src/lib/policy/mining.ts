import {
  type IndicatorType,
  MAX_RULE_VALUES,
  type PolicyKind,
  type PolicyRule,
  type ResponseAction,
  type Severity,
  SEVERITIES,
  type ThreatAlert,
} from '@ward/contracts';
import { normalizeIndicator } from '../fusion/indicators';
import { deterministicId } from '../ids';
import { injectionPatternSources } from '../sensitive/injection';

/** Where a piece of evidence came from: which service saw it. */
export type EvidenceSource = 'monitor' | 'ingest' | 'response';

/**
 * One piece of evidence for one pattern: an alert (or a response action) seen
 * through the lens of one policy kind. The pattern is `(tenant, kind,
 * subject)`; its policy id is derived from that, so evidence always finds the
 * same policy.
 */
export interface PatternObservation {
  readonly tenantId: string;
  readonly policyId: string;
  readonly kind: PolicyKind;
  /** `agent:<id>`, `requester:<id>` or `<indicator type>:<value>`. */
  readonly subject: string;
  /** Idempotency key of the evidence inside its pattern (alert id, run/step). */
  readonly sourceId: string;
  readonly source: EvidenceSource;
  /** Counts towards the frequency (alerts, blocks) or only corroborates (tier changes). */
  readonly occurrence: boolean;
  readonly detector: string;
  readonly severity: Severity;
  readonly observedAtMs: number;
  readonly alertId?: string;
  readonly incidentId?: string;
  readonly runId?: string;
  readonly facts: ObservationFacts;
}

/** What a template needs to know of the evidence to write its rule. */
export interface ObservationFacts {
  readonly agents?: readonly string[];
  readonly tools?: readonly string[];
  readonly resources?: readonly string[];
  readonly requesters?: readonly string[];
  readonly indicators?: readonly { type: IndicatorType; value: string }[];
  readonly injectionMarkers?: readonly string[];
  /** Calls per minute a rate ceiling should allow (rate_ceiling). */
  readonly callsPerMinuteCeiling?: number;
}

/** Detector → the policy kind whose pattern its alerts feed. */
export const DETECTOR_POLICY_KIND: Readonly<Record<string, PolicyKind>> = {
  prompt_injection: 'injection_block',
  session_cycling: 'conditioning_block',
  session_spike: 'conditioning_block',
  behavior_drift: 'drift_escalation',
  tool_mix_divergence: 'drift_escalation',
  anomaly_composite: 'drift_escalation',
  entropy_spike: 'drift_escalation',
  error_rate_spike: 'drift_escalation',
  new_resource: 'resource_restriction',
  resource_diversity_spike: 'resource_restriction',
  sensitive_data: 'resource_restriction',
  secret_split: 'resource_restriction',
  secret_recurrence: 'resource_restriction',
  bytes_out_spike: 'resource_restriction',
  call_rate_spike: 'rate_ceiling',
  new_tool: 'tool_deny',
  tool_diversity_spike: 'tool_deny',
  deny_rate_spike: 'tool_deny',
  behavior_reversal: 'behavior_reversal',
};

/** Detectors that sentinel-ingest runs inline; every other alert comes from the monitor. */
const INGEST_DETECTORS = new Set(['sensitive_data', 'prompt_injection']);

/** Sigmas above the baseline a rate ceiling allows. */
const CEILING_SIGMAS = 3;

export const policyIdOf = (tenantId: string, kind: PolicyKind, subject: string) =>
  deterministicId('policy', tenantId, kind, subject);

const INDICATOR_FIELDS = [
  ['ip', 'ips'],
  ['domain', 'domains'],
  ['url', 'urls'],
  ['hash', 'hashes'],
] as const;

function indicatorsOf(iocs: ThreatAlert['iocs']): { type: IndicatorType; value: string }[] {
  const out: { type: IndicatorType; value: string }[] = [];
  for (const [type, field] of INDICATOR_FIELDS) {
    for (const raw of iocs?.[field] ?? []) {
      const value = normalizeIndicator(type, raw);
      if (value !== undefined && !out.some((o) => o.type === type && o.value === value)) {
        out.push({ type, value });
      }
    }
  }
  return out;
}

/** The rate ceiling an alert's baseline suggests, in calls per minute (call_rate_spike only). */
function ceilingOf(alert: ThreatAlert): number | undefined {
  if (alert.evidence.metric !== 'calls') {
    return undefined;
  }
  const windowMs = Date.parse(alert.window.end) - Date.parse(alert.window.start);
  if (!(windowMs > 0)) {
    return undefined;
  }
  const perWindow =
    alert.evidence.baselineMean + CEILING_SIGMAS * Math.max(alert.evidence.baselineStddev, 1);
  return Math.max(1, Math.ceil((perWindow * 60_000) / windowMs));
}

/** The patterns one alert is evidence for (none for policy-violation alerts: no loops). */
export function observationsFromAlert(alert: ThreatAlert): PatternObservation[] {
  const base = {
    tenantId: alert.tenantId,
    sourceId: `alert:${alert.alertId}`,
    source: (INGEST_DETECTORS.has(alert.detector) ? 'ingest' : 'monitor') as EvidenceSource,
    occurrence: true,
    detector: alert.detector,
    severity: alert.severity,
    observedAtMs: Date.parse(alert.observedAt),
    alertId: alert.alertId,
  };
  const out: PatternObservation[] = [];
  const add = (kind: PolicyKind, subject: string, facts: ObservationFacts) =>
    out.push({
      ...base,
      kind,
      subject,
      policyId: policyIdOf(alert.tenantId, kind, subject),
      facts,
    });

  const kind = DETECTOR_POLICY_KIND[alert.detector];
  const agentFacts = {
    agents: [alert.agentId],
    tools: alert.tools ?? [],
    resources: alert.resources ?? [],
    requesters: alert.requesterId !== undefined ? [alert.requesterId] : [],
  };
  if (kind !== undefined) {
    const facts: ObservationFacts = {
      ...agentFacts,
      ...(kind === 'injection_block' && {
        injectionMarkers: [
          ...new Set(
            (alert.findings ?? []).filter((f) => f.category === 'injection').map((f) => f.kind),
          ),
        ],
      }),
      ...(kind === 'rate_ceiling' && { callsPerMinuteCeiling: ceilingOf(alert) }),
    };
    add(kind, `agent:${alert.agentId}`, facts);
  }
  if (alert.detector === 'policy_violation') {
    return out;
  }
  if (alert.requesterId !== undefined) {
    add('requester_validation', `requester:${alert.requesterId}`, {
      requesters: [alert.requesterId],
      agents: [alert.agentId],
    });
  }
  for (const indicator of indicatorsOf(alert.iocs)) {
    add('indicator_block', `${indicator.type}:${indicator.value}`, {
      indicators: [indicator],
      agents: [alert.agentId],
    });
  }
  return out;
}

const listOf = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];

/** Agent-control actions that corroborate every pattern of the agents they acted on. */
const AGENT_ACTIONS = new Set(['set_tier', 'quarantine', 'rate_limit', 'revoke_credentials']);

/**
 * What a finished response step says: a block of indicators is an occurrence
 * of each indicator's pattern; a tier change or quarantine corroborates the
 * agent's patterns (`corroborates` lists the agents; the caller finds their
 * patterns). Only real, successful steps count.
 */
export function observationsFromAction(action: ResponseAction): {
  observations: PatternObservation[];
  corroborates: {
    agentId: string;
    observation: Omit<PatternObservation, 'policyId' | 'kind' | 'subject'>;
  }[];
} {
  const empty = { observations: [], corroborates: [] };
  if (action.status !== 'succeeded' || action.dryRun) {
    return empty;
  }
  const base = {
    tenantId: action.tenantId,
    sourceId: `run:${action.runId}:${action.stepId}`,
    source: 'response' as const,
    detector: `response:${action.action}`,
    severity: 'high' as const,
    observedAtMs: Date.parse(action.at),
    incidentId: action.incidentId,
    runId: action.runId,
  };
  if (action.action === 'block_indicator') {
    const result = (action.result ?? {}) as { blocked?: Record<string, unknown> };
    const blocked = result.blocked ?? {};
    const indicators = indicatorsOf({
      ips: listOf(blocked.ips),
      domains: listOf(blocked.domains),
      urls: listOf(blocked.urls),
      hashes: listOf(blocked.hashes),
    });
    return {
      observations: indicators.map((indicator) => {
        const subject = `${indicator.type}:${indicator.value}`;
        return {
          ...base,
          occurrence: true,
          kind: 'indicator_block',
          subject,
          policyId: policyIdOf(action.tenantId, 'indicator_block', subject),
          facts: { indicators: [indicator] },
        };
      }),
      corroborates: [],
    };
  }
  if (AGENT_ACTIONS.has(action.action)) {
    const params = (action.parameters ?? {}) as Record<string, unknown>;
    const agents = [
      ...listOf(params.agents),
      ...(typeof params.agentId === 'string' ? [params.agentId] : []),
    ];
    return {
      observations: [],
      corroborates: [...new Set(agents)].map((agentId) => ({
        agentId,
        observation: { ...base, occurrence: false, facts: {} },
      })),
    };
  }
  return empty;
}

// ------------------------------------------------------------------ scoring

/** 0.3 at one occurrence, 0.6 at three, 0.9 at ten; smooth, rising towards 1. */
export function frequencyScore(occurrences: number): number {
  if (occurrences <= 0) {
    return 0;
  }
  return 1 - 0.7 * Math.exp(-0.3151 * Math.pow(occurrences - 1, 0.8286));
}

export const SEVERITY_BONUS: Readonly<Record<Severity, number>> = {
  low: 0,
  medium: 0.1,
  high: 0.2,
  critical: 0.3,
};

export const CORROBORATION_BONUS = 0.2;

export interface ConfidenceInput {
  readonly occurrences: number;
  readonly maxSeverity: Severity;
  readonly detectors: readonly string[];
  readonly sources: readonly EvidenceSource[];
  /** Distinct incidents the evidence belongs to, and how many were marked false_positive. */
  readonly incidents: number;
  readonly falsePositives: number;
}

export interface ConfidenceResult {
  readonly confidence: number;
  readonly suppressed: boolean;
  readonly factors: {
    readonly frequency: number;
    readonly severity: number;
    readonly corroboration: number;
    readonly falsePositivePenalty: number;
  };
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/**
 * Frequency, plus severity (critical +0.3, high +0.2, medium +0.1), plus
 * corroboration by independent detectors or sources (+0.2), capped at 1;
 * each false-positive verdict halves it, and a pattern whose incidents were
 * mostly false positives is suppressed.
 */
export function confidenceOf(input: ConfidenceInput): ConfidenceResult {
  const frequency = frequencyScore(input.occurrences);
  const severity = SEVERITY_BONUS[input.maxSeverity];
  const detectors = new Set(input.detectors.filter((d) => !d.startsWith('response:')));
  const corroborated = detectors.size >= 2 || new Set(input.sources).size >= 2;
  const corroboration = corroborated ? CORROBORATION_BONUS : 0;
  const falsePositivePenalty = Math.pow(0.5, input.falsePositives);
  const raw = input.occurrences > 0 ? Math.min(1, frequency + severity + corroboration) : 0;
  return {
    confidence: round3(raw * falsePositivePenalty),
    suppressed:
      input.falsePositives > 0 && input.falsePositives * 2 >= Math.max(1, input.incidents),
    factors: {
      frequency: round3(frequency),
      severity,
      corroboration,
      falsePositivePenalty: round3(falsePositivePenalty),
    },
  };
}

export const maxSeverity = (severities: Iterable<Severity>): Severity => {
  let best = 0;
  for (const s of severities) {
    best = Math.max(best, SEVERITIES.indexOf(s));
  }
  return SEVERITIES[best]!;
};

// ---------------------------------------------------------------- templates

export interface PolicyDraft {
  readonly title: string;
  readonly rule: PolicyRule;
  readonly scope: { agents: string[]; tools: string[]; resources: string[] };
}

/** Distinct values, newest evidence first, at most MAX_RULE_VALUES. */
function union(
  observations: readonly PatternObservation[],
  pick: (f: ObservationFacts) => readonly string[] | undefined,
): string[] {
  const out: string[] = [];
  const sorted = [...observations].sort((a, b) => b.observedAtMs - a.observedAtMs);
  for (const o of sorted) {
    for (const v of pick(o.facts) ?? []) {
      if (!out.includes(v)) {
        out.push(v);
        if (out.length === MAX_RULE_VALUES) {
          return out;
        }
      }
    }
  }
  return out.sort();
}

const quote = (xs: readonly string[], n = 3) =>
  xs.slice(0, n).join(', ') + (xs.length > n ? ` and ${xs.length - n} more` : '');

/**
 * The template of each kind: from the evidence of a pattern to the rule an
 * enforcement point applies (JSON form; rego.ts renders the same rule as Rego).
 * Undefined when the evidence does not yet say enough to write a rule.
 */
export function draftPolicy(
  kind: PolicyKind,
  subject: string,
  observations: readonly PatternObservation[],
): PolicyDraft | undefined {
  const agents = union(observations, (f) => f.agents);
  const tools = union(observations, (f) => f.tools);
  const resources = union(observations, (f) => f.resources);
  const requesters = union(observations, (f) => f.requesters);
  const who = quote(agents);
  const scope = { agents, tools, resources };
  const agentOnly = subject.startsWith('agent:') ? [subject.slice('agent:'.length)] : agents;
  switch (kind) {
    case 'injection_block': {
      const markers = union(observations, (f) => f.injectionMarkers);
      const textPatterns = injectionPatternSources(markers.length > 0 ? markers : undefined);
      return {
        title: `Block injected instructions in calls of ${who}`,
        rule: { effect: 'deny', when: { agents: agentOnly, textPatterns } },
        scope: { ...scope, agents: agentOnly },
      };
    }
    case 'conditioning_block': {
      if (requesters.length > 0) {
        return {
          title: `Block requesters ${quote(requesters)} from conditioning ${who}`,
          rule: { effect: 'deny', when: { agents: agentOnly, requesters } },
          scope: { ...scope, agents: agentOnly },
        };
      }
      return {
        title: `Escalate calls of ${who} while its sessions are being cycled`,
        rule: {
          effect: 'escalate',
          when: { agents: agentOnly, ...(tools.length > 0 && { tools }) },
        },
        scope: { ...scope, agents: agentOnly },
      };
    }
    case 'drift_escalation':
      return {
        title: `Escalate ${tools.length > 0 ? `${quote(tools)} calls` : 'calls'} of drifting ${who}`,
        rule: {
          effect: 'escalate',
          when: { agents: agentOnly, ...(tools.length > 0 && { tools }) },
        },
        scope: { ...scope, agents: agentOnly },
      };
    case 'resource_restriction':
      if (resources.length === 0) {
        return undefined;
      }
      return {
        title: `Restrict ${who} from ${quote(resources)}`,
        rule: { effect: 'deny', when: { agents: agentOnly, resources } },
        scope: { ...scope, agents: agentOnly },
      };
    case 'rate_ceiling': {
      const ceilings = observations
        .map((o) => o.facts.callsPerMinuteCeiling)
        .filter((c): c is number => c !== undefined);
      if (ceilings.length === 0) {
        return undefined;
      }
      const ceiling = Math.max(...ceilings);
      return {
        title: `Cap ${who} at ${ceiling} calls per minute`,
        rule: { effect: 'deny', when: { agents: agentOnly, maxCallsPerMinute: ceiling } },
        scope: { ...scope, agents: agentOnly },
      };
    }
    case 'requester_validation': {
      const requester = subject.slice('requester:'.length);
      return {
        title: `Validate requests from ${requester}`,
        rule: { effect: 'escalate', when: { requesters: [requester] } },
        scope: { ...scope, agents: [] },
      };
    }
    case 'behavior_reversal':
      return tools.length > 0
        ? {
            title: `Deny ${quote(tools)} to ${who} after it reversed course`,
            rule: { effect: 'deny', when: { agents: agentOnly, tools } },
            scope: { ...scope, agents: agentOnly },
          }
        : {
            title: `Escalate every call of ${who} after it reversed course`,
            rule: { effect: 'escalate', when: { agents: agentOnly } },
            scope: { ...scope, agents: agentOnly },
          };
    case 'indicator_block': {
      const indicators = observations.flatMap((o) => o.facts.indicators ?? []).slice(0, 1);
      if (indicators.length === 0) {
        return undefined;
      }
      return {
        title: `Block ${indicators[0]!.type} ${indicators[0]!.value}`,
        rule: { effect: 'deny', when: { indicators } },
        scope: { ...scope, agents: [] },
      };
    }
    case 'tool_deny':
      if (tools.length === 0) {
        return undefined;
      }
      return {
        title: `Deny ${quote(tools)} to ${who}`,
        rule: { effect: 'deny', when: { agents: agentOnly, tools } },
        scope: { ...scope, agents: agentOnly },
      };
  }
}
