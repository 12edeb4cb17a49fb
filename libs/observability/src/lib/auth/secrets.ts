import { createHash, timingSafeEqual } from 'node:crypto';

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken(header: string | string[] | undefined): string | undefined {
  return typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] : undefined;
}

/** Constant-time equality of a presented secret and the expected one, whatever their lengths. */
export function sameSecret(presented: string, expected: string | Buffer): boolean {
  // Comparing digests keeps the comparison constant-time whatever the lengths.
  const digest = (v: string | Buffer) => createHash('sha256').update(v).digest();
  return timingSafeEqual(digest(presented), digest(expected));
}
