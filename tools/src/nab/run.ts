/**
 * `npm run nab [corpus-dir]`: runs the monitor's streaming detector over the
 * Numenta Anomaly Benchmark corpus (default `../shared/datasets/nab`), one
 * parameter set for every file, scores it with our NAB scorer and writes
 * `docs/benchmarks/nab.json`.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { loadCorpus } from './corpus';
import { NAB_PARAMETERS, scoreSeries } from './detector';
import { PROFILES, type ProfileResult, scoreCorpus } from './scorer';

const ROOT = resolve(__dirname, '../../..');
const corpusDir = resolve(
  process.argv[2] ?? process.env.NAB_DIR ?? join(ROOT, '../shared/datasets/nab'),
);
const output = join(ROOT, 'docs/benchmarks/nab.json');

/** The published NAB v1.0 scoreboard (standard, low FP, low FN), for comparison. */
const PUBLISHED: readonly [string, number, number, number][] = [
  ['ARTime', 74.9, 65.1, 80.4],
  ['Numenta HTM', 70.5, 62.6, 75.2],
  ['CAD OSE', 69.9, 67.0, 73.2],
  ['earthgecko Skyline', 58.2, 46.2, 63.9],
  ['KNN CAD', 58.0, 43.4, 64.8],
  ['Relative Entropy', 54.6, 47.6, 58.8],
  ['Random Cut Forest', 51.7, 38.4, 59.7],
  ['Twitter ADVec', 47.1, 33.6, 53.5],
  ['Windowed Gaussian', 39.6, 20.9, 47.4],
  ['Etsy Skyline', 35.7, 27.1, 44.5],
  ['Random', 11.0, 1.2, 19.5],
  ['Null', 0.0, 0.0, 0.0],
];

function main(): void {
  if (!existsSync(join(corpusDir, 'labels/combined_windows.json'))) {
    console.error(
      `nab: no NAB corpus at ${corpusDir} (expected labels/combined_windows.json and data/); pass its folder as the first argument or set NAB_DIR`,
    );
    process.exit(2);
  }
  const started = process.hrtime.bigint();
  const corpus = loadCorpus(corpusDir);
  const files = corpus.map((series) => ({
    name: series.name,
    windows: series.windows,
    scores: scoreSeries(series.values, NAB_PARAMETERS),
  }));
  const detectSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  const rows = files.reduce((n, f) => n + f.scores.length, 0);
  const results: ProfileResult[] = PROFILES.map((profile) => scoreCorpus(files, profile));
  const [standard, lowFp, lowFn] = results.map((r) => r.normalized) as [number, number, number];

  const board = [
    ...PUBLISHED,
    ['Ward (UnivariateDetector + SurpriseScorer)', standard, lowFp, lowFn] as const,
  ]
    .map(([name, s, fp, fn]) => [name, s, fp, fn] as [string, number, number, number])
    .sort((a, b) => b[1] - a[1]);
  console.log(
    `NAB: ${corpus.length} files, ${rows} rows, ${files.reduce((n, f) => n + f.windows.length, 0)} windows; detector ran in ${detectSeconds.toFixed(2)} s (${Math.round(rows / detectSeconds)} rows/s)\n`,
  );
  console.log('| detector | standard | low FP | low FN |\n| --- | --- | --- | --- |');
  for (const [name, s, fp, fn] of board) {
    const ours = name.startsWith('Ward');
    const cell = (v: number) => (ours ? `**${v.toFixed(1)}**` : v.toFixed(1));
    console.log(`| ${ours ? `**${name}**` : name} | ${cell(s)} | ${cell(fp)} | ${cell(fn)} |`);
  }
  for (const r of results) {
    console.log(
      `\n${r.profile}: threshold ${r.threshold.toFixed(6)}, ${r.truePositives} windows detected, ${r.falseNegatives} missed, ${r.falsePositives} false positives (raw ${r.raw.toFixed(2)}, null ${r.nullScore}, perfect ${r.perfectScore})`,
    );
  }
  mkdirSync(dirname(output), { recursive: true });
  writeFileSync(
    output,
    `${JSON.stringify(
      {
        benchmark:
          'Numenta Anomaly Benchmark (numenta/NAB ea702d75cc2258d9d7dd35ca8e5e2539d71f3140)',
        detector: 'UnivariateDetector (continuous, two-sided) -> SurpriseScorer',
        parameters: NAB_PARAMETERS,
        corpus: { files: corpus.length, rows },
        results,
        published: PUBLISHED.map(([name, s, fp, fn]) => ({
          name,
          standard: s,
          lowFp: fp,
          lowFn: fn,
        })),
      },
      null,
      2,
    )}\n`,
  );
  console.log(`\nwrote ${output}`);
}

main();
