import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCorpus, parseNabTimestamp } from './corpus';
import { scoreSeries } from './detector';

describe('NAB corpus', () => {
  it('parses NAB timestamps as UTC, with or without fractions, and refuses anything else', () => {
    expect(parseNabTimestamp('2014-04-10 11:50:00.000000')).toBe(Date.UTC(2014, 3, 10, 11, 50));
    expect(parseNabTimestamp('2014-07-01 00:30:00')).toBe(Date.UTC(2014, 6, 1, 0, 30));
    expect(() => parseNabTimestamp('2014/07/01')).toThrow(/not a NAB timestamp/);
  });

  it('loads series and maps their windows onto rows', () => {
    const root = mkdtempSync(join(tmpdir(), 'nab-'));
    mkdirSync(join(root, 'data/g'), { recursive: true });
    mkdirSync(join(root, 'labels'));
    writeFileSync(
      join(root, 'data/g/s.csv'),
      'timestamp,value\n2014-01-01 00:00:00,1\n2014-01-01 00:05:00,2\n2014-01-01 00:10:00,3\n',
    );
    writeFileSync(
      join(root, 'labels/combined_windows.json'),
      JSON.stringify({ 'g/s.csv': [['2014-01-01 00:05:00.000000', '2014-01-01 00:10:00.000000']] }),
    );
    const [series] = loadCorpus(root);
    expect(series).toEqual({
      name: 'g/s.csv',
      timestamps: [0, 5, 10].map((m) => Date.UTC(2014, 0, 1, 0, m)),
      values: [1, 2, 3],
      windows: [[1, 2]],
    });
  });

  it('scores a series with one score in [0, 1] per row, streaming (a prefix scores the same)', () => {
    const values = Array.from({ length: 400 }, (_, i) => (i === 300 ? 50 : 10 + (i % 3)));
    const scores = scoreSeries(values);
    expect(scores).toHaveLength(400);
    expect(scores.every((s) => s >= 0 && s < 1)).toBe(true);
    expect(scoreSeries(values.slice(0, 250))).toEqual(scores.slice(0, 250));
    expect(scores[300]).toBe(Math.max(...scores));
  });
});
