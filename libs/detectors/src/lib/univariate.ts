import { type EmaBaseline, foldIntoBaseline, newBaseline } from './baseline';
import { type SurpriseScorer } from './surprise';

/**
 * The streaming detector every behavioral metric goes through (and the one the
 * NAB runner exercises): an EMA mean and variance of the metric's closed-window
 * values, a robust z-score of the current value against it, no verdict while
 * the baseline is cold.
 *
 * `count` metrics (calls, denials, distinct tools...) floor the deviation at
 * the Poisson sqrt(max(mean, 1)); `continuous` metrics (rates, entropy, bytes)
 * floor it at a fraction of the mean's magnitude plus an absolute epsilon, so
 * a perfectly flat series does not turn noise into infinite z-scores.
 */
export type MetricKind = 'count' | 'continuous';

export interface UnivariateSettings {
  /** EMA smoothing factor. */
  readonly alpha: number;
  /** Closed values needed before any verdict. */
  readonly warmup: number;
  /** z-score at or above which a value is anomalous. */
  readonly sigma: number;
  /** Only upward deviations count (spikes) when true; both directions otherwise. */
  readonly upwardOnly: boolean;
  /** Floor of the deviation of continuous metrics, relative to |mean|. */
  readonly relativeFloor: number;
  /** Absolute floor of the deviation of continuous metrics. */
  readonly absoluteFloor: number;
  /**
   * Clip values at the threshold before folding them into a warm baseline,
   * so a burst does not hide the next one. Off for series whose level shifts
   * should be absorbed quickly (the NAB runner).
   */
  readonly winsorize: boolean;
}

export const DEFAULT_UNIVARIATE_SETTINGS: UnivariateSettings = {
  alpha: 0.2,
  warmup: 3,
  sigma: 4,
  upwardOnly: true,
  relativeFloor: 0.1,
  absoluteFloor: 1e-6,
  winsorize: true,
};

export type UnivariateState = EmaBaseline;

export interface UnivariateVerdict {
  /** Robust z-score; 0 on a cold baseline. */
  readonly z: number;
  /** Anomaly score in [0, 1]: 0.5 at sigma, 1 at 3 sigma. 0 on a cold baseline. */
  readonly score: number;
  readonly warm: boolean;
  readonly mean: number;
  readonly stddev: number;
}

export class UnivariateDetector {
  constructor(
    readonly kind: MetricKind,
    readonly settings: UnivariateSettings = DEFAULT_UNIVARIATE_SETTINGS,
  ) {}

  newState(): UnivariateState {
    return newBaseline();
  }

  stddev(state: UnivariateState): number {
    const sd = Math.sqrt(Math.max(state.variance, 0));
    if (this.kind === 'count') {
      return Math.max(sd, Math.sqrt(Math.max(state.mean, 1)));
    }
    return Math.max(
      sd,
      this.settings.relativeFloor * Math.abs(state.mean),
      this.settings.absoluteFloor,
    );
  }

  /** Judges `value` against the baseline without changing it. */
  score(state: UnivariateState, value: number): UnivariateVerdict {
    const stddev = this.stddev(state);
    if (state.windows < this.settings.warmup) {
      return { z: 0, score: 0, warm: false, mean: state.mean, stddev };
    }
    const raw = (value - state.mean) / stddev;
    const z = this.settings.upwardOnly ? raw : Math.abs(raw);
    return {
      z: raw,
      score: zScoreToAnomaly(z, this.settings.sigma),
      warm: true,
      mean: state.mean,
      stddev,
    };
  }

  /**
   * Folds a closed value into the baseline. A warm baseline takes the value
   * clipped at its own threshold (winsorized), so one burst nudges the
   * baseline instead of inflating its variance and hiding the next burst,
   * while a lasting change of level still moves it a step at a time.
   * Without `winsorize`, the value is folded as it is.
   */
  fold(state: UnivariateState, value: number): void {
    if (this.settings.winsorize && state.windows >= this.settings.warmup) {
      const reach = this.settings.sigma * this.stddev(state);
      const clipped = Math.min(value, state.mean + reach);
      foldIntoBaseline(
        state,
        this.settings.upwardOnly ? clipped : Math.max(clipped, state.mean - reach),
        this.settings.alpha,
      );
      return;
    }
    foldIntoBaseline(state, value, this.settings.alpha);
  }
}

/** 0.5 at the threshold, 1 at three times it, linear between; below it, proportional. */
export function zScoreToAnomaly(z: number, sigma: number): number {
  if (z <= 0) {
    return 0;
  }
  if (z < sigma) {
    return (0.5 * z) / sigma;
  }
  return Math.min(1, 0.5 + (0.5 * (z - sigma)) / (2 * sigma));
}

/**
 * One step of a metric's stream, as the monitor takes it when a window closes
 * and the NAB runner takes it for every row: judge the value against the
 * baseline, feed the size of its deviation to the surprise scorer, then fold
 * the value into the baseline. Returns the surprise score (0 while the
 * baseline is cold).
 */
export function streamStep(
  detector: UnivariateDetector,
  baseline: UnivariateState,
  scorer: SurpriseScorer,
  surprise: Float64Array,
  offset: number,
  value: number,
): number {
  const verdict = detector.score(baseline, value);
  const score = verdict.warm ? scorer.observe(surprise, verdict.z, offset) : 0;
  detector.fold(baseline, value);
  return score;
}
