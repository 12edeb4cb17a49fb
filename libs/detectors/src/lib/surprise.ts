/**
 * Anomaly likelihood on top of a stream of deviations (z-scores): how unusual
 * is the recent level of deviation compared with the deviations this series
 * usually shows? A noisy series that is always a few sigmas off stops
 * alarming; a quiet one that suddenly deviates alarms at once. After Ahmad et
 * al., "Unsupervised real-time anomaly detection for streaming data" (2017),
 * with O(1) state: exponential averages instead of sliding windows.
 *
 * The score is also damped while it does not exceed its own recent peak (a
 * peak that decays geometrically), so one sustained change yields one strong
 * signal at its onset rather than a plateau of them: the same idea as the
 * monitor's per-detector cooldown, expressed on the score.
 */
export interface SurpriseSettings {
  /** Smoothing of the short-term average of deviations. */
  readonly shortAlpha: number;
  /** Smoothing of the long-term mean and variance of that average. */
  readonly longAlpha: number;
  /** Deviations observed before any score. */
  readonly warmup: number;
  /** Deviations are capped here so one outlier cannot poison the long-term variance. */
  readonly zCap: number;
  /** Per-step decay of the remembered peak score, in (0, 1). */
  readonly peakDecay: number;
  /** Factor applied to a score that does not exceed the remembered peak, in [0, 1]. */
  readonly repeatFactor: number;
}

export const DEFAULT_SURPRISE_SETTINGS: SurpriseSettings = {
  shortAlpha: 0.5,
  longAlpha: 0.0005,
  warmup: 50,
  zCap: 20,
  peakDecay: 0.995,
  repeatFactor: 0.5,
};

/**
 * State of one series: [short, mean, variance, seen, peak], kept in a
 * Float64Array so a profile holds all its metrics' states in one buffer.
 */
export const SURPRISE_STATE_SIZE = 5;
const SHORT = 0;
const MEAN = 1;
const VARIANCE = 2;
const SEEN = 3;
const PEAK = 4;

export function surpriseSettingsProblems(settings: SurpriseSettings): string[] {
  const problems: string[] = [];
  const unit = (name: keyof SurpriseSettings, open: boolean): void => {
    const value = settings[name];
    if (
      !Number.isFinite(value) ||
      value < 0 ||
      value > 1 ||
      (open && (value === 0 || value === 1))
    ) {
      problems.push(`${name} must be in ${open ? '(0, 1)' : '[0, 1]'} (got ${value})`);
    }
  };
  unit('shortAlpha', true);
  unit('longAlpha', true);
  unit('peakDecay', true);
  unit('repeatFactor', false);
  if (!Number.isInteger(settings.warmup) || settings.warmup < 1) {
    problems.push(`warmup must be a positive integer (got ${settings.warmup})`);
  }
  if (!(settings.zCap > 0)) {
    problems.push(`zCap must be positive (got ${settings.zCap})`);
  }
  return problems;
}

export class SurpriseScorer {
  constructor(readonly settings: SurpriseSettings = DEFAULT_SURPRISE_SETTINGS) {
    const problems = surpriseSettingsProblems(settings);
    if (problems.length > 0) {
      throw new Error(`invalid surprise settings: ${problems.join('; ')}`);
    }
  }

  /** State for `series` series, side by side. */
  newState(series = 1): Float64Array {
    return new Float64Array(SURPRISE_STATE_SIZE * series);
  }

  /**
   * Takes the next deviation (|z|, any scale) of the series whose state starts
   * at `offset` and returns a score in [0, 1): 0 until warm and whenever the
   * recent deviation is at or below its usual level, rising towards 1 as it
   * gets more unusual.
   */
  observe(state: Float64Array, deviation: number, offset = 0): number {
    const s = this.settings;
    const raw = Math.min(Math.abs(deviation), s.zCap);
    const seen = state[offset + SEEN]!;
    if (seen === 0) {
      // The first deviation seeds the short average, so a constant series reads as usual.
      state[offset + SHORT] = raw;
    }
    const short = state[offset + SHORT]! + s.shortAlpha * (raw - state[offset + SHORT]!);
    state[offset + SHORT] = short;
    let mean = state[offset + MEAN]!;
    let variance = state[offset + VARIANCE]!;
    let score = 0;
    if (seen >= s.warmup) {
      const spread = Math.max(Math.sqrt(variance), 1e-3);
      const z = (short - mean) / spread;
      score = z > 0 ? z / (z + 10) : 0;
    }
    // A plain average until 1 / n falls to longAlpha, an exponential one after:
    // the long-term statistics are unbiased from the first deviation on.
    const alpha = Math.max(s.longAlpha, 1 / (seen + 1));
    const delta = raw - mean;
    mean += alpha * delta;
    variance = (1 - alpha) * (variance + alpha * delta * delta);
    state[offset + MEAN] = mean;
    state[offset + VARIANCE] = variance;
    state[offset + SEEN] = seen + 1;

    const peak = state[offset + PEAK]!;
    const output = score > peak ? score : score * s.repeatFactor;
    state[offset + PEAK] = Math.max(score, peak * s.peakDecay);
    return output;
  }
}
