import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { windowsToRows } from './scorer';

/** One NAB series: timestamps (ms, UTC), values and labelled windows as row ranges. */
export interface NabSeries {
  readonly name: string;
  readonly timestamps: readonly number[];
  readonly values: readonly number[];
  readonly windows: readonly (readonly [number, number])[];
}

/** NAB timestamps are `YYYY-MM-DD HH:MM:SS[.ffffff]`, UTC. */
export function parseNabTimestamp(text: string): number {
  const match = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.\d+)?$/.exec(text.trim());
  if (!match) {
    throw new Error(`not a NAB timestamp: ${JSON.stringify(text)}`);
  }
  const [, y, mo, d, h, mi, s] = match.map<number>(Number);
  return Date.UTC(y as number, (mo as number) - 1, d, h, mi, s);
}

export function loadCorpus(root: string): NabSeries[] {
  const labels = JSON.parse(
    readFileSync(join(root, 'labels/combined_windows.json'), 'utf8'),
  ) as Record<string, [string, string][]>;
  const series: NabSeries[] = [];
  for (const group of readdirSync(join(root, 'data')).sort()) {
    for (const file of readdirSync(join(root, 'data', group)).sort()) {
      if (!file.endsWith('.csv')) {
        continue;
      }
      const name = `${group}/${file}`;
      const lines = readFileSync(join(root, 'data', group, file), 'utf8').split(/\r?\n/);
      const timestamps: number[] = [];
      const values: number[] = [];
      for (const line of lines.slice(1)) {
        if (line.trim() === '') {
          continue;
        }
        const comma = line.indexOf(',');
        timestamps.push(parseNabTimestamp(line.slice(0, comma)));
        values.push(Number(line.slice(comma + 1)));
      }
      const windows = (labels[name] ?? []).map(
        ([start, end]) => [parseNabTimestamp(start), parseNabTimestamp(end)] as const,
      );
      series.push({ name, timestamps, values, windows: windowsToRows(timestamps, windows) });
    }
  }
  return series;
}
