import { createHash } from 'node:crypto';

const SEPARATOR = '\u001f';

/**
 * A 128-bit hex id derived from its parts: the same parts always give the same
 * id, so replays and restarts never mint a second id for one finding.
 */
export function deterministicId(...parts: readonly (string | number)[]): string {
  return createHash('sha256').update(parts.join(SEPARATOR)).digest('hex').slice(0, 32);
}
