import { readFileSync } from 'node:fs';
import { describeEnv, type EnvSpec } from './env';

/**
 * Rows of the configuration table for `spec` that README.md lacks (whitespace
 * ignored, so Prettier's column padding does not matter). Each service's unit
 * tests call it, so the documented settings cannot drift from the real ones.
 */
export function undocumentedEnvRows(spec: EnvSpec, readmePath: string): string[] {
  const squash = (s: string) => s.replace(/\s+/g, ' ').trim();
  const readme = readFileSync(readmePath, 'utf8').split('\n').map(squash);
  return describeEnv(spec)
    .split('\n')
    .slice(2)
    .map(squash)
    .filter((row) => !readme.includes(row));
}
