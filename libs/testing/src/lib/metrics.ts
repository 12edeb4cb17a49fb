/**
 * The value of one sample in a Prometheus text exposition, matched by name and
 * a subset of its labels (in any order); undefined when there is none.
 */
export function metricValue(
  text: string,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) {
      continue;
    }
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) {
      continue;
    }
    const present = new Map<string, string>();
    for (const pair of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      present.set(pair[1]!, pair[2]!);
    }
    if (Object.entries(labels).every(([k, v]) => present.get(k) === v)) {
      return Number(match[3]);
    }
  }
  return undefined;
}
