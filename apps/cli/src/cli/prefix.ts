import { CliError } from './errors';

/**
 * The one id among `ids` that equals or starts with `given` (like a short git
 * hash); a CliError naming the candidates when there are none or several.
 */
export function resolvePrefix(given: string, ids: readonly string[], what: string): string {
  const exact = ids.find((id) => id === given);
  if (exact !== undefined) {
    return exact;
  }
  const matches = [...new Set(ids.filter((id) => id.startsWith(given.toLowerCase())))];
  if (matches.length === 1) {
    return matches[0]!;
  }
  if (matches.length === 0) {
    throw new CliError(`no ${what} ${given}`);
  }
  throw new CliError(
    `${given} could be ${matches.length} ${what}s: ${matches.slice(0, 5).join(', ')}${matches.length > 5 ? ', …' : ''}`,
    'give more characters of the id',
  );
}
