import { type EmaBaseline } from '../baseline';
import { SURPRISE_STATE_SIZE } from '../surprise';
import {
  getF64,
  idWords,
  isLatin1,
  MAX_PACKED_ID,
  readId,
  setF64,
  UNPACKED_ID,
  writeId,
} from './packed';
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

/**
 * Everything the monitor knows about one agent, unpacked: the form checkpoints
 * hold, and what `AgentProfile`'s read-only properties return (copies).
 */
export interface ProfileSnapshot {
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

/** The state of a profile that is not numeric. Null in a profile while all of it is empty. */
export interface ProfileExtras {
  secrets: SecretTrack[];
  fragments: Fragment[];
  /** Sample event ids that cannot be packed, by `slot * MAX_SAMPLES + index`. */
  ids: Map<number, string>;
}

/*
 * Layout of `AgentProfile.words`, in 32-bit words. A double takes two words
 * (read and written whole through getF64 and setF64, so it round-trips bit for
 * bit). Header, then fixed parts, then parts whose size varies:
 *
 *   header        doubles: maxTs .. behaviorTier; words: cursors, counts,
 *                 capacities, offsets of the parts below
 *   baselines     per metric: mean, variance, windows (doubles)
 *   slow          the same per drift metric
 *   toolMix       TOOL_BUCKETS doubles
 *   seen          Bloom filter, BLOOM_WORDS words
 *   sessions      RING_SIZE entries: hash, flags (sawDenied | sawOk * 2 << 2), firstMs (double)
 *   windows       `slots` windows, oldest first (SLOT_WORDS each, below)
 *   drift         per drift metric, `driftCap` doubles (the run, oldest first)
 *   samples       per window slot, `sampleCap` entries of `sampleWords` words
 *                 (length byte, then Latin-1 characters)
 *   surprise      per metric, SURPRISE_STATE_SIZE doubles; only once it is not all zeros
 *   denials       RING_SIZE entries: actionHash, sessionHash, timeMs (double); only after a denial
 *
 * Capacities start at their defaults and only grow, and unused words are
 * zero, so a profile and its restored checkpoint hold the same words (unless
 * a capacity outgrew what is left: a long id since overwritten, a setting
 * since lowered).
 */
export const H_MAX_TS = 0;
export const H_TOOL_MIX_WINDOWS = 2;
export const H_NORMAL_RUN = 4;
export const H_SURPRISE_SCORE = 6;
export const H_RISK = 8;
export const H_LATE_EVENTS = 10;
export const H_WINDOWS_CLOSED = 12;
export const H_RESET_SEQ = 14;
export const H_BEHAVIOR_TIER = 16;
export const H_DENIAL_CURSOR = 18;
export const H_SESSION_CURSOR = 19;
export const H_WINDOW_COUNT = 20;
export const H_SLOTS = 21;
export const H_DRIFT_CAP = 22;
/** One word per drift metric. */
export const H_DRIFT_LENGTH = 23;
export const H_SAMPLE_CAP = 26;
export const H_SAMPLE_WORDS = 27;
export const H_DRIFT = 28;
export const H_SAMPLES = 29;
/** 0 while the part is absent (all zeros). */
export const H_SURPRISE = 30;
export const H_DENIALS = 31;
const HEADER_WORDS = 32;

export const BASELINE_WORDS = 6;
export const BASELINE_MEAN = 0;
export const BASELINE_VARIANCE = 2;
export const BASELINE_WINDOWS = 4;
export const BASELINES = HEADER_WORDS;
export const SLOW = BASELINES + METRICS.length * BASELINE_WORDS;
export const TOOL_MIX = SLOW + DRIFT_METRICS.length * BASELINE_WORDS;
export const SEEN = TOOL_MIX + 2 * TOOL_BUCKETS;
export const SESSIONS = SEEN + BLOOM_WORDS;
export const SESSION_WORDS = 4;
export const WINDOWS = SESSIONS + RING_SIZE * SESSION_WORDS;

export const SLOT_START = 0;
export const SLOT_CALLS = 2;
export const SLOT_DENIES = 4;
export const SLOT_ERRORS = 6;
export const SLOT_ENTROPY_SUM = 8;
export const SLOT_BYTES_OUT = 10;
/** Int32 bits, as `fired |= bit` leaves them. */
export const SLOT_FIRED = 12;
export const SLOT_LEVELS = 13;
export const SLOT_FINDINGS = 14;
export const SLOT_SAMPLE_COUNT = 15;
export const SLOT_SAMPLE_CURSOR = 16;
/** Two 16-bit buckets per word, the even bucket in the low half. */
export const SLOT_TOOL_HIST = 18;
export const SLOT_DISTINCT = SLOT_TOOL_HIST + TOOL_BUCKETS / 2;
export const SLOT_WORDS = SLOT_DISTINCT + 3 * DISTINCT_WORDS;

export const SURPRISE_WORDS = 2 * METRICS.length * SURPRISE_STATE_SIZE;
export const DENIAL_WORDS = 4;

const DEFAULT_SLOTS = 2;
const DEFAULT_DRIFT_CAP = 6;
const DEFAULT_SAMPLE_CAP = 5;
/** Ids of up to 15 characters; longer ones widen every entry. */
const DEFAULT_SAMPLE_WORDS = 4;
/** Bound of samples per window (`sampleSize` is at most 20); keys the unpacked ids. */
export const MAX_SAMPLES = 1 << 16;

interface Layout {
  slots: number;
  driftCap: number;
  sampleCap: number;
  sampleWords: number;
  surprise: boolean;
  denials: boolean;
}

/**
 * The behavioral profile of one agent, packed: all of its numbers in one
 * Uint32Array over one ArrayBuffer (see the layout above), its strings (secret
 * tracks, fragments, ids that cannot be packed) in `extras`. A few hundred
 * small objects per agent would cost far more in V8's per-object overhead than
 * the numbers themselves. Bounded whatever the agent sends.
 *
 * Only ProfileEngine changes it. The properties below are read-only copies in
 * the unpacked form, for reports, checkpoints and tests.
 */
export class AgentProfile {
  /** The same buffer as doubles: `doubles[at >> 1]` is the double at word `at` (always even). */
  doubles: Float64Array;

  constructor(
    /** Replaced by a larger array when a part grows: never keep a reference across calls. */
    public words: Uint32Array,
    public extras: ProfileExtras | null = null,
  ) {
    this.doubles = new Float64Array(words.buffer, words.byteOffset, words.length / 2);
  }

  get maxTs(): number {
    return getF64(this.words, H_MAX_TS);
  }
  get toolMixWindows(): number {
    return getF64(this.words, H_TOOL_MIX_WINDOWS);
  }
  get normalRun(): number {
    return getF64(this.words, H_NORMAL_RUN);
  }
  get surpriseScore(): number {
    return getF64(this.words, H_SURPRISE_SCORE);
  }
  get risk(): number {
    return getF64(this.words, H_RISK);
  }
  get lateEvents(): number {
    return getF64(this.words, H_LATE_EVENTS);
  }
  get windowsClosed(): number {
    return getF64(this.words, H_WINDOWS_CLOSED);
  }
  get resetSeq(): number {
    return getF64(this.words, H_RESET_SEQ);
  }
  get behaviorTier(): number {
    return getF64(this.words, H_BEHAVIOR_TIER);
  }
  get denialCursor(): number {
    return this.words[H_DENIAL_CURSOR]!;
  }
  get sessionCursor(): number {
    return this.words[H_SESSION_CURSOR]!;
  }

  get windows(): WindowSlot[] {
    return Array.from({ length: this.words[H_WINDOW_COUNT]! }, (_, i) => windowSnapshot(this, i));
  }
  get baselines(): EmaBaseline[] {
    return METRICS.map((_, i) => loadBaseline(this.doubles, BASELINES + i * BASELINE_WORDS));
  }
  get slow(): EmaBaseline[] {
    return DRIFT_METRICS.map((_, i) => loadBaseline(this.doubles, SLOW + i * BASELINE_WORDS));
  }
  get drift(): number[][] {
    return DRIFT_METRICS.map((_, i) => readRun(this, i));
  }
  get toolMix(): Float64Array {
    return doubles(this.words, TOOL_MIX, TOOL_BUCKETS);
  }
  get seen(): Uint32Array {
    return this.words.slice(SEEN, SEEN + BLOOM_WORDS);
  }
  get denials(): Float64Array {
    const out = new Float64Array(RING_SIZE * 3);
    const at = this.words[H_DENIALS]!;
    if (at !== 0) {
      for (let i = 0; i < RING_SIZE; i++) {
        const e = at + i * DENIAL_WORDS;
        out[i * 3] = this.words[e]!;
        out[i * 3 + 1] = this.words[e + 1]!;
        out[i * 3 + 2] = getF64(this.words, e + 2);
      }
    }
    return out;
  }
  get sessions(): Float64Array {
    const out = new Float64Array(RING_SIZE * 4);
    for (let i = 0; i < RING_SIZE; i++) {
      const e = SESSIONS + i * SESSION_WORDS;
      out[i * 4] = this.words[e]!;
      out[i * 4 + 1] = getF64(this.words, e + 2);
      out[i * 4 + 2] = sawDenied(this.words[e + 1]!);
      out[i * 4 + 3] = sawOk(this.words[e + 1]!);
    }
    return out;
  }
  get secrets(): SecretTrack[] {
    return (this.extras?.secrets ?? []).map((t) => ({
      kind: t.kind,
      sessions: [...t.sessions],
      firstMs: t.firstMs,
      eventIds: [...t.eventIds],
    }));
  }
  get fragments(): Fragment[] {
    return (this.extras?.fragments ?? []).map((f) => ({ text: f.text, eventId: f.eventId }));
  }
  get surprise(): Float64Array {
    const at = this.words[H_SURPRISE]!;
    const n = METRICS.length * SURPRISE_STATE_SIZE;
    return at === 0 ? new Float64Array(n) : doubles(this.words, at, n);
  }
}

export const sawDenied = (flags: number): number => flags & 1;
export const sawOk = (flags: number): number => (flags >>> 2) / 2;
export const sessionFlags = (denied: number, ok: number): number => denied | ((ok * 2) << 2);

function doubles(words: Uint32Array, at: number, n: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    out[i] = getF64(words, at + 2 * i);
  }
  return out;
}

/** The baseline at word `at` of `doubles` (AgentProfile.doubles). */
export function loadBaseline(
  doubles: Float64Array,
  at: number,
  into: EmaBaseline = { mean: 0, variance: 0, windows: 0 },
): EmaBaseline {
  into.mean = doubles[(at + BASELINE_MEAN) >> 1]!;
  into.variance = doubles[(at + BASELINE_VARIANCE) >> 1]!;
  into.windows = doubles[(at + BASELINE_WINDOWS) >> 1]!;
  return into;
}

export function storeBaseline(doubles: Float64Array, at: number, from: EmaBaseline): void {
  doubles[(at + BASELINE_MEAN) >> 1] = from.mean;
  doubles[(at + BASELINE_VARIANCE) >> 1] = from.variance;
  doubles[(at + BASELINE_WINDOWS) >> 1] = from.windows;
}

function layoutOf(words: Uint32Array): Layout {
  return {
    slots: words[H_SLOTS]!,
    driftCap: words[H_DRIFT_CAP]!,
    sampleCap: words[H_SAMPLE_CAP]!,
    sampleWords: words[H_SAMPLE_WORDS]!,
    surprise: words[H_SURPRISE]! !== 0,
    denials: words[H_DENIALS]! !== 0,
  };
}

/** A zeroed array laid out for `l`, its capacities and offsets in the header. */
function allocate(l: Layout): Uint32Array {
  let at = WINDOWS + l.slots * SLOT_WORDS;
  const drift = at;
  at += DRIFT_METRICS.length * l.driftCap * 2;
  const samples = at;
  at += l.slots * l.sampleCap * l.sampleWords;
  // Doubles sit at even words.
  at += at & 1;
  const surprise = l.surprise ? at : 0;
  at += l.surprise ? SURPRISE_WORDS : 0;
  const denials = l.denials ? at : 0;
  at += l.denials ? RING_SIZE * DENIAL_WORDS : 0;
  const words = new Uint32Array(at);
  words[H_SLOTS] = l.slots;
  words[H_DRIFT_CAP] = l.driftCap;
  words[H_SAMPLE_CAP] = l.sampleCap;
  words[H_SAMPLE_WORDS] = l.sampleWords;
  words[H_DRIFT] = drift;
  words[H_SAMPLES] = samples;
  words[H_SURPRISE] = surprise;
  words[H_DENIALS] = denials;
  return words;
}

/** Moves the profile to a new layout; capacities never drop below what is in use. */
function relayout(p: AgentProfile, change: Partial<Layout>): void {
  const old = p.words;
  const from = layoutOf(old);
  const to = { ...from, ...change };
  const words = allocate(to);
  const count = old[H_WINDOW_COUNT]!;
  words.set(old.subarray(0, H_SLOTS));
  for (let i = 0; i < DRIFT_METRICS.length; i++) {
    words[H_DRIFT_LENGTH + i] = old[H_DRIFT_LENGTH + i]!;
  }
  words.set(old.subarray(HEADER_WORDS, WINDOWS + count * SLOT_WORDS), HEADER_WORDS);
  for (let i = 0; i < DRIFT_METRICS.length; i++) {
    const n = 2 * Math.min(old[H_DRIFT_LENGTH + i]!, to.driftCap);
    const src = old[H_DRIFT]! + i * from.driftCap * 2;
    words.set(old.subarray(src, src + n), words[H_DRIFT]! + i * to.driftCap * 2);
  }
  const width = Math.min(from.sampleWords, to.sampleWords);
  for (let slot = 0; slot < count; slot++) {
    const n = old[WINDOWS + slot * SLOT_WORDS + SLOT_SAMPLE_COUNT]!;
    for (let i = 0; i < n; i++) {
      const src = old[H_SAMPLES]! + (slot * from.sampleCap + i) * from.sampleWords;
      const dst = words[H_SAMPLES]! + (slot * to.sampleCap + i) * to.sampleWords;
      words.set(old.subarray(src, src + width), dst);
    }
  }
  if (from.surprise && to.surprise) {
    const src = old[H_SURPRISE]!;
    words.set(old.subarray(src, src + SURPRISE_WORDS), words[H_SURPRISE]);
  }
  if (from.denials && to.denials) {
    const src = old[H_DENIALS]!;
    words.set(old.subarray(src, src + RING_SIZE * DENIAL_WORDS), words[H_DENIALS]);
  }
  p.words = words;
  p.doubles = new Float64Array(words.buffer);
}

/** Word offset of the surprise states, allocating them. */
export function ensureSurprise(p: AgentProfile): number {
  if (p.words[H_SURPRISE] === 0) {
    relayout(p, { surprise: true });
  }
  return p.words[H_SURPRISE]!;
}

/** Word offset of the denial ring, allocating it. */
export function ensureDenials(p: AgentProfile): number {
  if (p.words[H_DENIALS] === 0) {
    relayout(p, { denials: true });
  }
  return p.words[H_DENIALS]!;
}

export const slotAt = (slot: number): number => WINDOWS + slot * SLOT_WORDS;

/** Opens a window as the newest. */
export function pushWindow(p: AgentProfile, start: number): void {
  const count = p.words[H_WINDOW_COUNT]!;
  if (count === p.words[H_SLOTS]) {
    // Only with an allowed lateness longer than a window (settings refuse it).
    relayout(p, { slots: count + 1 });
  }
  const words = p.words;
  const at = slotAt(count);
  words.fill(0, at, at + SLOT_WORDS);
  setF64(words, at + SLOT_START, start);
  const cap = words[H_SAMPLE_CAP]!;
  const width = words[H_SAMPLE_WORDS]!;
  const samples = words[H_SAMPLES]! + count * cap * width;
  words.fill(0, samples, samples + cap * width);
  words[H_WINDOW_COUNT] = count + 1;
}

/** Drops the oldest window (after it was closed). */
export function shiftWindow(p: AgentProfile): void {
  const words = p.words;
  const count = words[H_WINDOW_COUNT]!;
  words.copyWithin(slotAt(0), slotAt(1), slotAt(count));
  words.fill(0, slotAt(count - 1), slotAt(count));
  const perSlot = words[H_SAMPLE_CAP]! * words[H_SAMPLE_WORDS]!;
  const samples = words[H_SAMPLES]!;
  words.copyWithin(samples, samples + perSlot, samples + count * perSlot);
  words.fill(0, samples + (count - 1) * perSlot, samples + count * perSlot);
  words[H_WINDOW_COUNT] = count - 1;
  const ids = p.extras?.ids;
  if (ids !== undefined && ids.size > 0) {
    const shifted = new Map<number, string>();
    for (const [key, id] of ids) {
      if (key >= MAX_SAMPLES) {
        shifted.set(key - MAX_SAMPLES, id);
      }
    }
    p.extras!.ids = shifted;
    tidyExtras(p);
  }
}

/** Index of the open window starting at `start` (other than `skip`), or -1. */
export function findWindow(p: AgentProfile, start: number, skip = -1): number {
  const words = p.words;
  const count = words[H_WINDOW_COUNT]!;
  for (let i = 0; i < count; i++) {
    if (i !== skip && getF64(words, slotAt(i) + SLOT_START) === start) {
      return i;
    }
  }
  return -1;
}

/** Sets sample `index` of a window to `id`, growing the sample entries if needed. */
export function setSample(p: AgentProfile, slot: number, index: number, id: string): void {
  let { words } = p;
  const packable = id.length <= MAX_PACKED_ID;
  const cap = words[H_SAMPLE_CAP]!;
  const width = words[H_SAMPLE_WORDS]!;
  const need = packable ? idWords(id.length) : 0;
  if (index >= cap || need > width) {
    const wider = need > width && isLatin1(id);
    if (index >= cap || wider) {
      relayout(p, { sampleCap: Math.max(cap, index + 1), sampleWords: wider ? need : width });
      words = p.words;
    }
  }
  const w = words[H_SAMPLE_WORDS]!;
  const at = words[H_SAMPLES]! + (slot * words[H_SAMPLE_CAP]! + index) * w;
  const key = slot * MAX_SAMPLES + index;
  if (need <= w && packable && writeId(words, at, w, id)) {
    if (p.extras !== null && p.extras.ids.delete(key)) {
      tidyExtras(p);
    }
    return;
  }
  words.fill(0, at, at + w);
  words[at] = UNPACKED_ID;
  extrasOf(p).ids.set(key, id);
}

export function getSample(p: AgentProfile, slot: number, index: number): string {
  const words = p.words;
  const at = words[H_SAMPLES]! + (slot * words[H_SAMPLE_CAP]! + index) * words[H_SAMPLE_WORDS]!;
  return readId(words, at) ?? p.extras!.ids.get(slot * MAX_SAMPLES + index)!;
}

export function readRun(p: AgentProfile, metric: number): number[] {
  const words = p.words;
  const at = words[H_DRIFT]! + metric * words[H_DRIFT_CAP]! * 2;
  const run = new Array<number>(words[H_DRIFT_LENGTH + metric]!);
  for (let i = 0; i < run.length; i++) {
    run[i] = getF64(words, at + 2 * i);
  }
  return run;
}

export function writeRun(p: AgentProfile, metric: number, run: readonly number[]): void {
  if (run.length > p.words[H_DRIFT_CAP]!) {
    relayout(p, { driftCap: run.length });
  }
  const words = p.words;
  const cap = words[H_DRIFT_CAP]!;
  const at = words[H_DRIFT]! + metric * cap * 2;
  for (let i = 0; i < run.length; i++) {
    setF64(words, at + 2 * i, run[i]!);
  }
  words.fill(0, at + 2 * run.length, at + 2 * cap);
  words[H_DRIFT_LENGTH + metric] = run.length;
}

export function extrasOf(p: AgentProfile): ProfileExtras {
  p.extras ??= { secrets: [], fragments: [], ids: new Map() };
  return p.extras;
}

/**
 * An independent copy of a profile: its packed words (one memcpy) and its
 * extras. Taking one is cheap, so a checkpoint copies the changed profiles at
 * once and serializes the copies later while the originals keep changing.
 */
export function copyProfile(p: AgentProfile): AgentProfile {
  return new AgentProfile(p.words.slice(), p.extras === null ? null : structuredClone(p.extras));
}

/** Drops `extras` once it holds nothing, so an empty profile holds no strings. */
export function tidyExtras(p: AgentProfile): void {
  const x = p.extras;
  if (x !== null && x.secrets.length === 0 && x.fragments.length === 0 && x.ids.size === 0) {
    p.extras = null;
  }
}

function windowSnapshot(p: AgentProfile, slot: number): WindowSlot {
  const words = p.words;
  const at = slotAt(slot);
  const toolHist = new Uint16Array(TOOL_BUCKETS);
  for (let b = 0; b < TOOL_BUCKETS; b++) {
    toolHist[b] = histAt(words, at, b);
  }
  const count = words[at + SLOT_SAMPLE_COUNT]!;
  return {
    start: getF64(words, at + SLOT_START),
    calls: getF64(words, at + SLOT_CALLS),
    denies: getF64(words, at + SLOT_DENIES),
    errors: getF64(words, at + SLOT_ERRORS),
    entropySum: getF64(words, at + SLOT_ENTROPY_SUM),
    bytesOut: getF64(words, at + SLOT_BYTES_OUT),
    fired: words[at + SLOT_FIRED]! | 0,
    levels: words[at + SLOT_LEVELS]! | 0,
    findings: words[at + SLOT_FINDINGS]!,
    distinct: words.slice(at + SLOT_DISTINCT, at + SLOT_WORDS),
    toolHist,
    samples: Array.from({ length: count }, (_, i) => getSample(p, slot, i)),
    sampleCursor: words[at + SLOT_SAMPLE_CURSOR]!,
  };
}

/** Bucket `b` of the tool histogram of the window at word `at`. */
export function histAt(words: Uint32Array, at: number, b: number): number {
  return (words[at + SLOT_TOOL_HIST + (b >> 1)]! >>> ((b & 1) * 16)) & 0xffff;
}

export function setHistAt(words: Uint32Array, at: number, b: number, value: number): void {
  const w = at + SLOT_TOOL_HIST + (b >> 1);
  const shift = (b & 1) * 16;
  words[w] = (words[w]! & ~(0xffff << shift)) | (value << shift);
}

function fresh(): Layout {
  return {
    slots: DEFAULT_SLOTS,
    driftCap: DEFAULT_DRIFT_CAP,
    sampleCap: DEFAULT_SAMPLE_CAP,
    sampleWords: DEFAULT_SAMPLE_WORDS,
    surprise: false,
    denials: false,
  };
}

export function newProfile(): AgentProfile {
  const words = allocate(fresh());
  setF64(words, H_MAX_TS, Number.NEGATIVE_INFINITY);
  setF64(words, H_BEHAVIOR_TIER, 1);
  return new AgentProfile(words);
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

/** Forgets everything learned (baselines, known tools, drift runs); keeps tier and counters. */
export function resetLearning(profile: AgentProfile): void {
  for (let i = 0; i < DRIFT_METRICS.length; i++) {
    profile.words[H_DRIFT_LENGTH + i] = 0;
  }
  relayout(profile, { driftCap: DEFAULT_DRIFT_CAP, surprise: false, denials: false });
  const words = profile.words;
  words.fill(0, BASELINES, WINDOWS);
  words.fill(0, words[H_DRIFT], words[H_SAMPLES]);
  setF64(words, H_TOOL_MIX_WINDOWS, 0);
  words[H_DENIAL_CURSOR] = 0;
  words[H_SESSION_CURSOR] = 0;
  setF64(words, H_SURPRISE_SCORE, 0);
  setF64(words, H_RISK, 0);
  if (profile.extras !== null) {
    profile.extras.secrets = [];
    profile.extras.fragments = [];
    tidyExtras(profile);
  }
}

/** The unpacked form of a profile (copies). */
export function snapshotProfile(p: AgentProfile): ProfileSnapshot {
  return {
    windows: p.windows,
    maxTs: p.maxTs,
    baselines: p.baselines,
    slow: p.slow,
    drift: p.drift,
    toolMix: p.toolMix,
    toolMixWindows: p.toolMixWindows,
    seen: p.seen,
    denials: p.denials,
    denialCursor: p.denialCursor,
    sessions: p.sessions,
    sessionCursor: p.sessionCursor,
    secrets: p.secrets,
    fragments: p.fragments,
    behaviorTier: p.behaviorTier,
    normalRun: p.normalRun,
    surprise: p.surprise,
    surpriseScore: p.surpriseScore,
    risk: p.risk,
    lateEvents: p.lateEvents,
    windowsClosed: p.windowsClosed,
    resetSeq: p.resetSeq,
  };
}

const u32 = (value: number, what: string): number => {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new RangeError(`profile state: ${what} must be a 32-bit unsigned integer, got ${value}`);
  }
  return value;
};

const notAllZero = (a: Float64Array): boolean =>
  new Uint32Array(a.buffer, a.byteOffset, a.byteLength / 4).some((w) => w !== 0);

/** Packs an unpacked profile (from a checkpoint); `snapshotProfile` of the result equals it. */
export function packProfile(s: ProfileSnapshot): AgentProfile {
  const sized = (what: string, actual: number, expected: number) => {
    if (actual !== expected) {
      throw new RangeError(`profile state: ${what} has ${actual} entries, expected ${expected}`);
    }
  };
  sized('baselines', s.baselines.length, METRICS.length);
  sized('slow', s.slow.length, DRIFT_METRICS.length);
  sized('drift', s.drift.length, DRIFT_METRICS.length);
  sized('toolMix', s.toolMix.length, TOOL_BUCKETS);
  sized('seen', s.seen.length, BLOOM_WORDS);
  sized('denials', s.denials.length, RING_SIZE * 3);
  sized('sessions', s.sessions.length, RING_SIZE * 4);
  sized('surprise', s.surprise.length, METRICS.length * SURPRISE_STATE_SIZE);
  for (const w of s.windows) {
    sized('window distinct', w.distinct.length, 3 * DISTINCT_WORDS);
    sized('window toolHist', w.toolHist.length, TOOL_BUCKETS);
  }
  const longest = (values: readonly string[]) =>
    values.reduce(
      (n, id) => (id.length <= MAX_PACKED_ID && isLatin1(id) ? Math.max(n, idWords(id.length)) : n),
      0,
    );
  const layout: Layout = {
    slots: Math.max(DEFAULT_SLOTS, s.windows.length),
    driftCap: Math.max(DEFAULT_DRIFT_CAP, ...s.drift.map((r) => r.length)),
    sampleCap: Math.max(DEFAULT_SAMPLE_CAP, ...s.windows.map((w) => w.samples.length)),
    sampleWords: Math.max(DEFAULT_SAMPLE_WORDS, ...s.windows.map((w) => longest(w.samples))),
    surprise: notAllZero(s.surprise),
    denials: notAllZero(s.denials),
  };
  const words = allocate(layout);
  const p = new AgentProfile(words);
  setF64(words, H_MAX_TS, s.maxTs);
  setF64(words, H_TOOL_MIX_WINDOWS, s.toolMixWindows);
  setF64(words, H_NORMAL_RUN, s.normalRun);
  setF64(words, H_SURPRISE_SCORE, s.surpriseScore);
  setF64(words, H_RISK, s.risk);
  setF64(words, H_LATE_EVENTS, s.lateEvents);
  setF64(words, H_WINDOWS_CLOSED, s.windowsClosed);
  setF64(words, H_RESET_SEQ, s.resetSeq);
  setF64(words, H_BEHAVIOR_TIER, s.behaviorTier);
  words[H_DENIAL_CURSOR] = u32(s.denialCursor, 'denialCursor');
  words[H_SESSION_CURSOR] = u32(s.sessionCursor, 'sessionCursor');
  s.baselines.forEach((b, i) => storeBaseline(p.doubles, BASELINES + i * BASELINE_WORDS, b));
  s.slow.forEach((b, i) => storeBaseline(p.doubles, SLOW + i * BASELINE_WORDS, b));
  s.drift.forEach((run, i) => writeRun(p, i, run));
  s.toolMix.forEach((v, i) => setF64(words, TOOL_MIX + 2 * i, v));
  words.set(s.seen, SEEN);
  for (let i = 0; i < RING_SIZE; i++) {
    const e = SESSIONS + i * SESSION_WORDS;
    const denied = s.sessions[i * 4 + 2]!;
    const ok = s.sessions[i * 4 + 3]!;
    if ((denied !== 0 && denied !== 1) || (ok !== 0 && ok !== 0.5 && ok !== 1)) {
      throw new RangeError(`profile state: session ${i} has outcome flags ${denied}, ${ok}`);
    }
    words[e] = u32(s.sessions[i * 4]!, 'session hash');
    words[e + 1] = sessionFlags(denied, ok);
    setF64(words, e + 2, s.sessions[i * 4 + 1]!);
  }
  if (layout.denials) {
    const at = words[H_DENIALS]!;
    for (let i = 0; i < RING_SIZE; i++) {
      const e = at + i * DENIAL_WORDS;
      words[e] = u32(s.denials[i * 3]!, 'denial action hash');
      words[e + 1] = u32(s.denials[i * 3 + 1]!, 'denial session hash');
      setF64(words, e + 2, s.denials[i * 3 + 2]!);
    }
  }
  if (layout.surprise) {
    const at = words[H_SURPRISE]!;
    s.surprise.forEach((v, i) => setF64(words, at + 2 * i, v));
  }
  s.windows.forEach((w, slot) => {
    const at = slotAt(slot);
    setF64(words, at + SLOT_START, w.start);
    setF64(words, at + SLOT_CALLS, w.calls);
    setF64(words, at + SLOT_DENIES, w.denies);
    setF64(words, at + SLOT_ERRORS, w.errors);
    setF64(words, at + SLOT_ENTROPY_SUM, w.entropySum);
    setF64(words, at + SLOT_BYTES_OUT, w.bytesOut);
    words[at + SLOT_FIRED] = w.fired;
    words[at + SLOT_LEVELS] = w.levels;
    words[at + SLOT_FINDINGS] = u32(w.findings, 'window findings');
    words[at + SLOT_SAMPLE_COUNT] = w.samples.length;
    words[at + SLOT_SAMPLE_CURSOR] = u32(w.sampleCursor, 'sample cursor');
    words.set(w.distinct, at + SLOT_DISTINCT);
    w.toolHist.forEach((v, b) => setHistAt(words, at, b, v));
  });
  words[H_WINDOW_COUNT] = s.windows.length;
  // The layout above fits every id, so these never move the array.
  s.windows.forEach((w, slot) => w.samples.forEach((id, i) => setSample(p, slot, i, id)));
  if (s.secrets.length > 0 || s.fragments.length > 0) {
    const x = extrasOf(p);
    x.secrets = s.secrets;
    x.fragments = s.fragments;
  }
  return p;
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

/**
 * A compact JSON text of the profile, for checkpoints. Doubles round-trip
 * exactly. Format 1, the unpacked form: the same text the monitor wrote
 * before profiles were packed, so replicas of either version read each other's
 * checkpoints.
 */
export function serializeProfile(profile: AgentProfile): string {
  const p = snapshotProfile(profile);
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
  return packProfile({
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
  });
}
