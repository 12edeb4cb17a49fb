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

export interface SurpriseState {
  short: number;
  mean: number;
  variance: number;
  seen: number;
  peak: number;
}

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

  newState(): SurpriseState {
    return { short: 0, mean: 0, variance: 0, seen: 0, peak: 0 };
  }

  /**
   * Takes the next deviation (|z|, any scale) and returns a score in [0, 1):
   * 0 until warm and whenever the recent deviation is at or below its usual
   * level, rising towards 1 as it gets more unusual.
   */
  observe(state: SurpriseState, deviation: number): number {
    const s = this.settings;
    const raw = Math.min(Math.abs(deviation), s.zCap);
    if (state.seen === 0) {
      // The first deviation seeds the short average, so a constant series reads as usual.
      state.short = raw;
    }
    state.short += s.shortAlpha * (raw - state.short);
    let score = 0;
    if (state.seen >= s.warmup) {
      const spread = Math.max(Math.sqrt(state.variance), 1e-3);
      const z = (state.short - state.mean) / spread;
      score = z > 0 ? z / (z + 10) : 0;
    }
    // A plain average until 1 / n falls to longAlpha, an exponential one after:
    // the long-term statistics are unbiased from the first deviation on.
    const alpha = Math.max(s.longAlpha, 1 / (state.seen + 1));
    const delta = raw - state.mean;
    state.mean += alpha * delta;
    state.variance = (1 - alpha) * (state.variance + alpha * delta * delta);
    state.seen++;

    const output = score > state.peak ? score : score * s.repeatFactor;
    state.peak = Math.max(score, state.peak * s.peakDecay);
    return output;
  }
}
