import {
  DEFAULT_SURPRISE_SETTINGS,
  SURPRISE_STATE_SIZE,
  SurpriseScorer,
  surpriseSettingsProblems,
} from './surprise';

const settings = { ...DEFAULT_SURPRISE_SETTINGS, warmup: 5, longAlpha: 0.1, shortAlpha: 0.5 };

describe('SurpriseScorer', () => {
  it('gives no verdict while cold', () => {
    const scorer = new SurpriseScorer(settings);
    const state = scorer.newState();
    const scores = [0, 0, 0, 0, 50].map((d) => scorer.observe(state, d));
    expect(scores).toEqual([0, 0, 0, 0, 0]);
  });

  it('stays at zero on a series whose deviations never change (zero variance)', () => {
    const scorer = new SurpriseScorer(settings);
    const state = scorer.newState();
    const scores = Array.from({ length: 40 }, () => scorer.observe(state, 1));
    expect(scores.every((s) => s === 0)).toBe(true);
  });

  it('scores a 50x jump in deviation near 1, and by hand on the first warm step', () => {
    const scorer = new SurpriseScorer(settings);
    const state = scorer.newState();
    for (let i = 0; i < 5; i++) {
      scorer.observe(state, 1);
    }
    // The first deviation seeds the averages at 1 and nothing varies, so the
    // spread is its floor (1e-3); the jump is capped at zCap 20: short = 1 + 0.5 * 19.
    const short = 10.5;
    expect(state[2]).toBe(0); // variance
    const mean = state[1]!;
    const spread = 1e-3;
    const z = (short - mean) / spread;
    expect(scorer.observe(state, 50)).toBeCloseTo(z / (z + 10), 12);
    expect(z).toBeCloseTo(9500, 6); // (10.5 - 1) / 1e-3
    expect(z / (z + 10)).toBeGreaterThan(0.998);
  });

  it('damps a score that does not exceed its recent peak, so a plateau alarms once', () => {
    const scorer = new SurpriseScorer({ ...settings, repeatFactor: 0.5, peakDecay: 0.9 });
    const state = scorer.newState();
    for (let i = 0; i < 30; i++) {
      scorer.observe(state, i % 2);
    }
    const onset = scorer.observe(state, 10);
    const next = scorer.observe(state, 10);
    expect(onset).toBeGreaterThan(0);
    // The second step's undamped score is lower than the onset's (the long-term
    // statistics have absorbed part of it), so it is halved.
    expect(next).toBeLessThan(onset * 0.5 + 1e-12);
  });

  it('does not alarm on a slow ramp of deviations as it would on a jump', () => {
    const ramp = new SurpriseScorer(settings);
    const rampState = ramp.newState();
    let rampMax = 0;
    for (let i = 0; i < 200; i++) {
      rampMax = Math.max(rampMax, ramp.observe(rampState, 1 + i * 0.01));
    }
    const jump = new SurpriseScorer(settings);
    const jumpState = jump.newState();
    let jumpMax = 0;
    for (let i = 0; i < 200; i++) {
      jumpMax = Math.max(jumpMax, jump.observe(jumpState, i < 199 ? 1 + (i % 2) * 0.01 : 3));
    }
    expect(jumpMax).toBeGreaterThan(rampMax);
  });

  it('keeps series side by side in one buffer independent', () => {
    const scorer = new SurpriseScorer(settings);
    const both = scorer.newState(2);
    const alone = scorer.newState();
    const a: number[] = [];
    const b: number[] = [];
    for (let i = 0; i < 30; i++) {
      a.push(scorer.observe(both, i === 20 ? 9 : 1, 0));
      scorer.observe(both, 5, SURPRISE_STATE_SIZE);
      b.push(scorer.observe(alone, i === 20 ? 9 : 1));
    }
    expect(a).toEqual(b);
  });

  it('refuses bad settings by name', () => {
    expect(
      surpriseSettingsProblems({ ...DEFAULT_SURPRISE_SETTINGS, shortAlpha: 0, warmup: 0.5 }),
    ).toEqual([
      'shortAlpha must be in (0, 1) (got 0)',
      'warmup must be a positive integer (got 0.5)',
    ]);
    expect(() => new SurpriseScorer({ ...DEFAULT_SURPRISE_SETTINGS, peakDecay: 1 })).toThrow(
      /peakDecay must be in \(0, 1\)/,
    );
  });
});
