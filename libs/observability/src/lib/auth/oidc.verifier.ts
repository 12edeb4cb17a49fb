import { constants, createPublicKey, type KeyObject, verify as verifySignature } from 'node:crypto';
import { type OidcOptions } from './auth.options';
import { isWardRole, type WardRole } from './principal';

export class InvalidTokenError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'InvalidTokenError';
  }
}

export interface OidcIdentity {
  readonly subject: string;
  readonly tenantId: string;
  readonly roles: readonly WardRole[];
}

interface Jwk {
  readonly kty?: string;
  readonly kid?: string;
  readonly alg?: string;
  readonly use?: string;
  readonly [key: string]: unknown;
}

type Family = 'RSA' | 'RSA-PSS' | 'EC' | 'OKP';

/** The asymmetric algorithms accepted; `none` and the HMAC family never are (no key confusion). */
const ALGORITHMS: Record<string, { family: Family; hash: string | null }> = {
  RS256: { family: 'RSA', hash: 'sha256' },
  RS384: { family: 'RSA', hash: 'sha384' },
  RS512: { family: 'RSA', hash: 'sha512' },
  PS256: { family: 'RSA-PSS', hash: 'sha256' },
  PS384: { family: 'RSA-PSS', hash: 'sha384' },
  PS512: { family: 'RSA-PSS', hash: 'sha512' },
  ES256: { family: 'EC', hash: 'sha256' },
  ES384: { family: 'EC', hash: 'sha384' },
  ES512: { family: 'EC', hash: 'sha512' },
  EdDSA: { family: 'OKP', hash: null },
};

const TENANT = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,63}$/;
/** Tolerated clock difference with the identity provider. */
const CLOCK_SKEW_S = 60;
/** A JWKS is refetched at most this often when a token names an unknown key (key rotation). */
const REFRESH_MIN_MS = 30_000;
/** And at least this often, so a removed key stops being trusted. */
const MAX_AGE_MS = 10 * 60_000;
const FETCH_TIMEOUT_MS = 5_000;
const MAX_JWKS_BYTES = 256 * 1024;

export type JwksFetcher = (url: string) => Promise<unknown>;

async function fetchJwks(url: string): Promise<unknown> {
  const response = await fetch(url, {
    redirect: 'error',
    signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
    headers: { accept: 'application/json' },
  });
  if (!response.ok) {
    throw new Error(`JWKS ${url} answered ${response.status}`);
  }
  const text = await response.text();
  if (text.length > MAX_JWKS_BYTES) {
    throw new Error(`JWKS ${url} is larger than ${MAX_JWKS_BYTES} bytes`);
  }
  return JSON.parse(text) as unknown;
}

function decodeSegment(segment: string, what: string): Record<string, unknown> {
  try {
    const value = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8')) as unknown;
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      return value as Record<string, unknown>;
    }
  } catch {
    // reported below
  }
  throw new InvalidTokenError(`malformed token ${what}`);
}

/**
 * Verifies OIDC access tokens (signed JWTs) against the identity provider's
 * JWKS with node:crypto: signature, issuer, audience, expiry and not-before,
 * then reads the tenant and roles from the configured claims.
 */
export class OidcVerifier {
  private keys = new Map<string, { jwk: Jwk; key: KeyObject }>();
  private fetchedAt = -Infinity;
  private inflight: Promise<void> | undefined;

  constructor(
    private readonly options: OidcOptions,
    private readonly fetcher: JwksFetcher = fetchJwks,
    private readonly now: () => number = Date.now,
  ) {}

  static looksLikeJwt(token: string): boolean {
    return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token);
  }

  async verify(token: string): Promise<OidcIdentity> {
    const [headerPart, payloadPart, signaturePart] = token.split('.');
    if (
      headerPart === undefined ||
      payloadPart === undefined ||
      signaturePart === undefined ||
      !OidcVerifier.looksLikeJwt(token)
    ) {
      throw new InvalidTokenError('not a signed JWT');
    }
    const header = decodeSegment(headerPart, 'header');
    const alg = typeof header.alg === 'string' ? header.alg : '';
    const algorithm = Object.hasOwn(ALGORITHMS, alg) ? ALGORITHMS[alg] : undefined;
    if (algorithm === undefined) {
      throw new InvalidTokenError(`algorithm ${alg || '(none)'} is not accepted`);
    }
    const kid = typeof header.kid === 'string' ? header.kid : undefined;
    const entry = await this.keyFor(kid, algorithm.family);
    if (entry.jwk.alg !== undefined && entry.jwk.alg !== alg) {
      throw new InvalidTokenError(`key ${kid ?? ''} is for ${entry.jwk.alg}, not ${alg}`);
    }
    const data = Buffer.from(`${headerPart}.${payloadPart}`);
    const signature = Buffer.from(signaturePart, 'base64url');
    let valid: boolean;
    try {
      valid = verifySignature(
        algorithm.hash,
        data,
        algorithm.family === 'RSA-PSS'
          ? {
              key: entry.key,
              padding: constants.RSA_PKCS1_PSS_PADDING,
              saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
            }
          : algorithm.family === 'EC'
            ? { key: entry.key, dsaEncoding: 'ieee-p1363' }
            : entry.key,
        signature,
      );
    } catch {
      valid = false;
    }
    if (!valid) {
      throw new InvalidTokenError('bad signature');
    }
    return this.identity(decodeSegment(payloadPart, 'payload'));
  }

  private identity(claims: Record<string, unknown>): OidcIdentity {
    const nowS = this.now() / 1000;
    if (claims.iss !== this.options.issuer) {
      throw new InvalidTokenError('wrong issuer');
    }
    const aud = claims.aud;
    const audiences = Array.isArray(aud) ? aud : [aud];
    if (!audiences.includes(this.options.audience)) {
      throw new InvalidTokenError('wrong audience');
    }
    if (typeof claims.exp !== 'number' || nowS > claims.exp + CLOCK_SKEW_S) {
      throw new InvalidTokenError('expired (or no exp)');
    }
    if (typeof claims.nbf === 'number' && nowS + CLOCK_SKEW_S < claims.nbf) {
      throw new InvalidTokenError('not valid yet');
    }
    const tenant = claims[this.options.tenantClaim];
    if (typeof tenant !== 'string' || !TENANT.test(tenant)) {
      throw new InvalidTokenError(`no valid ${this.options.tenantClaim} claim`);
    }
    const rawRoles = claims[this.options.rolesClaim];
    const list: unknown[] = Array.isArray(rawRoles)
      ? rawRoles
      : typeof rawRoles === 'string'
        ? rawRoles.split(/\s+/)
        : [];
    const roles = [...new Set(list.filter(isWardRole))];
    const subject = typeof claims.sub === 'string' && claims.sub !== '' ? claims.sub : '(no sub)';
    return { subject: `oidc:${subject}`, tenantId: tenant, roles };
  }

  private async keyFor(
    kid: string | undefined,
    family: Family,
  ): Promise<{ jwk: Jwk; key: KeyObject }> {
    const stale = this.now() - this.fetchedAt > MAX_AGE_MS;
    let entry = stale ? undefined : this.pick(kid, family);
    if (entry === undefined && (stale || this.now() - this.fetchedAt >= REFRESH_MIN_MS)) {
      await this.refresh();
      entry = this.pick(kid, family);
    }
    if (entry === undefined) {
      throw new InvalidTokenError(`no ${family} signing key ${kid ?? '(no kid)'} in the JWKS`);
    }
    return entry;
  }

  private pick(kid: string | undefined, family: Family) {
    const wanted = family === 'RSA-PSS' ? 'RSA' : family;
    const candidates = [...this.keys.values()].filter(
      (e) => e.jwk.kty === wanted && (kid === undefined || e.jwk.kid === kid),
    );
    // Without a kid the key must be unambiguous.
    return candidates.length === 1 ? candidates[0] : undefined;
  }

  private async refresh(): Promise<void> {
    this.inflight ??= (async () => {
      try {
        const body = await this.fetcher(this.options.jwksUrl);
        const list = (body as { keys?: unknown }).keys;
        if (!Array.isArray(list)) {
          throw new Error('JWKS has no keys array');
        }
        const keys = new Map<string, { jwk: Jwk; key: KeyObject }>();
        list.forEach((raw: unknown, index) => {
          const jwk = raw as Jwk;
          if (
            typeof jwk !== 'object' ||
            jwk === null ||
            (jwk.use !== undefined && jwk.use !== 'sig')
          ) {
            return;
          }
          try {
            const key = createPublicKey({ key: jwk as never, format: 'jwk' });
            keys.set(jwk.kid ?? `#${index}`, { jwk, key });
          } catch {
            // A key this runtime cannot use (or a private key's fields) is skipped.
          }
        });
        this.keys = keys;
      } finally {
        // Failed fetches also wait REFRESH_MIN_MS, so bad tokens cannot hammer the provider.
        this.fetchedAt = this.now();
      }
    })().finally(() => {
      this.inflight = undefined;
    });
    try {
      await this.inflight;
    } catch (error) {
      throw new InvalidTokenError(`cannot load the JWKS: ${(error as Error).message}`);
    }
  }
}
