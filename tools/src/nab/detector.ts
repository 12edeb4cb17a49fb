import {
  DEFAULT_SURPRISE_SETTINGS,
  DEFAULT_UNIVARIATE_SETTINGS,
  streamStep,
  SurpriseScorer,
  type SurpriseSettings,
  UnivariateDetector,
  type UnivariateSettings,
} from '@ward/detectors';

/**
 * The one parameter set NAB runs with, for every file. Each row goes through
 * `streamStep`, the function the monitor applies to every metric when a window
 * closes: UnivariateDetector (here a continuous metric, both directions)
 * feeding its deviations to the SurpriseScorer.
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
  return values.map((value) => streamStep(detector, baseline, surprise, recent, 0, value));
}
