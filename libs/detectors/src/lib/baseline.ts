/** Exponentially weighted mean and variance of one metric. */
export interface EmaBaseline {
  mean: number;
  variance: number;
  /** Windows folded in so far; a baseline with fewer than the warm-up count gives no verdict. */
  windows: number;
}

export function newBaseline(): EmaBaseline {
  return { mean: 0, variance: 0, windows: 0 };
}

/**
 * West's incremental EWMA/EWMVar: the first sample seeds the mean; later ones
 * move it by alpha of their deviation.
 */
export function foldIntoBaseline(baseline: EmaBaseline, value: number, alpha: number): void {
  if (baseline.windows === 0) {
    baseline.mean = value;
    baseline.variance = 0;
    baseline.windows = 1;
    return;
  }
  const diff = value - baseline.mean;
  const increment = alpha * diff;
  baseline.mean += increment;
  baseline.variance = (1 - alpha) * (baseline.variance + diff * increment);
  baseline.windows += 1;
}

// (1 - alpha)^n is below 1e-4 of the old weight after this many zero windows at
// alpha >= 0.2, so folding more of them changes nothing measurable.
const MAX_ZERO_FOLDS = 64;

/** Folds `count` windows in which the metric was zero (an agent that went quiet). */
export function foldZeros(baseline: EmaBaseline, count: number, alpha: number): void {
  const folds = Math.min(count, MAX_ZERO_FOLDS);
  for (let i = 0; i < folds; i++) {
    foldIntoBaseline(baseline, 0, alpha);
  }
  baseline.windows += count - folds;
}

/**
 * Deviation used for the z-score: the EMA standard deviation, floored at the
 * Poisson deviation sqrt(max(mean, 1)) so a perfectly regular agent (variance
 * near zero) does not turn one extra call into an extreme score.
 */
export function flooredStddev(baseline: EmaBaseline): number {
  return Math.max(Math.sqrt(Math.max(baseline.variance, 0)), Math.sqrt(Math.max(baseline.mean, 1)));
}

export function robustZScore(value: number, baseline: EmaBaseline): number {
  return (value - baseline.mean) / flooredStddev(baseline);
}
