/** The behavioral metrics of one tumbling window. */
export const METRICS = [
  'calls',
  'deny_rate',
  'error_rate',
  'distinct_tools',
  'distinct_resources',
  'param_entropy',
  'bytes_out',
  'sessions',
] as const;
export type Metric = (typeof METRICS)[number];

export type MetricWeights = Readonly<Record<Metric, number>>;

export interface ProfileSettings {
  /** Event-time tumbling window size. At least 10 s. */
  readonly windowMs: number;
  /** How long after a window's end its late events are still counted in it. At most one window. */
  readonly allowedLatenessMs: number;
  /** EMA smoothing factor of every baseline. */
  readonly alpha: number;
  /** Robust z-score at or above which a metric spikes. */
  readonly sigma: number;
  /** Closed windows before any verdict (cold baseline: no verdict). */
  readonly warmupWindows: number;
  /** Weights of each metric's score in the composite anomaly score, each in [0, 1]. */
  readonly weights: MetricWeights;
  /** Composite score (0..1) at or above which an anomaly alert fires without any single spike. */
  readonly compositeThreshold: number;
  /** Calls a window needs before its rates (deny, error, entropy) are judged. */
  readonly minCallsForRates: number;
  /** Event ids kept per window as evidence. */
  readonly sampleSize: number;
  /** Slow drift: windows in the run, z of the rise against the slow baseline, minimum fit R². */
  readonly driftWindows: number;
  readonly driftSigma: number;
  readonly driftMinR2: number;
  /** Tool-mix divergence: Bray-Curtis dissimilarity threshold and calls needed to judge. */
  readonly toolMixThreshold: number;
  readonly toolMixMinCalls: number;
  /** Session cycling: sessions started within this span with changing outcomes. */
  readonly cyclingSpanMs: number;
  readonly cyclingMinSessions: number;
  /** Behavior reversal: a denied action allowed in another session within this span. */
  readonly reversalSpanMs: number;
  /** Secret recurrence: the same secret kind in this many sessions within the span. */
  readonly recurrenceMinSessions: number;
  readonly recurrenceSpanMs: number;
  /** Closed windows without findings before the behavior tier steps down by one. */
  readonly promotionWindows: number;
}

export const DEFAULT_WEIGHTS: MetricWeights = {
  calls: 1,
  deny_rate: 1,
  error_rate: 0.6,
  distinct_tools: 0.8,
  distinct_resources: 0.8,
  param_entropy: 0.6,
  bytes_out: 1,
  sessions: 0.8,
};

export const DEFAULT_PROFILE_SETTINGS: ProfileSettings = {
  windowMs: 60_000,
  allowedLatenessMs: 10_000,
  alpha: 0.2,
  sigma: 4,
  warmupWindows: 3,
  weights: DEFAULT_WEIGHTS,
  compositeThreshold: 0.8,
  minCallsForRates: 10,
  sampleSize: 5,
  driftWindows: 6,
  driftSigma: 2,
  driftMinR2: 0.8,
  toolMixThreshold: 0.6,
  toolMixMinCalls: 20,
  cyclingSpanMs: 10 * 60_000,
  cyclingMinSessions: 4,
  reversalSpanMs: 60 * 60_000,
  recurrenceMinSessions: 2,
  recurrenceSpanMs: 24 * 60 * 60_000,
  promotionWindows: 5,
};

/** Settings a tenant may override through the API (window size and lateness stay global). */
export const OVERRIDABLE_SETTINGS = [
  'alpha',
  'sigma',
  'warmupWindows',
  'weights',
  'compositeThreshold',
  'minCallsForRates',
  'driftWindows',
  'driftSigma',
  'driftMinR2',
  'toolMixThreshold',
  'toolMixMinCalls',
  'cyclingSpanMs',
  'cyclingMinSessions',
  'reversalSpanMs',
  'recurrenceMinSessions',
  'recurrenceSpanMs',
  'promotionWindows',
] as const;
export type OverridableSetting = (typeof OVERRIDABLE_SETTINGS)[number];
export type ProfileOverrides = Partial<
  Omit<Pick<ProfileSettings, OverridableSetting>, 'weights'> & { weights: Partial<MetricWeights> }
>;

/**
 * Every problem with a settings object, each naming the setting. Empty when
 * the settings are usable.
 */
export function profileSettingsProblems(s: ProfileSettings): string[] {
  const problems: string[] = [];
  const int = (name: keyof ProfileSettings, value: number, min: number, max: number) => {
    if (!Number.isInteger(value) || value < min || value > max) {
      problems.push(`${name} must be an integer in [${min}, ${max}], got ${value}`);
    }
  };
  const range = (name: string, value: number, min: number, max: number, minOpen = false) => {
    const ok = Number.isFinite(value) && (minOpen ? value > min : value >= min) && value <= max;
    if (!ok) {
      problems.push(`${name} must be in ${minOpen ? '(' : '['}${min}, ${max}], got ${value}`);
    }
  };
  int('windowMs', s.windowMs, 10_000, 86_400_000);
  int('allowedLatenessMs', s.allowedLatenessMs, 0, s.windowMs);
  range('alpha', s.alpha, 0, 1, true);
  range('sigma', s.sigma, 0, 100, true);
  int('warmupWindows', s.warmupWindows, 1, 10_000);
  for (const metric of METRICS) {
    range(`weights.${metric}`, s.weights[metric], 0, 1);
  }
  for (const key of Object.keys(s.weights)) {
    if (!(METRICS as readonly string[]).includes(key)) {
      problems.push(`weights.${key} is not a metric (one of ${METRICS.join(', ')})`);
    }
  }
  range('compositeThreshold', s.compositeThreshold, 0, 1, true);
  int('minCallsForRates', s.minCallsForRates, 1, 1_000_000);
  int('sampleSize', s.sampleSize, 0, 20);
  int('driftWindows', s.driftWindows, 3, 64);
  range('driftSigma', s.driftSigma, 0, 100, true);
  range('driftMinR2', s.driftMinR2, 0, 1);
  range('toolMixThreshold', s.toolMixThreshold, 0, 1, true);
  int('toolMixMinCalls', s.toolMixMinCalls, 1, 1_000_000);
  int('cyclingSpanMs', s.cyclingSpanMs, 1000, 7 * 86_400_000);
  int('cyclingMinSessions', s.cyclingMinSessions, 2, 8);
  int('reversalSpanMs', s.reversalSpanMs, 1000, 7 * 86_400_000);
  int('recurrenceMinSessions', s.recurrenceMinSessions, 2, 4);
  int('recurrenceSpanMs', s.recurrenceSpanMs, 1000, 30 * 86_400_000);
  int('promotionWindows', s.promotionWindows, 1, 10_000);
  return problems;
}

export function validateProfileSettings(s: ProfileSettings): ProfileSettings {
  const problems = profileSettingsProblems(s);
  if (problems.length > 0) {
    throw new RangeError(`invalid detector settings: ${problems.join('; ')}`);
  }
  return s;
}

/** Base settings with a tenant's overrides applied, validated. Unknown keys are refused by name. */
export function applyOverrides(
  base: ProfileSettings,
  overrides: ProfileOverrides,
): ProfileSettings {
  const unknown = Object.keys(overrides).filter(
    (k) => !(OVERRIDABLE_SETTINGS as readonly string[]).includes(k),
  );
  if (unknown.length > 0) {
    throw new RangeError(
      `invalid detector settings: ${unknown.map((k) => `${k} cannot be overridden`).join('; ')}`,
    );
  }
  const merged: ProfileSettings = {
    ...base,
    ...overrides,
    weights: { ...base.weights, ...(overrides.weights ?? {}) },
  };
  return validateProfileSettings(merged);
}
