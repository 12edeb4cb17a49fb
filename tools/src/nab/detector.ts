import {
  DEFAULT_SURPRISE_SETTINGS,
  DEFAULT_UNIVARIATE_SETTINGS,
  SurpriseScorer,
  type SurpriseSettings,
  UnivariateDetector,
  type UnivariateSettings,
} from '@ward/detectors';

/**
 * The one parameter set NAB runs with, for every file: the monitor's
 * UnivariateDetector (continuous metric, both directions) feeding its
 * deviations to the SurpriseScorer.
 */
export interface NabParameters {
  readonly univariate: UnivariateSettings;
  readonly surprise: SurpriseSettings;
}

export const NAB_PARAMETERS: NabParameters = {
  univariate: { ...DEFAULT_UNIVARIATE_SETTINGS, alpha: 0.01, upwardOnly: false, winsorize: false },
  surprise: DEFAULT_SURPRISE_SETTINGS,
};

/** Scores one series row by row, in order, never looking ahead. */
export function scoreSeries(
  values: readonly number[],
  parameters: NabParameters = NAB_PARAMETERS,
): number[] {
  const detector = new UnivariateDetector('continuous', parameters.univariate);
  const surprise = new SurpriseScorer(parameters.surprise);
  const baseline = detector.newState();
  const recent = surprise.newState();
  const scores: number[] = [];
  for (const value of values) {
    const verdict = detector.score(baseline, value);
    scores.push(verdict.warm ? surprise.observe(recent, verdict.z) : 0);
    detector.fold(baseline, value);
  }
  return scores;
}
