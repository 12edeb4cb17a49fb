import { type Outcome } from '@ward/contracts';
import { type EmaBaseline, foldZeros } from '../baseline';
import { scanSensitive, SENSITIVE_KINDS } from '../sensitive';
import { visitStrings } from '../sensitive/walk';
import { type DetectorId, DETECTORS } from '../techniques';
import { DEFAULT_SURPRISE_SETTINGS, SURPRISE_STATE_SIZE, SurpriseScorer } from '../surprise';
import { streamStep, UnivariateDetector, type UnivariateSettings } from '../univariate';
import { bloomAdd, distinctAdd, distinctEstimate, hash32 } from './sketches';
import { METRICS, type Metric, type ProfileSettings } from './settings';
import {
  type AgentProfile,
  BASELINE_WINDOWS,
  BASELINE_WORDS,
  BASELINES,
  DENIAL_WORDS,
  DISTINCT_RESOURCES,
  DISTINCT_SESSIONS,
  DISTINCT_TOOLS,
  DRIFT_METRICS,
  ensureDenials,
  ensureSurprise,
  extrasOf,
  findWindow,
  getSample,
  H_BEHAVIOR_TIER,
  H_DENIAL_CURSOR,
  H_DENIALS,
  H_LATE_EVENTS,
  H_MAX_TS,
  H_NORMAL_RUN,
  H_RESET_SEQ,
  H_RISK,
  H_SESSION_CURSOR,
  H_SURPRISE,
  H_SURPRISE_SCORE,
  H_TOOL_MIX_WINDOWS,
  H_WINDOW_COUNT,
  H_WINDOWS_CLOSED,
  histAt,
  loadBaseline,
  MAX_FRAGMENT_CHARS,
  MAX_FRAGMENTS,
  MAX_SECRET_KINDS,
  pushWindow,
  readRun,
  resetLearning,
  RING_SIZE,
  SEEN,
  SESSION_WORDS,
  SESSIONS,
  sessionFlags,
  sawDenied,
  sawOk,
  setHistAt,
  setSample,
  shiftWindow,
  SLOT_BYTES_OUT,
  SLOT_CALLS,
  SLOT_DENIES,
  SLOT_DISTINCT,
  SLOT_ENTROPY_SUM,
  SLOT_ERRORS,
  SLOT_FINDINGS,
  SLOT_FIRED,
  SLOT_LEVELS,
  SLOT_SAMPLE_COUNT,
  SLOT_SAMPLE_CURSOR,
  SLOT_START,
  slotAt,
  SLOW,
  storeBaseline,
  tidyExtras,
  TOOL_BUCKETS,
  TOOL_MIX,
  type WindowSlot,
  writeRun,
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
    const open = profile.words[H_WINDOW_COUNT]!;
    const newest = open === 0 ? undefined : windowStart(profile, open - 1);
    // Close every open window whose allowed lateness has passed. The window this
    // event belongs to ends after `ts`, so it never closes here.
    const watermark = Math.max(profile.doubles[H_MAX_TS >> 1]!, ts) - s.allowedLatenessMs;
    while (
      profile.words[H_WINDOW_COUNT]! > 0 &&
      windowStart(profile, 0) + s.windowMs <= watermark
    ) {
      this.close(profile, s, d, findings, tierChanges);
      closed += 1;
    }
    if (newest === undefined || start > newest) {
      const previousEnd = newest === undefined ? start : newest + s.windowMs;
      if (start > previousEnd) {
        // Windows in which the agent was silent: zeros for its counts, normal for its tier.
        this.foldSilence(profile, (start - previousEnd) / s.windowMs, s, tierChanges, previousEnd);
      }
      pushWindow(profile, start);
    }
    profile.doubles[H_MAX_TS >> 1] = Math.max(profile.doubles[H_MAX_TS >> 1]!, ts);
    const slot = findWindow(profile, start);
    if (slot < 0) {
      addF64(profile, H_LATE_EVENTS, 1);
      return { findings, tierChanges, late: true, windowsClosed: closed };
    }

    const fromHere = findings.length;
    this.count(profile, slot, event, s);
    const warm = warmWindows(profile) >= s.warmupWindows;
    const ctx = { profile, slot, event, s, findings };
    if (warm) {
      this.judgeMetrics(ctx, d);
      this.firstUse(ctx);
      this.toolMixMidWindow(ctx);
    } else {
      bloomAdd(profile.words, SEEN, `t\u0000${event.action}`);
      if (event.resource !== undefined) {
        bloomAdd(profile.words, SEEN, `r\u0000${event.resource}`);
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
    profile.doubles[H_RESET_SEQ >> 1] = seq;
  }

  /** Forces every open window closed (end of a finite stream, e.g. a benchmark corpus). */
  flush(profile: AgentProfile, s: ProfileSettings): ObserveResult {
    const findings: Finding[] = [];
    const tierChanges: TierChange[] = [];
    const d = this.detectors(s);
    let closed = 0;
    while (profile.words[H_WINDOW_COUNT]! > 0) {
      this.close(profile, s, d, findings, tierChanges);
      closed += 1;
    }
    return { findings, tierChanges, late: false, windowsClosed: closed };
  }

  /** Current metric values of a window (as `AgentProfile.windows` lists them). */
  metricValues(slot: WindowSlot): Record<Metric, number> {
    return metricsOf(
      slot.calls,
      slot.denies,
      slot.errors,
      slot.entropySum,
      slot.bytesOut,
      slot.distinct,
      0,
    );
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

  private count(
    profile: AgentProfile,
    slot: number,
    event: ProfileEvent,
    s: ProfileSettings,
  ): void {
    const words = profile.words;
    const at = slotAt(slot);
    addF64(profile, at + SLOT_CALLS, 1);
    if (event.outcome === 'denied') {
      addF64(profile, at + SLOT_DENIES, 1);
    } else if (event.outcome === 'error') {
      addF64(profile, at + SLOT_ERRORS, 1);
    }
    addF64(profile, at + SLOT_ENTROPY_SUM, event.parameterEntropy);
    addF64(profile, at + SLOT_BYTES_OUT, event.bytesOut ?? 0);
    const distinct = at + SLOT_DISTINCT;
    const tool = hash32(event.action);
    distinctAdd(words, distinct + DISTINCT_TOOLS, tool);
    const bucket = tool % TOOL_BUCKETS;
    setHistAt(words, at, bucket, Math.min(0xffff, histAt(words, at, bucket) + 1));
    if (event.resource !== undefined) {
      distinctAdd(words, distinct + DISTINCT_RESOURCES, hash32(event.resource));
    }
    if (event.sessionId !== undefined) {
      distinctAdd(words, distinct + DISTINCT_SESSIONS, hash32(event.sessionId));
    }
    if (s.sampleSize > 0) {
      const samples = words[at + SLOT_SAMPLE_COUNT]!;
      if (samples < s.sampleSize) {
        words[at + SLOT_SAMPLE_COUNT] = samples + 1;
        setSample(profile, slot, samples, event.eventId);
      } else {
        const cursor = words[at + SLOT_SAMPLE_CURSOR]!;
        words[at + SLOT_SAMPLE_CURSOR] = (cursor + 1) % s.sampleSize;
        setSample(profile, slot, cursor, event.eventId);
      }
    }
  }

  private judgeMetrics(ctx: Ctx, d: Detectors): void {
    const { profile, slot, event, s, findings } = ctx;
    const values = valuesOf(profile, slot);
    let keep = 1;
    let spiked = false;
    for (let i = 0; i < METRICS.length; i++) {
      const metric = METRICS[i]!;
      if (RATE_METRICS.has(metric) && values.calls < s.minCallsForRates) {
        continue;
      }
      const baseline = loadBaseline(profile.doubles, BASELINES + i * BASELINE_WORDS, scratch);
      const verdict = d.metrics[i]!.score(baseline, values[metric]);
      if (!verdict.warm) {
        continue;
      }
      keep *= 1 - s.weights[metric] * verdict.score;
      const detector = SPIKE_DETECTOR[metric];
      if (verdict.z >= s.sigma && s.weights[metric] > 0) {
        spiked = true;
        if (this.escalate(profile, slot, i, verdict.score)) {
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
            ...this.where(profile, slot, s, event.timestampMs),
            sampleEventIds: samplesOf(profile, slot),
            ...(event.sessionId !== undefined && { sessionId: event.sessionId }),
            description: `${metric} reached ${fmt(values[metric])} in the open window against a baseline of ${fmt(verdict.mean)} ± ${fmt(verdict.stddev)} (z = ${fmt(verdict.z)}, threshold ${s.sigma})`,
          });
        }
      }
    }
    const composite = 1 - keep;
    profile.doubles[H_RISK >> 1] = Math.max(composite, profile.doubles[H_SURPRISE_SCORE >> 1]!);
    if (
      !spiked &&
      composite >= s.compositeThreshold &&
      this.claim(profile, slot, 'anomaly_composite')
    ) {
      findings.push({
        detector: 'anomaly_composite',
        metric: 'composite',
        value: composite,
        baselineMean: 0,
        baselineStddev: 0,
        baselineWindows: warmWindows(profile),
        zScore: 0,
        threshold: s.compositeThreshold,
        score: Math.min(
          1,
          0.5 +
            (0.5 * (composite - s.compositeThreshold)) / Math.max(1e-9, 1 - s.compositeThreshold),
        ),
        ...this.where(profile, slot, s, event.timestampMs),
        sampleEventIds: samplesOf(profile, slot),
        ...(event.sessionId !== undefined && { sessionId: event.sessionId }),
        description: `several metrics deviate together: composite anomaly score ${fmt(composite)} (threshold ${s.compositeThreshold}) with no single metric past its threshold`,
      });
    }
  }

  private firstUse(ctx: Ctx): void {
    const { profile, slot, event, s, findings } = ctx;
    const check = (detector: DetectorId, what: string, value: string) => {
      if (
        bloomAdd(profile.words, SEEN, `${what === 'tool' ? 't' : 'r'}\u0000${value}`) &&
        this.claim(profile, slot, detector)
      ) {
        findings.push({
          ...this.fixed(detector, profile, slot, s, event),
          metric: `first_${what}`,
          description: `first use of ${what} "${value.slice(0, 200)}" after ${warmWindows(profile)} windows of history`,
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
    const calls = profile.doubles[(slotAt(slot) + SLOT_CALLS) >> 1]!;
    if (calls >= s.toolMixMinCalls && calls % s.toolMixMinCalls === 0) {
      this.judgeToolMix(profile, slot, s, event.timestampMs, findings, event.sessionId);
    }
  }

  private judgeToolMix(
    profile: AgentProfile,
    slot: number,
    s: ProfileSettings,
    observedAt: number,
    findings: Finding[],
    sessionId?: string,
  ): void {
    const words = profile.words;
    const doubles = profile.doubles;
    const at = slotAt(slot);
    const calls = doubles[(at + SLOT_CALLS) >> 1]!;
    if (doubles[H_TOOL_MIX_WINDOWS >> 1]! < s.warmupWindows || calls < s.toolMixMinCalls) {
      return;
    }
    for (let b = 0; b < TOOL_BUCKETS; b++) {
      scratchHist[b] = histAt(words, at, b);
      scratchMix[b] = doubles[(TOOL_MIX + 2 * b) >> 1]!;
    }
    const bc = brayCurtis(scratchHist, calls, scratchMix);
    if (bc >= s.toolMixThreshold && this.claim(profile, slot, 'tool_mix_divergence')) {
      findings.push({
        detector: 'tool_mix_divergence',
        metric: 'tool_mix_bray_curtis',
        value: bc,
        baselineMean: 0,
        baselineStddev: 0,
        baselineWindows: doubles[H_TOOL_MIX_WINDOWS >> 1]!,
        zScore: 0,
        threshold: s.toolMixThreshold,
        score: Math.min(
          1,
          0.5 + (0.5 * (bc - s.toolMixThreshold)) / Math.max(1e-9, 1 - s.toolMixThreshold),
        ),
        ...this.where(profile, slot, s, observedAt),
        sampleEventIds: samplesOf(profile, slot),
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

    // Session ring: [hash, flags (sawDenied, sawOk), firstMs].
    let words = profile.words;
    let doubles = profile.doubles;
    let at = -1;
    for (let i = 0; i < RING_SIZE; i++) {
      const e = SESSIONS + i * SESSION_WORDS;
      if (words[e + 1]! !== 0 && words[e] === session) {
        at = e;
        break;
      }
    }
    if (at < 0) {
      const cursor = words[H_SESSION_CURSOR]!;
      words[H_SESSION_CURSOR] = (cursor + 1) % RING_SIZE;
      at = SESSIONS + cursor * SESSION_WORDS;
      words[at] = session;
      words[at + 1] = 0;
      doubles[(at + 2) >> 1] = ts;
    }
    let denied = sawDenied(words[at + 1]!);
    let ok = sawOk(words[at + 1]!);
    if (event.outcome === 'denied') {
      denied = 1;
    } else if (event.outcome === 'ok') {
      ok = 1;
    }
    if (event.outcome === 'error' && denied === 0 && ok === 0) {
      ok = 0.5; // seen, neither outcome
    }
    words[at + 1] = sessionFlags(denied, ok);

    let recent = 0;
    let deniedSessions = 0;
    let allowed = 0;
    for (let i = 0; i < RING_SIZE; i++) {
      const e = SESSIONS + i * SESSION_WORDS;
      const flags = words[e + 1]!;
      const firstMs = doubles[(e + 2) >> 1]!;
      if (flags !== 0 && firstMs > ts - s.cyclingSpanMs && firstMs <= ts) {
        recent += 1;
        deniedSessions += sawDenied(flags) === 1 ? 1 : 0;
        allowed += sawOk(flags) === 1 ? 1 : 0;
      }
    }
    if (
      recent >= s.cyclingMinSessions &&
      deniedSessions > 0 &&
      allowed > 0 &&
      this.claim(profile, slot, 'session_cycling')
    ) {
      findings.push({
        ...this.fixed('session_cycling', profile, slot, s, event),
        metric: 'sessions_in_span',
        value: recent,
        threshold: s.cyclingMinSessions,
        description: `${recent} sessions started within ${s.cyclingSpanMs / 1000} s with changing outcomes (${deniedSessions} with denials, ${allowed} with allowed calls)`,
      });
    }

    // Denial ring: [actionHash, sessionHash, timeMs]; allocated at the agent's first denial.
    if (event.outcome === 'denied') {
      const den = ensureDenials(profile);
      words = profile.words;
      doubles = profile.doubles;
      for (let i = 0; i < RING_SIZE; i++) {
        const e = den + i * DENIAL_WORDS;
        if (words[e] === actionKey && words[e + 1] === session && doubles[(e + 2) >> 1]! > 0) {
          doubles[(e + 2) >> 1] = ts;
          return;
        }
      }
      const c = words[H_DENIAL_CURSOR]!;
      const e = den + c * DENIAL_WORDS;
      words[e] = actionKey;
      words[e + 1] = session;
      doubles[(e + 2) >> 1] = ts;
      words[H_DENIAL_CURSOR] = (c + 1) % RING_SIZE;
      return;
    }
    const den = words[H_DENIALS]!;
    if (event.outcome !== 'ok' || den === 0) {
      return;
    }
    for (let i = 0; i < RING_SIZE; i++) {
      const e = den + i * DENIAL_WORDS;
      const when = doubles[(e + 2) >> 1]!;
      if (
        words[e] === actionKey &&
        words[e + 1] !== session &&
        when > 0 &&
        when <= ts &&
        ts - when <= s.reversalSpanMs
      ) {
        doubles[(e + 2) >> 1] = 0; // one reversal per denial
        if (this.claim(profile, slot, 'behavior_reversal')) {
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
    const secrets = extrasOf(profile).secrets;
    for (const kind of kinds) {
      let track = secrets.find((t) => t.kind === kind);
      if (track !== undefined && ts - track.firstMs > s.recurrenceSpanMs) {
        secrets.splice(secrets.indexOf(track), 1);
        track = undefined;
      }
      if (track === undefined) {
        if (secrets.length >= MAX_SECRET_KINDS) {
          secrets.shift();
        }
        track = { kind, sessions: [], firstMs: ts, eventIds: [] };
        secrets.push(track);
      }
      if (track.sessions.includes(session)) {
        continue;
      }
      track.sessions.push(session);
      track.eventIds.push(event.eventId);
      if (
        track.sessions.length >= s.recurrenceMinSessions &&
        this.claim(profile, slot, 'secret_recurrence')
      ) {
        findings.push({
          ...this.fixed('secret_recurrence', profile, slot, s, event),
          metric: `secret_sessions:${kind}`,
          value: track.sessions.length,
          threshold: s.recurrenceMinSessions,
          sampleEventIds: [...track.eventIds],
          description: `the same kind of secret (${kind}) appeared in ${track.sessions.length} different sessions within ${fmt((ts - track.firstMs) / 1000)} s`,
        });
        secrets.splice(secrets.indexOf(track), 1);
      }
    }
    tidyExtras(profile);
  }

  private split(ctx: Ctx, fragments: readonly string[]): void {
    const { profile, slot, event, s, findings } = ctx;
    const x = extrasOf(profile);
    for (const text of fragments) {
      x.fragments.push({ text, eventId: event.eventId });
    }
    while (
      x.fragments.length > MAX_FRAGMENTS ||
      x.fragments.reduce((n, f) => n + f.text.length, 0) > MAX_FRAGMENT_CHARS
    ) {
      x.fragments.shift();
    }
    const events = new Set(x.fragments.map((f) => f.eventId));
    if (events.size < 2) {
      tidyExtras(profile);
      return;
    }
    const joined = x.fragments.map((f) => f.text).join('');
    // Offsets where each fragment ends, to tell which calls a finding spans.
    const ends: number[] = [];
    let offset = 0;
    for (const f of x.fragments) {
      offset += f.text.length;
      ends.push(offset);
    }
    const newestStart = joined.length - x.fragments.at(-1)!.text.length;
    for (const finding of scanSensitive(joined)) {
      if (finding.category !== 'secret' || finding.end <= newestStart) {
        continue;
      }
      const first = ends.findIndex((e) => e > finding.start);
      const last = ends.findIndex((e) => e >= finding.end);
      const spanned = new Set(x.fragments.slice(first, last + 1).map((f) => f.eventId));
      if (spanned.size < 2) {
        continue;
      }
      if (this.claim(profile, slot, 'secret_split')) {
        findings.push({
          ...this.fixed('secret_split', profile, slot, s, event),
          metric: `secret_split:${finding.kind}`,
          value: spanned.size,
          threshold: 2,
          sampleEventIds: [...spanned],
          description: `a ${finding.kind} was assembled from ${spanned.size} consecutive calls (fingerprint ${finding.fingerprint})`,
        });
      }
      x.fragments = [];
      tidyExtras(profile);
      return;
    }
  }

  /**
   * Closes the oldest open window. While it is judged it no longer counts as
   * open (a finding of its own does not count as one of an open window's).
   */
  private close(
    profile: AgentProfile,
    s: ProfileSettings,
    d: Detectors,
    findings: Finding[],
    tierChanges: TierChange[],
  ): void {
    const slot = 0;
    const at = slotAt(slot);
    const values = valuesOf(profile, slot);
    const calls = profile.doubles[(at + SLOT_CALLS) >> 1]!;
    const end = windowStart(profile, slot) + s.windowMs;
    // Tool mix is judged on the whole window before it joins the baseline.
    const before = findings.length;
    this.judgeToolMix(profile, slot, s, end - 1, findings);
    this.judgeDrift(profile, slot, s, d, values, findings);
    for (let i = before; i < findings.length; i++) {
      this.demote(profile, findings[i]!, tierChanges, slot);
    }
    // Each metric is judged and learned as one stream step; the surprise scores
    // (how unusual the closed window's deviations are for this agent) rank agents by risk.
    let surprising = 0;
    for (let i = 0; i < METRICS.length; i++) {
      const metric = METRICS[i]!;
      if (RATE_METRICS.has(metric) && calls === 0) {
        continue;
      }
      const b = BASELINES + i * BASELINE_WORDS;
      const baseline = loadBaseline(profile.doubles, b, scratch);
      const state = loadSurprise(profile, i);
      const surprise = streamStep(d.metrics[i]!, baseline, d.surprise, state, 0, values[metric]);
      storeBaseline(profile.doubles, b, baseline);
      storeSurprise(profile, i);
      surprising = Math.max(surprising, surprise);
    }
    const words = profile.words;
    const doubles = profile.doubles;
    doubles[H_SURPRISE_SCORE >> 1] = surprising;
    for (let i = 0; i < DRIFT_METRICS.length; i++) {
      const b = SLOW + i * BASELINE_WORDS;
      const slow = loadBaseline(doubles, b, scratch);
      d.slow[i]!.fold(slow, values[DRIFT_METRICS[i]!]);
      storeBaseline(doubles, b, slow);
    }
    if (calls > 0) {
      const windows = doubles[H_TOOL_MIX_WINDOWS >> 1]!;
      const a = windows === 0 ? 1 : s.alpha;
      for (let b = 0; b < TOOL_BUCKETS; b++) {
        const mix = doubles[(TOOL_MIX + 2 * b) >> 1]!;
        doubles[(TOOL_MIX + 2 * b) >> 1] = (1 - a) * mix + (a * histAt(words, at, b)) / calls;
      }
      doubles[H_TOOL_MIX_WINDOWS >> 1] = windows + 1;
    }
    addF64(profile, H_WINDOWS_CLOSED, 1);
    const normal = words[at + SLOT_FINDINGS]! + (findings.length - before) === 0;
    this.promote(profile, normal, 1, s, tierChanges, end);
    shiftWindow(profile);
  }

  private judgeDrift(
    profile: AgentProfile,
    slot: number,
    s: ProfileSettings,
    d: Detectors,
    values: Record<Metric, number>,
    findings: Finding[],
  ): void {
    const calls = profile.doubles[(slotAt(slot) + SLOT_CALLS) >> 1]!;
    for (let i = 0; i < DRIFT_METRICS.length; i++) {
      const metric = DRIFT_METRICS[i]!;
      if (RATE_METRICS.has(metric) && calls === 0) {
        continue;
      }
      const run = readRun(profile, i);
      run.push(values[metric]);
      while (run.length > s.driftWindows) {
        run.shift();
      }
      this.judgeRun(profile, slot, s, d, i, run, findings);
      writeRun(profile, i, run);
    }
  }

  private judgeRun(
    profile: AgentProfile,
    slot: number,
    s: ProfileSettings,
    d: Detectors,
    i: number,
    run: number[],
    findings: Finding[],
  ): void {
    const metric = DRIFT_METRICS[i]!;
    const slow = loadBaseline(profile.doubles, SLOW + i * BASELINE_WORDS, scratch);
    if (run.length < s.driftWindows || slow.windows < s.warmupWindows) {
      return;
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
      this.claim(profile, slot, 'behavior_drift')
    ) {
      const start = windowStart(profile, slot);
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
        windowStart: start,
        windowEnd: start + s.windowMs,
        observedAt: start + s.windowMs - 1,
        sampleEventIds: samplesOf(profile, slot),
        description: `${metric} rose steadily over ${run.length} windows (slope ${fmt(slope)} per window, R² ${fmt(r2)}) from a long-run level of ${fmt(slow.mean)}`,
      });
      run.length = 0;
    }
  }

  private foldSilence(
    profile: AgentProfile,
    windows: number,
    s: ProfileSettings,
    tierChanges: TierChange[],
    from: number,
  ): void {
    const doubles = profile.doubles;
    for (let i = 0; i < METRICS.length; i++) {
      if (!RATE_METRICS.has(METRICS[i]!)) {
        const b = BASELINES + i * BASELINE_WORDS;
        storeBaseline(doubles, b, foldedZeros(loadBaseline(doubles, b, scratch), windows, s.alpha));
      }
    }
    for (let i = 0; i < DRIFT_METRICS.length; i++) {
      if (!RATE_METRICS.has(DRIFT_METRICS[i]!)) {
        const b = SLOW + i * BASELINE_WORDS;
        storeBaseline(
          doubles,
          b,
          foldedZeros(loadBaseline(doubles, b, scratch), windows, s.alpha / 4),
        );
        writeRun(profile, i, []);
      }
    }
    addF64(profile, H_WINDOWS_CLOSED, windows);
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
    const doubles = profile.doubles;
    if (!normal) {
      doubles[H_NORMAL_RUN >> 1] = 0;
      return;
    }
    const normalRun = doubles[H_NORMAL_RUN >> 1]! + windows;
    doubles[H_NORMAL_RUN >> 1] = normalRun;
    const tier = doubles[H_BEHAVIOR_TIER >> 1]!;
    if (tier > 1 && normalRun >= s.promotionWindows) {
      const steps = Math.min(tier - 1, Math.floor(normalRun / s.promotionWindows));
      const to = tier - steps;
      doubles[H_BEHAVIOR_TIER >> 1] = to;
      doubles[H_NORMAL_RUN >> 1] = 0;
      tierChanges.push({
        from: tier,
        to,
        reason: `${steps * s.promotionWindows} consecutive normal windows`,
        atMs,
      });
    } else if (tier === 1) {
      doubles[H_NORMAL_RUN >> 1] = Math.min(normalRun, s.promotionWindows);
    }
  }

  /** `closing`: the window being closed, which no longer counts as open. */
  private demote(profile: AgentProfile, f: Finding, tierChanges: TierChange[], closing = -1): void {
    const words = profile.words;
    const doubles = profile.doubles;
    const slot = findWindow(profile, f.windowStart, closing);
    if (slot >= 0) {
      const at = slotAt(slot) + SLOT_FINDINGS;
      words[at] = words[at]! + 1;
    }
    doubles[H_NORMAL_RUN >> 1] = 0;
    const tier = tierForScore(f.score);
    const from = doubles[H_BEHAVIOR_TIER >> 1]!;
    if (tier > from) {
      tierChanges.push({
        from,
        to: tier,
        reason: `${f.detector}: ${f.description}`.slice(0, 500),
        atMs: f.observedAt,
        cause: f,
      });
      doubles[H_BEHAVIOR_TIER >> 1] = tier;
    }
  }

  /**
   * A metric spike fires once per window and severity: when the open window
   * keeps growing past the high or critical band, the alert escalates.
   */
  private escalate(
    profile: AgentProfile,
    slot: number,
    metricIndex: number,
    score: number,
  ): boolean {
    const at = slotAt(slot) + SLOT_LEVELS;
    const levels = profile.words[at]! | 0;
    const level = tierForScore(score) - 1;
    const shift = 2 * metricIndex;
    const fired = (levels >>> shift) & 3;
    if (level <= fired) {
      return false;
    }
    profile.words[at] = (levels & ~(3 << shift)) | (level << shift);
    return true;
  }

  private claim(profile: AgentProfile, slot: number, detector: DetectorId): boolean {
    const at = slotAt(slot) + SLOT_FIRED;
    const fired = profile.words[at]! | 0;
    const b = bit(detector);
    if ((fired & b) !== 0) {
      return false;
    }
    profile.words[at] = fired | b;
    return true;
  }

  private where(profile: AgentProfile, slot: number, s: ProfileSettings, observedAt: number) {
    const start = windowStart(profile, slot);
    return { windowStart: start, windowEnd: start + s.windowMs, observedAt };
  }

  /**
   * A call an active policy denies or escalates: whatever the baseline says,
   * the agent tried what Ward already decided it must not (one alert per
   * window; a denial scores high, an escalation medium).
   */
  private policyViolations(ctx: Ctx): void {
    const { profile, slot, event, s, findings } = ctx;
    const violations = event.policyViolations ?? [];
    if (violations.length === 0 || !this.claim(profile, slot, 'policy_violation')) {
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
    slot: number,
    s: ProfileSettings,
    event: ProfileEvent,
  ) {
    return {
      detector,
      metric: detector,
      value: 1,
      baselineMean: 0,
      baselineStddev: 0,
      baselineWindows: warmWindows(profile),
      zScore: 0,
      threshold: 1,
      score: FIXED_SCORE[detector] ?? 0.5,
      ...this.where(profile, slot, s, event.timestampMs),
      sampleEventIds: [event.eventId],
      ...(event.sessionId !== undefined && { sessionId: event.sessionId }),
    };
  }
}

interface Ctx {
  readonly profile: AgentProfile;
  /** Index of the event's window among the open ones. */
  readonly slot: number;
  readonly event: ProfileEvent;
  readonly s: ProfileSettings;
  readonly findings: Finding[];
}

// Unpacked copies of one baseline, one surprise state and one tool mix, so the
// shared detectors (UnivariateDetector, SurpriseScorer, brayCurtis) run
// unchanged on packed profiles. The engine is synchronous: one copy each is enough.
const scratch: EmaBaseline = { mean: 0, variance: 0, windows: 0 };
const scratchSurprise = new Float64Array(SURPRISE_STATE_SIZE);
const scratchSurpriseWords = new Uint32Array(scratchSurprise.buffer);
const scratchHist = new Uint16Array(TOOL_BUCKETS);
const scratchMix = new Float64Array(TOOL_BUCKETS);

function windowStart(profile: AgentProfile, slot: number): number {
  return profile.doubles[(slotAt(slot) + SLOT_START) >> 1]!;
}

/** Windows behind the first baseline (the warm-up clock). */
function warmWindows(profile: AgentProfile): number {
  return profile.doubles[(BASELINES + BASELINE_WINDOWS) >> 1]!;
}

function addF64(profile: AgentProfile, at: number, value: number): void {
  profile.doubles[at >> 1] = profile.doubles[at >> 1]! + value;
}

function foldedZeros(baseline: EmaBaseline, count: number, alpha: number): EmaBaseline {
  foldZeros(baseline, count, alpha);
  return baseline;
}

function valuesOf(profile: AgentProfile, slot: number): Record<Metric, number> {
  const words = profile.words;
  const doubles = profile.doubles;
  const at = slotAt(slot);
  return metricsOf(
    doubles[(at + SLOT_CALLS) >> 1]!,
    doubles[(at + SLOT_DENIES) >> 1]!,
    doubles[(at + SLOT_ERRORS) >> 1]!,
    doubles[(at + SLOT_ENTROPY_SUM) >> 1]!,
    doubles[(at + SLOT_BYTES_OUT) >> 1]!,
    words,
    at + SLOT_DISTINCT,
  );
}

function metricsOf(
  calls: number,
  denies: number,
  errors: number,
  entropySum: number,
  bytesOut: number,
  distinct: Uint32Array,
  at: number,
): Record<Metric, number> {
  return {
    calls,
    deny_rate: calls === 0 ? 0 : denies / calls,
    error_rate: calls === 0 ? 0 : errors / calls,
    distinct_tools: distinctEstimate(distinct, at + DISTINCT_TOOLS),
    distinct_resources: distinctEstimate(distinct, at + DISTINCT_RESOURCES),
    param_entropy: calls === 0 ? 0 : entropySum / calls,
    bytes_out: bytesOut,
    sessions: distinctEstimate(distinct, at + DISTINCT_SESSIONS),
  };
}

/** The surprise state of a metric, copied into `scratchSurprise` (zeros while none is kept). */
function loadSurprise(profile: AgentProfile, metric: number): Float64Array {
  const words = profile.words;
  const at = words[H_SURPRISE]!;
  if (at === 0) {
    scratchSurpriseWords.fill(0);
  } else {
    const from = at + metric * 2 * SURPRISE_STATE_SIZE;
    scratchSurpriseWords.set(words.subarray(from, from + 2 * SURPRISE_STATE_SIZE));
  }
  return scratchSurprise;
}

function storeSurprise(profile: AgentProfile, metric: number): void {
  if (profile.words[H_SURPRISE] === 0 && scratchSurpriseWords.every((w) => w === 0)) {
    return;
  }
  const at = ensureSurprise(profile) + metric * 2 * SURPRISE_STATE_SIZE;
  profile.words.set(scratchSurpriseWords, at);
}

/** The window's sample event ids, oldest first. */
function samplesOf(profile: AgentProfile, slot: number): string[] {
  const at = slotAt(slot);
  const count = profile.words[at + SLOT_SAMPLE_COUNT]!;
  const cursor = profile.words[at + SLOT_SAMPLE_CURSOR]!;
  const ids: string[] = [];
  for (let i = cursor; i < count; i++) {
    ids.push(getSample(profile, slot, i));
  }
  for (let i = 0; i < Math.min(cursor, count); i++) {
    ids.push(getSample(profile, slot, i));
  }
  return ids;
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
