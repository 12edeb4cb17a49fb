import { flooredStddev, foldIntoBaseline, foldZeros, newBaseline, robustZScore } from './baseline';

describe('EMA baseline', () => {
  it('seeds with the first value and follows with weight alpha', () => {
    const sut = newBaseline();
    foldIntoBaseline(sut, 10, 0.2);
    expect(sut).toEqual({ mean: 10, variance: 0, windows: 1 });
    foldIntoBaseline(sut, 20, 0.2);
    expect(sut.mean).toBeCloseTo(12, 10);
    // (1 - a) * (0 + d * a * d) = 0.8 * 10 * 2
    expect(sut.variance).toBeCloseTo(16, 10);
  });

  it('floors the deviation at the Poisson sqrt(max(mean, 1))', () => {
    const sut = { mean: 16, variance: 0, windows: 5 };
    expect(flooredStddev(sut)).toBe(4);
    expect(robustZScore(24, sut)).toBe(2);
    expect(flooredStddev({ mean: 0.1, variance: 0, windows: 5 })).toBe(1);
    expect(flooredStddev({ mean: 4, variance: 100, windows: 5 })).toBe(10);
  });

  it('folds long silences in bounded time', () => {
    const sut = { mean: 10, variance: 4, windows: 3 };
    foldZeros(sut, 1_000_000, 0.2);
    expect(sut.windows).toBe(1_000_003);
    expect(sut.mean).toBeLessThan(1e-5);
  });
});
