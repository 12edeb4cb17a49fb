import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

/**
 * Helm reads only files inside the chart, so the chart ships copies of the
 * repository's playbooks, Prometheus rules and Grafana dashboards. These
 * tests fail as soon as a copy drifts from its source; the fix is
 * `cp deploy/playbooks/*.yaml helm/ward/files/playbooks/` (and likewise).
 */
const ROOT = join(__dirname, '../..');
const CHART = join(ROOT, 'helm/ward');

function filesOf(dir: string, pattern: RegExp): Map<string, string> {
  return new Map(
    readdirSync(dir)
      .filter((name) => pattern.test(name))
      .sort()
      .map((name) => [name, readFileSync(join(dir, name), 'utf8')]),
  );
}

describe('files the Helm chart copies', () => {
  it.each([
    ['playbooks', 'deploy/playbooks', 'files/playbooks', /\.ya?ml$/],
    ['Prometheus rules', 'deploy/prometheus', 'files/prometheus', /^ward-rules\.yml$/],
    ['Grafana dashboards', 'deploy/grafana/dashboards', 'files/dashboards', /\.json$/],
  ])('has the same %s as %s', (_what, source, copy, pattern) => {
    const sources = filesOf(join(ROOT, source), pattern);
    const copies = filesOf(join(CHART, copy), pattern);
    expect(sources.size).toBeGreaterThan(0);
    expect([...copies.keys()]).toEqual([...sources.keys()]);
    for (const [name, text] of sources) {
      expect({ name, text: copies.get(name) }).toEqual({ name, text });
    }
  });

  it("takes the chart's appVersion from package.json", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const chart = parse(readFileSync(join(CHART, 'Chart.yaml'), 'utf8')) as { appVersion: string };
    expect(chart.appVersion).toBe(pkg.version);
  });
});
