import {
  type EmaBaseline,
  flooredStddev,
  foldIntoBaseline,
  foldZeros,
  newBaseline,
  robustZScore,
} from './baseline';

export interface CallRateSettings {
  /** Tumbling window size in event time. */
  readonly windowMs: number;
  /** EMA smoothing factor for the per-agent baseline. */
  readonly alpha: number;
  /** z-score at or above which the open window is a spike. */
  readonly sigma: number;
  /** Closed windows needed before any verdict. */
  readonly warmupWindows: number;
  /** How many event ids of the open window to keep as evidence. */
  readonly sampleSize: number;
}

export const DEFAULT_CALL_RATE_SETTINGS: CallRateSettings = {
  windowMs: 60_000,
  alpha: 0.2,
  sigma: 4,
  warmupWindows: 3,
  sampleSize: 10,
};

/** Per-agent state: the open window and the baseline of closed ones. */
export interface CallRateState {
  windowStart: number;
  count: number;
  baseline: EmaBaseline;
  /** Start of the window that already fired, so one window alerts once. */
  firedWindowStart: number;
  /** Ring of the open window's most recent event ids. */
  samples: string[];
  sampleCursor: number;
}

export interface CallObservation {
  readonly eventId: string;
  readonly timestampMs: number;
}

export interface CallRateSpike {
  readonly kind: 'spike';
  readonly windowStart: number;
  readonly windowEnd: number;
  readonly observedAt: number;
  readonly count: number;
  readonly baselineMean: number;
  readonly baselineStddev: number;
  readonly baselineWindows: number;
  readonly zScore: number;
  readonly sigma: number;
  readonly sampleEventIds: readonly string[];
}

export type CallRateVerdict =
  | { readonly kind: 'counted' }
  | { readonly kind: 'late'; readonly windowStart: number }
  | CallRateSpike;

const COUNTED: CallRateVerdict = { kind: 'counted' };

/**
 * Event-time tumbling-window call counter with an EMA baseline. A window is
 * judged as events arrive, so a burst fires as soon as the open window's count
 * crosses the threshold instead of when the window closes. Verdicts depend only
 * on the order of one agent's events, never on how they were batched.
 */
export class CallRateDetector {
  constructor(readonly settings: CallRateSettings = DEFAULT_CALL_RATE_SETTINGS) {
    validateCallRateSettings(settings);
  }

  newState(firstTimestampMs: number): CallRateState {
    return {
      windowStart: this.windowOf(firstTimestampMs),
      count: 0,
      baseline: newBaseline(),
      firedWindowStart: Number.NEGATIVE_INFINITY,
      samples: [],
      sampleCursor: 0,
    };
  }

  windowOf(timestampMs: number): number {
    return Math.floor(timestampMs / this.settings.windowMs) * this.settings.windowMs;
  }

  observe(state: CallRateState, event: CallObservation): CallRateVerdict {
    const { windowMs, alpha, sigma, warmupWindows } = this.settings;
    const window = this.windowOf(event.timestampMs);
    if (window < state.windowStart) {
      return { kind: 'late', windowStart: window };
    }
    if (window > state.windowStart) {
      foldIntoBaseline(state.baseline, this.winsorized(state), alpha);
      const skipped = (window - state.windowStart) / windowMs - 1;
      if (skipped > 0) {
        foldZeros(state.baseline, skipped, alpha);
      }
      state.windowStart = window;
      state.count = 0;
      state.samples.length = 0;
      state.sampleCursor = 0;
    }
    state.count += 1;
    this.remember(state, event.eventId);

    if (state.baseline.windows < warmupWindows || state.firedWindowStart === window) {
      return COUNTED;
    }
    const z = robustZScore(state.count, state.baseline);
    if (z < sigma) {
      return COUNTED;
    }
    state.firedWindowStart = window;
    return {
      kind: 'spike',
      windowStart: window,
      windowEnd: window + windowMs,
      observedAt: event.timestampMs,
      count: state.count,
      baselineMean: state.baseline.mean,
      baselineStddev: flooredStddev(state.baseline),
      baselineWindows: state.baseline.windows,
      zScore: z,
      sigma,
      sampleEventIds: this.samplesInOrder(state),
    };
  }

  /**
   * A warm baseline takes a closed window's count clipped at its own threshold
   * (mean + sigma * deviation). One burst then nudges the baseline instead of
   * blowing up its variance and hiding the next burst, while a lasting change
   * of level still moves it, a step at a time.
   */
  private winsorized(state: CallRateState): number {
    if (state.baseline.windows < this.settings.warmupWindows) {
      return state.count;
    }
    const ceiling = state.baseline.mean + this.settings.sigma * flooredStddev(state.baseline);
    return Math.min(state.count, ceiling);
  }

  private remember(state: CallRateState, eventId: string): void {
    const size = this.settings.sampleSize;
    if (state.samples.length < size) {
      state.samples.push(eventId);
    } else if (size > 0) {
      state.samples[state.sampleCursor] = eventId;
      state.sampleCursor = (state.sampleCursor + 1) % size;
    }
  }

  private samplesInOrder(state: CallRateState): string[] {
    return [
      ...state.samples.slice(state.sampleCursor),
      ...state.samples.slice(0, state.sampleCursor),
    ];
  }
}

export function validateCallRateSettings(s: CallRateSettings): void {
  const problems: string[] = [];
  if (!Number.isInteger(s.windowMs) || s.windowMs < 1000) {
    problems.push(`windowMs must be an integer of at least 1000, got ${s.windowMs}`);
  }
  if (!(s.alpha > 0 && s.alpha <= 1)) {
    problems.push(`alpha must be in (0, 1], got ${s.alpha}`);
  }
  if (!(s.sigma > 0)) {
    problems.push(`sigma must be positive, got ${s.sigma}`);
  }
  if (!Number.isInteger(s.warmupWindows) || s.warmupWindows < 1) {
    problems.push(`warmupWindows must be a positive integer, got ${s.warmupWindows}`);
  }
  if (!Number.isInteger(s.sampleSize) || s.sampleSize < 0 || s.sampleSize > 20) {
    problems.push(`sampleSize must be an integer in [0, 20], got ${s.sampleSize}`);
  }
  if (problems.length > 0) {
    throw new RangeError(problems.join('; '));
  }
}
