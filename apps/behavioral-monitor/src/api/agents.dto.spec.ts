import {
  applyOverrides,
  DEFAULT_PROFILE_SETTINGS,
  METRICS,
  OVERRIDABLE_SETTINGS,
} from '@ward/detectors';
import {
  PutSettingsContract,
  PutSettingsDocumented,
  SETTING_OVERRIDES,
  weightsShapeProblem,
} from './agents.dto';

interface Bounds {
  type: string;
  minimum: number;
  maximum: number;
  exclusiveMinimum?: boolean;
}

const accepted = (overrides: Record<string, unknown>) => {
  try {
    applyOverrides(DEFAULT_PROFILE_SETTINGS, overrides);
    return true;
  } catch (error) {
    if (error instanceof RangeError) {
      return false;
    }
    throw error;
  }
};

/** Values on and just beyond each documented bound, and whether the document accepts them. */
function probes(b: Bounds): [number, boolean][] {
  const step = b.type === 'integer' ? 1 : 1e-6;
  return [
    [b.minimum, b.exclusiveMinimum !== true],
    [b.minimum + step, true],
    [b.minimum - step, false],
    [b.maximum, true],
    [b.maximum + step, false],
    ...(b.type === 'integer' ? ([[b.maximum - 0.5, false]] as [number, boolean][]) : []),
  ];
}

describe('documented detector-settings overrides', () => {
  it('name exactly the settings a tenant may override', () => {
    expect(Object.keys(SETTING_OVERRIDES).sort()).toEqual([...OVERRIDABLE_SETTINGS].sort());
    expect(accepted({ windowMs: 120_000 })).toBe(false);
  });

  it.each(Object.keys(SETTING_OVERRIDES).filter((k) => k !== 'weights'))(
    '%s: the document’s range is the one applyOverrides enforces',
    (setting) => {
      const schema = SETTING_OVERRIDES[setting as keyof typeof SETTING_OVERRIDES] as unknown;
      for (const [value, documented] of probes(schema as Bounds)) {
        expect({ setting, value, accepted: accepted({ [setting]: value }) }).toEqual({
          setting,
          value,
          accepted: documented,
        });
      }
    },
  );

  it('weights: every metric in [0, 1], nothing else', () => {
    for (const metric of METRICS) {
      for (const [value, documented] of probes({ type: 'number', minimum: 0, maximum: 1 })) {
        expect({ metric, value, ok: accepted({ weights: { [metric]: value } }) }).toEqual({
          metric,
          value,
          ok: documented,
        });
      }
    }
    expect(accepted({ weights: { not_a_metric: 0.5 } })).toBe(false);
  });

  it('weights: anything but an object is refused, naming the setting (applyOverrides would spread it)', () => {
    for (const weights of [null, 5, true, [], [0.5], 'calls']) {
      expect(
        PutSettingsContract.validate({ overrides: { weights }, reason: 'r', actor: 'a' }).ok,
      ).toBe(true);
      expect(weightsShapeProblem({ weights })).toMatch(/weights must be an object/);
    }
    expect(accepted({ weights: null })).toBe(true);
    expect(weightsShapeProblem({ weights: { calls: 0.5 } })).toBeUndefined();
    expect(weightsShapeProblem({ sigma: 6 })).toBeUndefined();
  });

  it('every documented body passes the request contract the handler checks first', () => {
    const body = {
      overrides: { sigma: 6, weights: { calls: 0.5 }, driftWindows: 64, cyclingSpanMs: 1000 },
      reason: 'noisy fleet',
      actor: 'alice',
    };
    expect(Object.keys(PutSettingsDocumented.properties)).toEqual(['overrides', 'reason', 'actor']);
    expect(PutSettingsContract.validate(body).ok).toBe(true);
    expect(accepted(body.overrides)).toBe(true);
  });
});
