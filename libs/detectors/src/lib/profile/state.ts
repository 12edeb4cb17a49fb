import { type EmaBaseline, newBaseline } from '../baseline';
import { SURPRISE_STATE_SIZE } from '../surprise';
import { BLOOM_WORDS, DISTINCT_WORDS } from './sketches';
import { METRICS } from './settings';

/** Buckets of the hashed tool histogram used for tool-mix divergence. */
export const TOOL_BUCKETS = 16;
/** Recent denials and sessions remembered per agent (reversal, cycling). */
export const RING_SIZE = 8;
/** Metrics whose slow drift is tracked. */
export const DRIFT_METRICS = ['calls', 'deny_rate', 'param_entropy'] as const;
export const MAX_FRAGMENTS = 6;
export const MAX_FRAGMENT_CHARS = 256;
export const MAX_SECRET_KINDS = 4;

/** Offsets of the three distinct-count bitmaps inside a window's `distinct` array. */
export const DISTINCT_TOOLS = 0;
export const DISTINCT_RESOURCES = DISTINCT_WORDS;
export const DISTINCT_SESSIONS = 2 * DISTINCT_WORDS;

export interface WindowSlot {
  start: number;
  calls: number;
  denies: number;
  errors: number;
  entropySum: number;
  bytesOut: number;
  /** Bit per detector index that already fired in this window (one alert per window and detector). */
  fired: number;
  /** Two bits per metric: the highest severity level (1 medium .. 3 critical) its spike reached. */
  levels: number;
  findings: number;
  distinct: Uint32Array;
  toolHist: Uint16Array;
  samples: string[];
  sampleCursor: number;
}

export interface SecretTrack {
  kind: string;
  /** Session hashes seen with this kind (at most recurrenceMinSessions). */
  sessions: number[];
  firstMs: number;
  eventIds: string[];
}

export interface Fragment {
  text: string;
  eventId: string;
}

/** Everything the monitor knows about one agent. Bounded whatever the agent sends. */
export interface AgentProfile {
  /** Open windows, oldest first: one, or two while the older is within its allowed lateness. */
  windows: WindowSlot[];
  /** Highest event time seen. */
  maxTs: number;
  baselines: EmaBaseline[];
  /** Slow EMA per drift metric: the reference a drift is measured against. */
  slow: EmaBaseline[];
  /** Last closed values of each drift metric, oldest first, `DRIFT_METRICS.length` rows. */
  drift: number[][];
  toolMix: Float64Array;
  toolMixWindows: number;
  seen: Uint32Array;
  /** Ring of recent denials: [actionHash, sessionHash, timeMs] per entry. */
  denials: Float64Array;
  denialCursor: number;
  /** Ring of recent sessions: [sessionHash, firstMs, sawDenied, sawOk] per entry. */
  sessions: Float64Array;
  sessionCursor: number;
  secrets: SecretTrack[];
  fragments: Fragment[];
  behaviorTier: number;
  normalRun: number;
  /** SurpriseScorer state per metric, `SURPRISE_STATE_SIZE` numbers each. */
  surprise: Float64Array;
  /** Highest surprise score among the metrics of the latest closed window, 0..1. */
  surpriseScore: number;
  /** Risk, 0..1: the larger of the open window's composite score and `surpriseScore`. */
  risk: number;
  lateEvents: number;
  windowsClosed: number;
  /** Sequence of the last operator baseline reset applied. */
  resetSeq: number;
}

export function newWindow(start: number): WindowSlot {
  return {
    start,
    calls: 0,
    denies: 0,
    errors: 0,
    entropySum: 0,
    bytesOut: 0,
    fired: 0,
    levels: 0,
    findings: 0,
    distinct: new Uint32Array(3 * DISTINCT_WORDS),
    toolHist: new Uint16Array(TOOL_BUCKETS),
    samples: [],
    sampleCursor: 0,
  };
}

export function newProfile(): AgentProfile {
  return {
    windows: [],
    maxTs: Number.NEGATIVE_INFINITY,
    baselines: METRICS.map(() => newBaseline()),
    slow: DRIFT_METRICS.map(() => newBaseline()),
    drift: DRIFT_METRICS.map(() => []),
    toolMix: new Float64Array(TOOL_BUCKETS),
    toolMixWindows: 0,
    seen: new Uint32Array(BLOOM_WORDS),
    denials: new Float64Array(RING_SIZE * 3),
    denialCursor: 0,
    sessions: new Float64Array(RING_SIZE * 4),
    sessionCursor: 0,
    secrets: [],
    fragments: [],
    behaviorTier: 1,
    normalRun: 0,
    surprise: new Float64Array(METRICS.length * SURPRISE_STATE_SIZE),
    surpriseScore: 0,
    risk: 0,
    lateEvents: 0,
    windowsClosed: 0,
    resetSeq: 0,
  };
}

/** Forgets everything learned (baselines, known tools, drift runs); keeps tier and counters. */
export function resetLearning(profile: AgentProfile): void {
  const fresh = newProfile();
  profile.baselines = fresh.baselines;
  profile.slow = fresh.slow;
  profile.drift = fresh.drift;
  profile.toolMix = fresh.toolMix;
  profile.toolMixWindows = 0;
  profile.seen = fresh.seen;
  profile.denials = fresh.denials;
  profile.denialCursor = 0;
  profile.sessions = fresh.sessions;
  profile.sessionCursor = 0;
  profile.secrets = [];
  profile.fragments = [];
  profile.surprise = fresh.surprise;
  profile.surpriseScore = 0;
  profile.risk = 0;
}

const PROFILE_FORMAT = 1;

const b64 = (a: Uint32Array | Uint16Array | Float64Array) =>
  Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
const fromB64 = <T>(text: string, make: (b: ArrayBuffer) => T): T => {
  const bytes = Buffer.from(text, 'base64');
  const copy = new ArrayBuffer(bytes.length);
  new Uint8Array(copy).set(bytes);
  return make(copy);
};

/** A compact JSON text of the profile, for checkpoints. Doubles round-trip exactly. */
export function serializeProfile(p: AgentProfile): string {
  return JSON.stringify({
    v: PROFILE_FORMAT,
    w: p.windows.map((w) => [
      w.start,
      w.calls,
      w.denies,
      w.errors,
      w.entropySum,
      w.bytesOut,
      w.fired,
      w.levels,
      w.findings,
      b64(w.distinct),
      b64(w.toolHist),
      w.samples,
      w.sampleCursor,
    ]),
    m: p.maxTs === Number.NEGATIVE_INFINITY ? null : p.maxTs,
    b: p.baselines.map((b) => [b.mean, b.variance, b.windows]),
    s: p.slow.map((b) => [b.mean, b.variance, b.windows]),
    d: p.drift,
    tm: b64(p.toolMix),
    tw: p.toolMixWindows,
    seen: b64(p.seen),
    den: b64(p.denials),
    dc: p.denialCursor,
    ses: b64(p.sessions),
    sc: p.sessionCursor,
    sec: p.secrets,
    fr: p.fragments,
    t: p.behaviorTier,
    nr: p.normalRun,
    su: b64(p.surprise),
    ss: p.surpriseScore,
    r: p.risk,
    l: p.lateEvents,
    wc: p.windowsClosed,
    rs: p.resetSeq,
  });
}

type Row = [
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  string,
  string,
  string[],
  number,
];

interface Serialized {
  v: number;
  w: Row[];
  m: number | null;
  b: [number, number, number][];
  s: [number, number, number][];
  d: number[][];
  tm: string;
  tw: number;
  seen: string;
  den: string;
  dc: number;
  ses: string;
  sc: number;
  sec: SecretTrack[];
  fr: Fragment[];
  t: number;
  nr: number;
  /** Absent in checkpoints written before the surprise score existed. */
  su?: string;
  ss?: number;
  r: number;
  l: number;
  wc: number;
  rs: number;
}

export function deserializeProfile(text: string): AgentProfile {
  const o = JSON.parse(text) as Serialized;
  if (o.v !== PROFILE_FORMAT) {
    throw new Error(`unknown profile format ${String(o.v)}`);
  }
  const baseline = ([mean, variance, windows]: [number, number, number]): EmaBaseline => ({
    mean,
    variance,
    windows,
  });
  return {
    windows: o.w.map((r) => ({
      start: r[0],
      calls: r[1],
      denies: r[2],
      errors: r[3],
      entropySum: r[4],
      bytesOut: r[5],
      fired: r[6],
      levels: r[7],
      findings: r[8],
      distinct: fromB64(r[9], (b) => new Uint32Array(b)),
      toolHist: fromB64(r[10], (b) => new Uint16Array(b)),
      samples: r[11],
      sampleCursor: r[12],
    })),
    maxTs: o.m ?? Number.NEGATIVE_INFINITY,
    baselines: o.b.map(baseline),
    slow: o.s.map(baseline),
    drift: o.d,
    toolMix: fromB64(o.tm, (b) => new Float64Array(b)),
    toolMixWindows: o.tw,
    seen: fromB64(o.seen, (b) => new Uint32Array(b)),
    denials: fromB64(o.den, (b) => new Float64Array(b)),
    denialCursor: o.dc,
    sessions: fromB64(o.ses, (b) => new Float64Array(b)),
    sessionCursor: o.sc,
    secrets: o.sec,
    fragments: o.fr,
    behaviorTier: o.t,
    normalRun: o.nr,
    surprise:
      o.su === undefined
        ? new Float64Array(METRICS.length * SURPRISE_STATE_SIZE)
        : fromB64(o.su, (b) => new Float64Array(b)),
    surpriseScore: o.ss ?? 0,
    risk: o.r,
    lateEvents: o.l,
    windowsClosed: o.wc,
    resetSeq: o.rs,
  };
}
