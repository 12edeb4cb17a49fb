import { CallRateDetector, type CallRateSettings, type CallRateVerdict } from './call-rate';

const WINDOW = 60_000;
const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const settings: CallRateSettings = {
  windowMs: WINDOW,
  alpha: 0.2,
  sigma: 4,
  warmupWindows: 3,
  sampleSize: 5,
};

/** Events spread evenly through consecutive windows, `perWindow[i]` in window i. */
function series(perWindow: number[]): { eventId: string; timestampMs: number }[] {
  return perWindow.flatMap((count, w) =>
    Array.from({ length: count }, (_, i) => ({
      eventId: `w${w}c${i}`,
      timestampMs: T0 + w * WINDOW + Math.floor(((i + 0.5) * WINDOW) / count),
    })),
  );
}

function run(
  sut: CallRateDetector,
  events: { eventId: string; timestampMs: number }[],
): CallRateVerdict[] {
  const state = sut.newState(events[0]!.timestampMs);
  return events.map((e) => sut.observe(state, e));
}

describe(CallRateDetector.name, () => {
  it('fires mid-window on the event that crosses the threshold', () => {
    const sut = new CallRateDetector(settings);
    const verdicts = run(sut, series([10, 10, 10, 40]));
    const spikes = verdicts.filter((v) => v.kind === 'spike');
    expect(spikes).toHaveLength(1);
    const spike = spikes[0]!;
    if (spike.kind !== 'spike') {
      throw new Error('unreachable');
    }
    // baseline mean 10, floored stddev sqrt(10): threshold count is 10 + 4*3.162 = 22.6
    expect(spike.count).toBe(23);
    expect(spike.windowStart).toBe(T0 + 3 * WINDOW);
    expect(spike.observedAt).toBeLessThan(spike.windowEnd);
    expect(spike.baselineMean).toBeCloseTo(10, 6);
    expect(spike.zScore).toBeGreaterThanOrEqual(4);
    expect(spike.sampleEventIds).toEqual(['w3c18', 'w3c19', 'w3c20', 'w3c21', 'w3c22']);
  });

  it('gives no verdict before the warm-up windows have closed', () => {
    const sut = new CallRateDetector(settings);
    const verdicts = run(sut, series([2, 2, 200]));
    expect(verdicts.every((v) => v.kind === 'counted')).toBe(true);
  });

  it('stays quiet for a steady agent', () => {
    const sut = new CallRateDetector(settings);
    const perWindow = Array.from({ length: 50 }, (_, i) => 20 + ((i * 7) % 5));
    expect(run(sut, series(perWindow)).some((v) => v.kind === 'spike')).toBe(false);
  });

  it('alerts once per window however long the burst goes on', () => {
    const sut = new CallRateDetector(settings);
    const spikes = run(sut, series([5, 5, 5, 100])).filter((v) => v.kind === 'spike');
    expect(spikes).toHaveLength(1);
  });

  it('keeps a burst from inflating the baseline enough to hide the next one', () => {
    const sut = new CallRateDetector(settings);
    const spikes = run(sut, series([8, 9, 8, 60, 70])).filter((v) => v.kind === 'spike');
    expect(spikes.map((s) => (s.kind === 'spike' ? s.windowStart : 0))).toEqual([
      T0 + 3 * WINDOW,
      T0 + 4 * WINDOW,
    ]);
  });

  it('lets a lasting change of level move the baseline until it is normal again', () => {
    const sut = new CallRateDetector(settings);
    const verdicts = run(sut, series([10, 10, 10, ...Array<number>(30).fill(40)]));
    const lastSpike = verdicts.reduce((last, v, i) => (v.kind === 'spike' ? i : last), -1);
    const lastWindowStart = series([10, 10, 10, ...Array<number>(30).fill(40)])[lastSpike]!
      .timestampMs;
    expect(lastWindowStart).toBeLessThan(T0 + 20 * WINDOW);
  });

  it('counts quiet windows as zeros in the baseline', () => {
    const sut = new CallRateDetector(settings);
    const state = sut.newState(T0);
    for (const e of series([10, 10, 10])) {
      sut.observe(state, e);
    }
    sut.observe(state, { eventId: 'late-gap', timestampMs: T0 + 10 * WINDOW });
    // windows 0-2 hold 10 calls each; windows 3-9 were empty and fold as zeros
    expect(state.baseline.windows).toBe(10);
    expect(state.baseline.mean).toBeCloseTo(10 * 0.8 ** 7, 6);
  });

  it('reports events older than the open window as late instead of counting them', () => {
    const sut = new CallRateDetector(settings);
    const state = sut.newState(T0);
    sut.observe(state, { eventId: 'a', timestampMs: T0 + WINDOW + 5 });
    const verdict = sut.observe(state, { eventId: 'b', timestampMs: T0 + 5 });
    expect(verdict).toEqual({ kind: 'late', windowStart: T0 });
    expect(state.count).toBe(1);
  });

  it('gives the same verdicts whatever the batching, because state is per event', () => {
    const events = series([8, 9, 11, 10, 60, 12, 10]);
    const whole = run(new CallRateDetector(settings), events);
    const sut = new CallRateDetector(settings);
    const state = sut.newState(events[0]!.timestampMs);
    const chunked: CallRateVerdict[] = [];
    for (let i = 0; i < events.length; i += 7) {
      chunked.push(...events.slice(i, i + 7).map((e) => sut.observe(state, e)));
    }
    expect(chunked).toEqual(whole);
  });

  it('refuses invalid settings by name', () => {
    expect(() => new CallRateDetector({ ...settings, windowMs: 500 })).toThrow(/windowMs/);
    expect(() => new CallRateDetector({ ...settings, alpha: 0 })).toThrow(/alpha/);
    expect(() => new CallRateDetector({ ...settings, sigma: -1 })).toThrow(/sigma/);
    expect(() => new CallRateDetector({ ...settings, warmupWindows: 0 })).toThrow(/warmupWindows/);
  });
});
