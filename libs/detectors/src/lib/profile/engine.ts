import { type Outcome } from '@ward/contracts';
import { foldZeros } from '../baseline';
import { scanSensitive, SENSITIVE_KINDS } from '../sensitive';
import { visitStrings } from '../sensitive/walk';
import { type DetectorId, DETECTORS } from '../techniques';
import { DEFAULT_SURPRISE_SETTINGS, SURPRISE_STATE_SIZE, SurpriseScorer } from '../surprise';
import { streamStep, UnivariateDetector, type UnivariateSettings } from '../univariate';
import { bloomAdd, distinctAdd, distinctEstimate, hash32 } from './sketches';
import { METRICS, type Metric, type ProfileSettings } from './settings';
import {
  type AgentProfile,
  DISTINCT_RESOURCES,
  DISTINCT_SESSIONS,
  DISTINCT_TOOLS,
  DRIFT_METRICS,
  MAX_FRAGMENT_CHARS,
  MAX_FRAGMENTS,
  MAX_SECRET_KINDS,
  newWindow,
  resetLearning,
  RING_SIZE,
  TOOL_BUCKETS,
  type WindowSlot,
} from './state';

/** What the engine needs of a BehavioralEvent. */
export interface ProfileEvent {
  readonly eventId: string;
  readonly timestampMs: number;
  readonly sessionId?: string;
  readonly action: string;
  readonly resource?: string;
  readonly outcome: Outcome;
  readonly bytesOut?: number;
  readonly parameterEntropy: number;
  readonly parameters?: Record<string, unknown>;
  /** Active policies the event violates, as sentinel-ingest labelled them. */
  readonly policyViolations?: readonly {
    readonly policyId: string;
    readonly kind: string;
    readonly effect: 'deny' | 'escalate';
  }[];
}

export interface Finding {
  readonly detector: DetectorId;
  readonly metric: string;
  readonly value: number;
  readonly baselineMean: number;
  readonly baselineStddev: number;
  readonly baselineWindows: number;
  readonly zScore: number;
  readonly threshold: number;
  /** 0..1; 0.5 at the threshold. */
  readonly score: number;
  readonly windowStart: number;
  readonly windowEnd: number;
  /** Event time of the event (or window end) that completed the evidence. */
  readonly observedAt: number;
  readonly sampleEventIds: readonly string[];
  readonly sessionId?: string;
  /** One sentence for the alert summary. */
  readonly description: string;
}

export interface TierChange {
  readonly from: number;
  readonly to: number;
  readonly reason: string;
  readonly atMs: number;
  /** The finding that demoted the agent (absent for promotions). */
  readonly cause?: Finding;
}

export interface ObserveResult {
  readonly findings: Finding[];
  readonly tierChanges: TierChange[];
  readonly late: boolean;
  readonly windowsClosed: number;
}

const COUNT_METRICS: ReadonlySet<Metric> = new Set([
  'calls',
  'distinct_tools',
  'distinct_resources',
  'sessions',
]);
const RATE_METRICS: ReadonlySet<Metric> = new Set(['deny_rate', 'error_rate', 'param_entropy']);

const SPIKE_DETECTOR: Readonly<Record<Metric, DetectorId>> = {
  calls: 'call_rate_spike',
  deny_rate: 'deny_rate_spike',
  error_rate: 'error_rate_spike',
  distinct_tools: 'tool_diversity_spike',
  distinct_resources: 'resource_diversity_spike',
  param_entropy: 'entropy_spike',
  bytes_out: 'bytes_out_spike',
  sessions: 'session_spike',
};

/** Floors of each continuous metric's deviation: relative to the mean and absolute. */
const CONTINUOUS_FLOORS: Readonly<Partial<Record<Metric, [number, number]>>> = {
  deny_rate: [0, 0.08],
  error_rate: [0, 0.08],
  param_entropy: [0.1, 0.25],
  bytes_out: [0.25, 4096],
};

/** Fixed scores of the detectors that are not a z-score. */
const FIXED_SCORE: Readonly<Partial<Record<DetectorId, number>>> = {
  new_tool: 0.55,
  new_resource: 0.55,
  session_cycling: 0.75,
  behavior_reversal: 0.8,
  secret_split: 0.92,
  secret_recurrence: 0.75,
};

const FRAGMENT = /^[A-Za-z0-9+/=_.:-]{4,64}$/;
const REDACTED_MARKER = /\[REDACTED:([a-z_]+)\]/g;

const bit = (detector: DetectorId) => 1 << DETECTORS.indexOf(detector);

/** The tier a finding of this score demands: medium 2, high 3, critical 4. */
export function tierForScore(score: number): number {
  if (score >= 0.9) {
    return 4;
  }
  if (score >= 0.7) {
    return 3;
  }
  if (score >= 0.5) {
    return 2;
  }
  return 1;
}

interface Detectors {
  readonly metrics: readonly UnivariateDetector[];
  readonly slow: readonly UnivariateDetector[];
  readonly surprise: SurpriseScorer;
}

/**
 * The behavioral profile of one agent over event-time tumbling windows, and
 * every detector that reads it. Pure and synchronous: verdicts depend only on
 * the order of one agent's events, never on batching, wall clock or I/O.
 */
export class ProfileEngine {
  private readonly cache = new WeakMap<ProfileSettings, Detectors>();

  observe(profile: AgentProfile, event: ProfileEvent, s: ProfileSettings): ObserveResult {
    const findings: Finding[] = [];
    const tierChanges: TierChange[] = [];
    const ts = event.timestampMs;
    const start = Math.floor(ts / s.windowMs) * s.windowMs;
    const d = this.detectors(s);

    let closed = 0;
    const newest = profile.windows.at(-1);
    // Close every open window whose allowed lateness has passed. The window this
    // event belongs to ends after `ts`, so it never closes here.
    const watermark = Math.max(profile.maxTs, ts) - s.allowedLatenessMs;
    while (profile.windows.length > 0 && profile.windows[0]!.start + s.windowMs <= watermark) {
      this.close(profile, profile.windows.shift()!, s, d, findings, tierChanges);
      closed += 1;
    }
    if (newest === undefined || start > newest.start) {
      const previousEnd = newest === undefined ? start : newest.start + s.windowMs;
      if (start > previousEnd) {
        // Windows in which the agent was silent: zeros for its counts, normal for its tier.
        this.foldSilence(profile, (start - previousEnd) / s.windowMs, s, tierChanges, previousEnd);
      }
      profile.windows.push(newWindow(start));
    }
    profile.maxTs = Math.max(profile.maxTs, ts);
    const slot = profile.windows.find((w) => w.start === start);
    if (slot === undefined) {
      profile.lateEvents += 1;
      return { findings, tierChanges, late: true, windowsClosed: closed };
    }

    const fromHere = findings.length;
    this.count(slot, event, s);
    const warm = profile.baselines[0]!.windows >= s.warmupWindows;
    const ctx = { profile, slot, event, s, findings };
    if (warm) {
      this.judgeMetrics(ctx, d);
      this.firstUse(ctx);
      this.toolMixMidWindow(ctx);
    } else {
      bloomAdd(profile.seen, 0, `t\u0000${event.action}`);
      if (event.resource !== undefined) {
        bloomAdd(profile.seen, 0, `r\u0000${event.resource}`);
      }
    }
    this.sessionsAndReversal(ctx);
    this.secrets(ctx);
    this.policyViolations(ctx);

    for (let i = fromHere; i < findings.length; i++) {
      this.demote(profile, findings[i]!, tierChanges);
    }
    return { findings, tierChanges, late: false, windowsClosed: closed };
  }

  /** Operator reset: relearn from scratch; tier and counters stay. */
  reset(profile: AgentProfile, seq: number): void {
    resetLearning(profile);
    profile.resetSeq = seq;
  }

  /** Forces every open window closed (end of a finite stream, e.g. a benchmark corpus). */
  flush(profile: AgentProfile, s: ProfileSettings): ObserveResult {
    const findings: Finding[] = [];
    const tierChanges: TierChange[] = [];
    const d = this.detectors(s);
    let closed = 0;
    while (profile.windows.length > 0) {
      this.close(profile, profile.windows.shift()!, s, d, findings, tierChanges);
      closed += 1;
    }
    return { findings, tierChanges, late: false, windowsClosed: closed };
  }

  /** Current metric values of a window. */
  metricValues(slot: WindowSlot): Record<Metric, number> {
    const calls = slot.calls;
    return {
      calls,
      deny_rate: calls === 0 ? 0 : slot.denies / calls,
      error_rate: calls === 0 ? 0 : slot.errors / calls,
      distinct_tools: distinctEstimate(slot.distinct, DISTINCT_TOOLS),
      distinct_resources: distinctEstimate(slot.distinct, DISTINCT_RESOURCES),
      param_entropy: calls === 0 ? 0 : slot.entropySum / calls,
      bytes_out: slot.bytesOut,
      sessions: distinctEstimate(slot.distinct, DISTINCT_SESSIONS),
    };
  }

  detectors(s: ProfileSettings): Detectors {
    let d = this.cache.get(s);
    if (d === undefined) {
      const base = (metric: Metric): UnivariateSettings => {
        const [relativeFloor, absoluteFloor] = CONTINUOUS_FLOORS[metric] ?? [0.1, 1e-6];
        return {
          alpha: s.alpha,
          warmup: s.warmupWindows,
          sigma: s.sigma,
          upwardOnly: true,
          relativeFloor,
          absoluteFloor,
          winsorize: true,
        };
      };
      const kind = (m: Metric) => (COUNT_METRICS.has(m) ? 'count' : 'continuous');
      d = {
        metrics: METRICS.map((m) => new UnivariateDetector(kind(m), base(m))),
        slow: DRIFT_METRICS.map(
          (m) => new UnivariateDetector(kind(m), { ...base(m), alpha: s.alpha / 4 }),
        ),
        surprise: new SurpriseScorer(DEFAULT_SURPRISE_SETTINGS),
      };
      this.cache.set(s, d);
    }
    return d;
  }

  private count(slot: WindowSlot, event: ProfileEvent, s: ProfileSettings): void {
    slot.calls += 1;
    if (event.outcome === 'denied') {
      slot.denies += 1;
    } else if (event.outcome === 'error') {
      slot.errors += 1;
    }
    slot.entropySum += event.parameterEntropy;
    slot.bytesOut += event.bytesOut ?? 0;
    const tool = hash32(event.action);
    distinctAdd(slot.distinct, DISTINCT_TOOLS, tool);
    const bucket = tool % TOOL_BUCKETS;
    slot.toolHist[bucket] = Math.min(0xffff, slot.toolHist[bucket]! + 1);
    if (event.resource !== undefined) {
      distinctAdd(slot.distinct, DISTINCT_RESOURCES, hash32(event.resource));
    }
    if (event.sessionId !== undefined) {
      distinctAdd(slot.distinct, DISTINCT_SESSIONS, hash32(event.sessionId));
    }
    if (s.sampleSize > 0) {
      if (slot.samples.length < s.sampleSize) {
        slot.samples.push(event.eventId);
      } else {
        slot.samples[slot.sampleCursor] = event.eventId;
        slot.sampleCursor = (slot.sampleCursor + 1) % s.sampleSize;
      }
    }
  }

  private judgeMetrics(ctx: Ctx, d: Detectors): void {
    const { profile, slot, event, s, findings } = ctx;
    const values = this.metricValues(slot);
    let keep = 1;
    let spiked = false;
    for (let i = 0; i < METRICS.length; i++) {
      const metric = METRICS[i]!;
      if (RATE_METRICS.has(metric) && slot.calls < s.minCallsForRates) {
        continue;
      }
      const baseline = profile.baselines[i]!;
      const verdict = d.metrics[i]!.score(baseline, values[metric]);
      if (!verdict.warm) {
        continue;
      }
      keep *= 1 - s.weights[metric] * verdict.score;
      const detector = SPIKE_DETECTOR[metric];
      if (verdict.z >= s.sigma && s.weights[metric] > 0) {
        spiked = true;
        if (this.escalate(slot, i, verdict.score)) {
          findings.push({
            detector,
            metric,
            value: values[metric],
            baselineMean: verdict.mean,
            baselineStddev: verdict.stddev,
            baselineWindows: baseline.windows,
            zScore: verdict.z,
            threshold: s.sigma,
            score: verdict.score,
            ...this.where(slot, s, event.timestampMs),
            sampleEventIds: samplesOf(slot),
            ...(event.sessionId !== undefined && { sessionId: event.sessionId }),
            description: `${metric} reached ${fmt(values[metric])} in the open window against a baseline of ${fmt(verdict.mean)} ± ${fmt(verdict.stddev)} (z = ${fmt(verdict.z)}, threshold ${s.sigma})`,
          });
        }
      }
    }
    const composite = 1 - keep;
    profile.risk = Math.max(composite, profile.surpriseScore);
    if (!spiked && composite >= s.compositeThreshold && this.claim(slot, 'anomaly_composite')) {
      findings.push({
        detector: 'anomaly_composite',
        metric: 'composite',
        value: composite,
        baselineMean: 0,
        baselineStddev: 0,
        baselineWindows: profile.baselines[0]!.windows,
        zScore: 0,
        threshold: s.compositeThreshold,
        score: Math.min(
          1,
          0.5 +
            (0.5 * (composite - s.compositeThreshold)) / Math.max(1e-9, 1 - s.compositeThreshold),
        ),
        ...this.where(slot, s, event.timestampMs),
        sampleEventIds: samplesOf(slot),
        ...(event.sessionId !== undefined && { sessionId: event.sessionId }),
        description: `several metrics deviate together: composite anomaly score ${fmt(composite)} (threshold ${s.compositeThreshold}) with no single metric past its threshold`,
      });
    }
  }

  private firstUse(ctx: Ctx): void {
    const { profile, slot, event, s, findings } = ctx;
    const check = (detector: DetectorId, what: string, value: string) => {
      if (
        bloomAdd(profile.seen, 0, `${what === 'tool' ? 't' : 'r'}\u0000${value}`) &&
        this.claim(slot, detector)
      ) {
        findings.push({
          ...this.fixed(detector, profile, slot, s, event),
          metric: `first_${what}`,
          description: `first use of ${what} "${value.slice(0, 200)}" after ${profile.baselines[0]!.windows} windows of history`,
          sampleEventIds: [event.eventId],
        });
      }
    };
    check('new_tool', 'tool', event.action);
    if (event.resource !== undefined) {
      check('new_resource', 'resource', event.resource);
    }
  }

  private toolMixMidWindow(ctx: Ctx): void {
    const { profile, slot, event, s, findings } = ctx;
    if (slot.calls >= s.toolMixMinCalls && slot.calls % s.toolMixMinCalls === 0) {
      this.judgeToolMix(profile, slot, s, event.timestampMs, findings, event.sessionId);
    }
  }

  private judgeToolMix(
    profile: AgentProfile,
    slot: WindowSlot,
    s: ProfileSettings,
    observedAt: number,
    findings: Finding[],
    sessionId?: string,
  ): void {
    if (profile.toolMixWindows < s.warmupWindows || slot.calls < s.toolMixMinCalls) {
      return;
    }
    const bc = brayCurtis(slot.toolHist, slot.calls, profile.toolMix);
    if (bc >= s.toolMixThreshold && this.claim(slot, 'tool_mix_divergence')) {
      findings.push({
        detector: 'tool_mix_divergence',
        metric: 'tool_mix_bray_curtis',
        value: bc,
        baselineMean: 0,
        baselineStddev: 0,
        baselineWindows: profile.toolMixWindows,
        zScore: 0,
        threshold: s.toolMixThreshold,
        score: Math.min(
          1,
          0.5 + (0.5 * (bc - s.toolMixThreshold)) / Math.max(1e-9, 1 - s.toolMixThreshold),
        ),
        ...this.where(slot, s, observedAt),
        sampleEventIds: samplesOf(slot),
        ...(sessionId !== undefined && { sessionId }),
        description: `the mix of tools used diverges from the agent's usual mix (Bray-Curtis ${fmt(bc)}, threshold ${s.toolMixThreshold})`,
      });
    }
  }

  private sessionsAndReversal(ctx: Ctx): void {
    const { profile, slot, event, s, findings } = ctx;
    if (event.sessionId === undefined) {
      return;
    }
    const session = hash32(event.sessionId);
    const ts = event.timestampMs;
    const actionKey = hash32(`${event.action}\u0000${event.resource ?? ''}`);

    // Session ring: [hash, firstMs, sawDenied, sawOk].
    const ring = profile.sessions;
    let at = -1;
    for (let i = 0; i < RING_SIZE; i++) {
      if (ring[i * 4 + 3]! + ring[i * 4 + 2]! > 0 && ring[i * 4] === session) {
        at = i;
        break;
      }
    }
    if (at < 0) {
      at = profile.sessionCursor;
      profile.sessionCursor = (profile.sessionCursor + 1) % RING_SIZE;
      ring[at * 4] = session;
      ring[at * 4 + 1] = ts;
      ring[at * 4 + 2] = 0;
      ring[at * 4 + 3] = 0;
    }
    if (event.outcome === 'denied') {
      ring[at * 4 + 2] = 1;
    } else if (event.outcome === 'ok') {
      ring[at * 4 + 3] = 1;
    }
    if (event.outcome === 'error' && ring[at * 4 + 2] === 0 && ring[at * 4 + 3] === 0) {
      ring[at * 4 + 3] = 0.5; // seen, neither outcome
    }

    let recent = 0;
    let denied = 0;
    let allowed = 0;
    for (let i = 0; i < RING_SIZE; i++) {
      const seen = ring[i * 4 + 2]! + ring[i * 4 + 3]! > 0;
      if (seen && ring[i * 4 + 1]! > ts - s.cyclingSpanMs && ring[i * 4 + 1]! <= ts) {
        recent += 1;
        denied += ring[i * 4 + 2] === 1 ? 1 : 0;
        allowed += ring[i * 4 + 3] === 1 ? 1 : 0;
      }
    }
    if (
      recent >= s.cyclingMinSessions &&
      denied > 0 &&
      allowed > 0 &&
      this.claim(slot, 'session_cycling')
    ) {
      findings.push({
        ...this.fixed('session_cycling', profile, slot, s, event),
        metric: 'sessions_in_span',
        value: recent,
        threshold: s.cyclingMinSessions,
        description: `${recent} sessions started within ${s.cyclingSpanMs / 1000} s with changing outcomes (${denied} with denials, ${allowed} with allowed calls)`,
      });
    }

    // Denial ring: [actionHash, sessionHash, timeMs].
    const den = profile.denials;
    if (event.outcome === 'denied') {
      for (let i = 0; i < RING_SIZE; i++) {
        if (den[i * 3] === actionKey && den[i * 3 + 1] === session && den[i * 3 + 2]! > 0) {
          den[i * 3 + 2] = ts;
          return;
        }
      }
      const c = profile.denialCursor;
      den[c * 3] = actionKey;
      den[c * 3 + 1] = session;
      den[c * 3 + 2] = ts;
      profile.denialCursor = (c + 1) % RING_SIZE;
      return;
    }
    if (event.outcome !== 'ok') {
      return;
    }
    for (let i = 0; i < RING_SIZE; i++) {
      const when = den[i * 3 + 2]!;
      if (
        den[i * 3] === actionKey &&
        den[i * 3 + 1] !== session &&
        when > 0 &&
        when <= ts &&
        ts - when <= s.reversalSpanMs
      ) {
        den[i * 3 + 2] = 0; // one reversal per denial
        if (this.claim(slot, 'behavior_reversal')) {
          findings.push({
            ...this.fixed('behavior_reversal', profile, slot, s, event),
            metric: 'denied_then_allowed',
            value: 1,
            description: `"${event.action.slice(0, 100)}"${event.resource === undefined ? '' : ` on "${event.resource.slice(0, 100)}"`} was denied ${fmt((ts - when) / 1000)} s earlier in another session and is now allowed in a fresh one`,
          });
        }
        return;
      }
    }
  }

  private secrets(ctx: Ctx): void {
    const { event } = ctx;
    if (event.parameters === undefined) {
      return;
    }
    const fragments: string[] = [];
    const kinds = new Set<string>();
    visitStrings(event.parameters, '', ({ text }) => {
      if (text.includes('[REDACTED:')) {
        for (const m of text.matchAll(REDACTED_MARKER)) {
          const kind = m[1]!;
          if ((SENSITIVE_KINDS as Record<string, string>)[kind] === 'secret') {
            kinds.add(kind);
          }
        }
      } else if (FRAGMENT.test(text)) {
        fragments.push(text);
      }
      return fragments.length < MAX_FRAGMENTS;
    });
    if (kinds.size > 0 && event.sessionId !== undefined) {
      this.recurrence(ctx, kinds);
    }
    if (fragments.length > 0) {
      this.split(ctx, fragments);
    }
  }

  private recurrence(ctx: Ctx, kinds: ReadonlySet<string>): void {
    const { profile, slot, event, s, findings } = ctx;
    const session = hash32(event.sessionId!);
    const ts = event.timestampMs;
    for (const kind of kinds) {
      let track = profile.secrets.find((t) => t.kind === kind);
      if (track !== undefined && ts - track.firstMs > s.recurrenceSpanMs) {
        profile.secrets.splice(profile.secrets.indexOf(track), 1);
        track = undefined;
      }
      if (track === undefined) {
        if (profile.secrets.length >= MAX_SECRET_KINDS) {
          profile.secrets.shift();
        }
        track = { kind, sessions: [], firstMs: ts, eventIds: [] };
        profile.secrets.push(track);
      }
      if (track.sessions.includes(session)) {
        continue;
      }
      track.sessions.push(session);
      track.eventIds.push(event.eventId);
      if (
        track.sessions.length >= s.recurrenceMinSessions &&
        this.claim(slot, 'secret_recurrence')
      ) {
        findings.push({
          ...this.fixed('secret_recurrence', profile, slot, s, event),
          metric: `secret_sessions:${kind}`,
          value: track.sessions.length,
          threshold: s.recurrenceMinSessions,
          sampleEventIds: [...track.eventIds],
          description: `the same kind of secret (${kind}) appeared in ${track.sessions.length} different sessions within ${fmt((ts - track.firstMs) / 1000)} s`,
        });
        profile.secrets.splice(profile.secrets.indexOf(track), 1);
      }
    }
  }

  private split(ctx: Ctx, fragments: readonly string[]): void {
    const { profile, slot, event, s, findings } = ctx;
    for (const text of fragments) {
      profile.fragments.push({ text, eventId: event.eventId });
    }
    while (
      profile.fragments.length > MAX_FRAGMENTS ||
      profile.fragments.reduce((n, f) => n + f.text.length, 0) > MAX_FRAGMENT_CHARS
    ) {
      profile.fragments.shift();
    }
    const events = new Set(profile.fragments.map((f) => f.eventId));
    if (events.size < 2) {
      return;
    }
    const joined = profile.fragments.map((f) => f.text).join('');
    // Offsets where each fragment ends, to tell which calls a finding spans.
    const ends: number[] = [];
    let offset = 0;
    for (const f of profile.fragments) {
      offset += f.text.length;
      ends.push(offset);
    }
    const newestStart = joined.length - profile.fragments.at(-1)!.text.length;
    for (const finding of scanSensitive(joined)) {
      if (finding.category !== 'secret' || finding.end <= newestStart) {
        continue;
      }
      const first = ends.findIndex((e) => e > finding.start);
      const last = ends.findIndex((e) => e >= finding.end);
      const spanned = new Set(profile.fragments.slice(first, last + 1).map((f) => f.eventId));
      if (spanned.size < 2) {
        continue;
      }
      if (this.claim(slot, 'secret_split')) {
        findings.push({
          ...this.fixed('secret_split', profile, slot, s, event),
          metric: `secret_split:${finding.kind}`,
          value: spanned.size,
          threshold: 2,
          sampleEventIds: [...spanned],
          description: `a ${finding.kind} was assembled from ${spanned.size} consecutive calls (fingerprint ${finding.fingerprint})`,
        });
      }
      profile.fragments = [];
      return;
    }
  }

  private close(
    profile: AgentProfile,
    slot: WindowSlot,
    s: ProfileSettings,
    d: Detectors,
    findings: Finding[],
    tierChanges: TierChange[],
  ): void {
    const values = this.metricValues(slot);
    const end = slot.start + s.windowMs;
    // Tool mix is judged on the whole window before it joins the baseline.
    const before = findings.length;
    this.judgeToolMix(profile, slot, s, end - 1, findings);
    this.judgeDrift(profile, slot, s, d, values, findings);
    for (let i = before; i < findings.length; i++) {
      this.demote(profile, findings[i]!, tierChanges);
    }
    // Each metric is judged and learned as one stream step; the surprise scores
    // (how unusual the closed window's deviations are for this agent) rank agents by risk.
    let surprising = 0;
    for (let i = 0; i < METRICS.length; i++) {
      const metric = METRICS[i]!;
      if (RATE_METRICS.has(metric) && slot.calls === 0) {
        continue;
      }
      const surprise = streamStep(
        d.metrics[i]!,
        profile.baselines[i]!,
        d.surprise,
        profile.surprise,
        i * SURPRISE_STATE_SIZE,
        values[metric],
      );
      surprising = Math.max(surprising, surprise);
    }
    profile.surpriseScore = surprising;
    for (let i = 0; i < DRIFT_METRICS.length; i++) {
      d.slow[i]!.fold(profile.slow[i]!, values[DRIFT_METRICS[i]!]);
    }
    if (slot.calls > 0) {
      const a = profile.toolMixWindows === 0 ? 1 : s.alpha;
      for (let b = 0; b < TOOL_BUCKETS; b++) {
        profile.toolMix[b] = (1 - a) * profile.toolMix[b]! + (a * slot.toolHist[b]!) / slot.calls;
      }
      profile.toolMixWindows += 1;
    }
    profile.windowsClosed += 1;
    this.promote(profile, slot.findings + (findings.length - before) === 0, 1, s, tierChanges, end);
  }

  private judgeDrift(
    profile: AgentProfile,
    slot: WindowSlot,
    s: ProfileSettings,
    d: Detectors,
    values: Record<Metric, number>,
    findings: Finding[],
  ): void {
    for (let i = 0; i < DRIFT_METRICS.length; i++) {
      const metric = DRIFT_METRICS[i]!;
      if (RATE_METRICS.has(metric) && slot.calls === 0) {
        continue;
      }
      const run = profile.drift[i]!;
      run.push(values[metric]);
      while (run.length > s.driftWindows) {
        run.shift();
      }
      const slow = profile.slow[i]!;
      if (run.length < s.driftWindows || slow.windows < s.warmupWindows) {
        continue;
      }
      const { slope, r2 } = linearFit(run);
      const rise = slope * (run.length - 1);
      const sd = d.slow[i]!.stddev(slow);
      const z = rise / sd;
      const above = (run.at(-1)! - slow.mean) / sd;
      if (
        slope > 0 &&
        r2 >= s.driftMinR2 &&
        z >= s.driftSigma &&
        above >= s.driftSigma &&
        this.claim(slot, 'behavior_drift')
      ) {
        findings.push({
          detector: 'behavior_drift',
          metric,
          value: run.at(-1)!,
          baselineMean: slow.mean,
          baselineStddev: sd,
          baselineWindows: slow.windows,
          zScore: z,
          threshold: s.driftSigma,
          score: Math.min(0.85, 0.5 + (0.5 * (z - s.driftSigma)) / (2 * s.driftSigma)),
          windowStart: slot.start,
          windowEnd: slot.start + s.windowMs,
          observedAt: slot.start + s.windowMs - 1,
          sampleEventIds: samplesOf(slot),
          description: `${metric} rose steadily over ${run.length} windows (slope ${fmt(slope)} per window, R² ${fmt(r2)}) from a long-run level of ${fmt(slow.mean)}`,
        });
        run.length = 0;
      }
    }
  }

  private foldSilence(
    profile: AgentProfile,
    windows: number,
    s: ProfileSettings,
    tierChanges: TierChange[],
    from: number,
  ): void {
    for (let i = 0; i < METRICS.length; i++) {
      if (!RATE_METRICS.has(METRICS[i]!)) {
        foldZeros(profile.baselines[i]!, windows, s.alpha);
      }
    }
    for (let i = 0; i < DRIFT_METRICS.length; i++) {
      if (!RATE_METRICS.has(DRIFT_METRICS[i]!)) {
        foldZeros(profile.slow[i]!, windows, s.alpha / 4);
        profile.drift[i]!.length = 0;
      }
    }
    profile.windowsClosed += windows;
    this.promote(profile, true, windows, s, tierChanges, from + windows * s.windowMs);
  }

  private promote(
    profile: AgentProfile,
    normal: boolean,
    windows: number,
    s: ProfileSettings,
    tierChanges: TierChange[],
    atMs: number,
  ): void {
    if (!normal) {
      profile.normalRun = 0;
      return;
    }
    profile.normalRun += windows;
    if (profile.behaviorTier > 1 && profile.normalRun >= s.promotionWindows) {
      const steps = Math.min(
        profile.behaviorTier - 1,
        Math.floor(profile.normalRun / s.promotionWindows),
      );
      const from = profile.behaviorTier;
      profile.behaviorTier -= steps;
      profile.normalRun = 0;
      tierChanges.push({
        from,
        to: profile.behaviorTier,
        reason: `${steps * s.promotionWindows} consecutive normal windows`,
        atMs,
      });
    } else if (profile.behaviorTier === 1) {
      profile.normalRun = Math.min(profile.normalRun, s.promotionWindows);
    }
  }

  private demote(profile: AgentProfile, f: Finding, tierChanges: TierChange[]): void {
    const slot = profile.windows.find((w) => w.start === f.windowStart);
    if (slot !== undefined) {
      slot.findings += 1;
    }
    profile.normalRun = 0;
    const tier = tierForScore(f.score);
    if (tier > profile.behaviorTier) {
      tierChanges.push({
        from: profile.behaviorTier,
        to: tier,
        reason: `${f.detector}: ${f.description}`.slice(0, 500),
        atMs: f.observedAt,
        cause: f,
      });
      profile.behaviorTier = tier;
    }
  }

  /**
   * A metric spike fires once per window and severity: when the open window
   * keeps growing past the high or critical band, the alert escalates.
   */
  private escalate(slot: WindowSlot, metricIndex: number, score: number): boolean {
    const level = tierForScore(score) - 1;
    const shift = 2 * metricIndex;
    const fired = (slot.levels >>> shift) & 3;
    if (level <= fired) {
      return false;
    }
    slot.levels = (slot.levels & ~(3 << shift)) | (level << shift);
    return true;
  }

  private claim(slot: WindowSlot, detector: DetectorId): boolean {
    const b = bit(detector);
    if ((slot.fired & b) !== 0) {
      return false;
    }
    slot.fired |= b;
    return true;
  }

  private where(slot: WindowSlot, s: ProfileSettings, observedAt: number) {
    return { windowStart: slot.start, windowEnd: slot.start + s.windowMs, observedAt };
  }

  /**
   * A call an active policy denies or escalates: whatever the baseline says,
   * the agent tried what Ward already decided it must not (one alert per
   * window; a denial scores high, an escalation medium).
   */
  private policyViolations(ctx: Ctx): void {
    const { profile, slot, event, s, findings } = ctx;
    const violations = event.policyViolations ?? [];
    if (violations.length === 0 || !this.claim(slot, 'policy_violation')) {
      return;
    }
    const denied = violations.some((v) => v.effect === 'deny');
    const list = violations
      .slice(0, 3)
      .map((v) => `${v.policyId} (${v.kind}, ${v.effect})`)
      .join(', ');
    findings.push({
      ...this.fixed('policy_violation', profile, slot, s, event),
      metric: 'policy_violations',
      value: violations.length,
      score: denied ? 0.75 : 0.55,
      description: `call of "${event.action.slice(0, 200)}"${event.resource !== undefined ? ` on "${event.resource.slice(0, 200)}"` : ''} violates active polic${violations.length === 1 ? 'y' : 'ies'} ${list}${violations.length > 3 ? ` and ${violations.length - 3} more` : ''}`,
    });
  }

  private fixed(
    detector: DetectorId,
    profile: AgentProfile,
    slot: WindowSlot,
    s: ProfileSettings,
    event: ProfileEvent,
  ) {
    return {
      detector,
      metric: detector,
      value: 1,
      baselineMean: 0,
      baselineStddev: 0,
      baselineWindows: profile.baselines[0]!.windows,
      zScore: 0,
      threshold: 1,
      score: FIXED_SCORE[detector] ?? 0.5,
      ...this.where(slot, s, event.timestampMs),
      sampleEventIds: [event.eventId],
      ...(event.sessionId !== undefined && { sessionId: event.sessionId }),
    };
  }
}

interface Ctx {
  readonly profile: AgentProfile;
  readonly slot: WindowSlot;
  readonly event: ProfileEvent;
  readonly s: ProfileSettings;
  readonly findings: Finding[];
}

function samplesOf(slot: WindowSlot): string[] {
  return [...slot.samples.slice(slot.sampleCursor), ...slot.samples.slice(0, slot.sampleCursor)];
}

/** Bray-Curtis dissimilarity of a window's tool histogram and the baseline distribution. */
export function brayCurtis(hist: Uint16Array, total: number, baseline: Float64Array): number {
  let diff = 0;
  let sum = 0;
  for (let b = 0; b < hist.length; b++) {
    const p = hist[b]! / total;
    const q = baseline[b]!;
    diff += Math.abs(p - q);
    sum += p + q;
  }
  return sum === 0 ? 0 : diff / sum;
}

/** Least-squares slope and R² of values at x = 0, 1, 2, ... */
export function linearFit(values: readonly number[]): { slope: number; r2: number } {
  const n = values.length;
  const meanX = (n - 1) / 2;
  const meanY = values.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = i - meanX;
    const dy = values[i]! - meanY;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  const slope = sxx === 0 ? 0 : sxy / sxx;
  const r2 = syy === 0 ? 0 : (sxy * sxy) / (sxx * syy);
  return { slope, r2 };
}

function fmt(n: number): string {
  return String(Math.round(n * 100) / 100);
}
