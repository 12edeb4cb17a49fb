/**
 * The Numenta Anomaly Benchmark scorer, implemented from
 * `../shared/datasets/nab/README.md`:
 *
 * - the first 15% of each file (at most 750 rows) is probationary, detections
 *   there are ignored;
 * - the first detection inside a labelled window scores `A_TP * s(p) / s(-1)`
 *   with `p = -(right - i + 1) / width` and `s(p) = 2 / (1 + exp(5p)) - 1`;
 *   later detections in the same window add nothing; a missed window costs
 *   `A_FN`;
 * - a detection outside every window scores `A_FP * s(q)`, `q` being the
 *   distance after the previous window's right edge over (its width - 1),
 *   or `-A_FP` with no previous window;
 * - one threshold for the whole corpus, chosen per profile to maximise the
 *   total, which is normalised against the null and the perfect detector.
 *
 * Pure: no file access, so the cases in scorer.spec.ts are computed by hand.
 */

export interface CostProfile {
  readonly name: string;
  readonly tp: number;
  readonly fp: number;
  readonly fn: number;
}

export const PROFILES: readonly CostProfile[] = [
  { name: 'standard', tp: 1, fp: 0.11, fn: 1 },
  { name: 'reward_low_FP_rate', tp: 1, fp: 0.22, fn: 1 },
  { name: 'reward_low_FN_rate', tp: 1, fp: 0.11, fn: 2 },
];

/** One file: the detector's score per row and its labelled windows as inclusive row ranges. */
export interface ScoredFile {
  readonly name: string;
  readonly scores: readonly number[];
  readonly windows: readonly (readonly [number, number])[];
}

export interface ProfileResult {
  readonly profile: string;
  readonly threshold: number;
  readonly raw: number;
  readonly nullScore: number;
  readonly perfectScore: number;
  readonly normalized: number;
  readonly truePositives: number;
  readonly falsePositives: number;
  readonly falseNegatives: number;
}

/** s(p) = 2 / (1 + e^(5p)) - 1; NAB treats anything more than 3 widths past a window as -1. */
export function scaledSigmoid(position: number): number {
  if (position > 3) {
    return -1;
  }
  return 2 / (1 + Math.exp(5 * position)) - 1;
}

export function probationaryRows(rows: number): number {
  return Math.min(Math.floor(0.15 * rows), 750);
}

/** Maps labelled windows given as timestamps onto inclusive row ranges. */
export function windowsToRows(
  timestamps: readonly number[],
  windows: readonly (readonly [number, number])[],
): [number, number][] {
  const result: [number, number][] = [];
  for (const [start, end] of windows) {
    let left = -1;
    let right = -1;
    for (let i = 0; i < timestamps.length; i++) {
      const t = timestamps[i] as number;
      if (t >= start && t <= end) {
        if (left < 0) {
          left = i;
        }
        right = i;
      }
    }
    if (left >= 0) {
      result.push([left, right]);
    }
  }
  return result;
}

/**
 * What a detection at each row would be worth, independent of the threshold:
 * for a row in a window, its (unscaled) true-positive weight and the window's
 * index; outside, its (unscaled) false-positive weight. Probationary rows are
 * omitted.
 */
interface RowWorth {
  readonly score: number;
  /** Global window index, or -1 outside every window. */
  readonly window: number;
  /** s(p) / s(-1) in a window (in (0, 1]), s(q) outside (in [-1, 0)). */
  readonly worth: number;
}

function rowWorths(file: ScoredFile, windowBase: number): RowWorth[] {
  const probation = probationaryRows(file.scores.length);
  const maxTp = scaledSigmoid(-1);
  const windows = [...file.windows].sort((a, b) => a[0] - b[0]);
  const rows: RowWorth[] = [];
  let w = 0;
  let previous: readonly [number, number] | undefined;
  for (let i = 0; i < file.scores.length; i++) {
    while (w < windows.length && (windows[w] as readonly [number, number])[1] < i) {
      previous = windows[w];
      w++;
    }
    const current = windows[w];
    const inside = current !== undefined && i >= current[0] && i <= current[1];
    if (i < probation) {
      continue;
    }
    const score = file.scores[i] as number;
    if (inside) {
      const width = current[1] - current[0] + 1;
      const position = -(current[1] - i + 1) / width;
      rows.push({ score, window: windowBase + w, worth: scaledSigmoid(position) / maxTp });
    } else if (previous === undefined) {
      rows.push({ score, window: -1, worth: -1 });
    } else {
      const width = previous[1] - previous[0] + 1;
      const past = Math.abs(previous[1] - i) / Math.max(width - 1, 1);
      rows.push({ score, window: -1, worth: scaledSigmoid(past) });
    }
  }
  return rows;
}

/**
 * Scores the corpus for one profile, sweeping every distinct score as the
 * threshold (a row is a detection when its score is at or above it) and
 * keeping the best total. O(n log n) in the number of rows.
 */
export function scoreCorpus(files: readonly ScoredFile[], profile: CostProfile): ProfileResult {
  const rows: RowWorth[] = [];
  let windowCount = 0;
  for (const file of files) {
    rows.push(...rowWorths(file, windowCount));
    windowCount += file.windows.length;
  }
  rows.sort((a, b) => b.score - a.score);

  const nullScore = -profile.fn * windowCount;
  const perfectScore = profile.tp * windowCount;
  // Best true-positive worth detected so far per window (0 = not yet detected).
  const best = new Float64Array(windowCount);
  let detectedWindows = 0;
  let tpSum = 0;
  let fpSum = 0;
  let falsePositives = 0;
  const total = (): number =>
    profile.tp * tpSum + profile.fp * fpSum - profile.fn * (windowCount - detectedWindows);

  // Threshold above every score: nothing detected.
  let bestTotal = total();
  let bestThreshold = rows.length > 0 ? (rows[0] as RowWorth).score + 1 : 1;
  let bestCounts = { tp: 0, fp: 0 };
  let i = 0;
  while (i < rows.length) {
    const threshold = (rows[i] as RowWorth).score;
    while (i < rows.length && (rows[i] as RowWorth).score === threshold) {
      const row = rows[i] as RowWorth;
      if (row.window < 0) {
        fpSum += row.worth;
        falsePositives++;
      } else {
        const before = best[row.window] as number;
        if (before === 0) {
          detectedWindows++;
        }
        if (row.worth > before) {
          tpSum += row.worth - before;
          best[row.window] = row.worth;
        }
      }
      i++;
    }
    const value = total();
    if (value > bestTotal) {
      bestTotal = value;
      bestThreshold = threshold;
      bestCounts = { tp: detectedWindows, fp: falsePositives };
    }
  }
  return {
    profile: profile.name,
    threshold: bestThreshold,
    raw: bestTotal,
    nullScore,
    perfectScore,
    normalized:
      perfectScore === nullScore ? 0 : (100 * (bestTotal - nullScore)) / (perfectScore - nullScore),
    truePositives: bestCounts.tp,
    falsePositives: bestCounts.fp,
    falseNegatives: windowCount - bestCounts.tp,
  };
}
