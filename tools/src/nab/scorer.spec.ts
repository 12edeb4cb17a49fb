import {
  PROFILES,
  probationaryRows,
  scaledSigmoid,
  scoreCorpus,
  type ScoredFile,
  windowsToRows,
} from './scorer';

const [standard, lowFp, lowFn] = PROFILES as [
  (typeof PROFILES)[0],
  (typeof PROFILES)[0],
  (typeof PROFILES)[0],
];

/** Ten rows (probation: floor(1.5) = 1 row), one window over rows 4..6 (width 3). */
function file(detections: Record<number, number>): ScoredFile {
  const scores = Array.from({ length: 10 }, (_, i) => detections[i] ?? 0);
  return { name: 'hand.csv', scores, windows: [[4, 6]] };
}

// Hand-computed values:
//   s(-1)   = 2 / (1 + e^-5) - 1      = 0.9866142982
//   s(-2/3) = 2 / (1 + e^(-10/3)) - 1 = 0.9311096086  -> scaled 0.9437396750
//   s(1)    = 2 / (1 + e^5) - 1       = -0.9866142982
const S_MINUS_ONE = 0.9866142982;
const MID_WINDOW = 0.931109609 / S_MINUS_ONE;

describe('NAB scorer', () => {
  it('implements the scaled sigmoid and its cut-off three widths past a window', () => {
    expect(scaledSigmoid(-1)).toBeCloseTo(S_MINUS_ONE, 9);
    expect(scaledSigmoid(0)).toBe(0);
    expect(scaledSigmoid(1)).toBeCloseTo(-S_MINUS_ONE, 9);
    expect(scaledSigmoid(3.01)).toBe(-1);
  });

  it('makes 15% of a file probationary, at most 750 rows', () => {
    expect(probationaryRows(10)).toBe(1);
    expect(probationaryRows(4032)).toBe(604);
    expect(probationaryRows(22695)).toBe(750);
  });

  it('maps timestamp windows onto inclusive row ranges', () => {
    expect(windowsToRows([0, 10, 20, 30, 40], [[10, 30]])).toEqual([[1, 3]]);
    expect(windowsToRows([0, 10, 20], [[100, 200]])).toEqual([]);
  });

  it('gives exactly A_TP for a detection at the left edge of a window', () => {
    const result = scoreCorpus([file({ 4: 0.9 })], standard);
    expect(result.raw).toBeCloseTo(1, 9);
    expect(result.normalized).toBeCloseTo(100, 9);
    expect(result.truePositives).toBe(1);
  });

  it('scores a mid-window detection by its position, and counts only the first detection', () => {
    const once = scoreCorpus([file({ 5: 0.9 })], standard);
    expect(once.raw).toBeCloseTo(MID_WINDOW, 6); // p = -(6 - 5 + 1) / 3 = -2/3
    expect(once.normalized).toBeCloseTo((100 * (MID_WINDOW + 1)) / 2, 4); // 97.187
    const twice = scoreCorpus([file({ 5: 0.9, 6: 0.9 })], standard);
    expect(twice.raw).toBeCloseTo(once.raw, 9);
  });

  it('charges a detection before any window the full A_FP and picks the threshold that avoids it', () => {
    // At 0.9 only the window is hit (0.94374); at 0.8 the early row costs 0.11 as well.
    const result = scoreCorpus([file({ 2: 0.8, 5: 0.9 })], standard);
    expect(result.threshold).toBe(0.9);
    expect(result.falsePositives).toBe(0);
    expect(result.raw).toBeCloseTo(MID_WINDOW, 6);
  });

  it('charges a detection after a window by its distance: q = |6 - 8| / (3 - 1) = 1', () => {
    const result = scoreCorpus([file({ 5: 0.9, 8: 0.9 })], standard);
    const expected = MID_WINDOW + 0.11 * -S_MINUS_ONE; // 0.835211
    expect(result.raw).toBeCloseTo(expected, 6);
    expect(result.normalized).toBeCloseTo((100 * (expected + 1)) / 2, 4); // 91.761
    expect(result.falsePositives).toBe(1);

    const fp = scoreCorpus([file({ 5: 0.9, 8: 0.9 })], lowFp);
    expect(fp.raw).toBeCloseTo(MID_WINDOW + 0.22 * -S_MINUS_ONE, 6); // 0.726666
    const fn = scoreCorpus([file({ 5: 0.9, 8: 0.9 })], lowFn);
    expect(fn.nullScore).toBe(-2);
    expect(fn.normalized).toBeCloseTo((100 * (expected + 2)) / 3, 4); // 94.507
  });

  it('ignores probationary rows; at threshold 0 every later row is a detection', () => {
    // Row 0 (probationary) fires at 1: ignored, so that threshold scores -1 (window missed).
    // Threshold 0 detects every row from 1 on: the window at its left edge (+1), rows 1-3
    // before any window (3 x -0.11), rows 7-9 at q = 0.5, 1, 1.5 after it:
    // 0.11 x (s(0.5) + s(1) + s(1.5)) = 0.11 x (-0.848284 - 0.986614 - 0.998894) = -0.311717.
    const result = scoreCorpus([file({ 0: 1 })], standard);
    expect(result.threshold).toBe(0);
    expect(result.raw).toBeCloseTo(1 - 0.33 - 0.311717, 5);
    expect(result.falsePositives).toBe(6);
  });

  it('scores a detector that never fires as null', () => {
    const silent: ScoredFile = { name: 'silent.csv', scores: [], windows: [[4, 6]] };
    const result = scoreCorpus([silent], standard);
    expect(result.raw).toBe(-1);
    expect(result.normalized).toBe(0);
    expect(result.falseNegatives).toBe(1);
  });

  it('chooses one threshold across files', () => {
    // File A only hits its window at 0.5; file B has a false positive at 0.6 before its window.
    const a = file({ 4: 0.5 });
    const b = file({ 2: 0.6, 4: 0.7 });
    const result = scoreCorpus([a, b], standard);
    // 0.7: B hit (1), A missed (-1) = 0; 0.6: 1 - 0.11 - 1 = -0.11; 0.5: 2 - 0.11 = 1.89.
    expect(result.threshold).toBe(0.5);
    expect(result.raw).toBeCloseTo(1.89, 9);
    expect(result.normalized).toBeCloseTo((100 * (1.89 + 2)) / 4, 9);
  });
});
