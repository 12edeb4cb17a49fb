import { type WardRole } from './principal';

/** An API key as the store knows it (the secret itself is never kept). */
export interface VerifiedApiKey {
  readonly id: string;
  readonly tenantId: string;
  readonly name: string;
  readonly roles: readonly WardRole[];
}

/** Looks an API key up by its secret; null when unknown, malformed, expired or revoked. */
export interface ApiKeyLookup {
  verify(key: string): Promise<VerifiedApiKey | null>;
}

export interface OidcOptions {
  readonly issuer: string;
  readonly audience: string;
  readonly jwksUrl: string;
  readonly tenantClaim: string;
  readonly rolesClaim: string;
}

export interface AuthOptions {
  /** The service's break-glass bearer token (every tenant, every role); unset: none. */
  readonly adminToken: string | undefined;
  /** OIDC bearer tokens verified against a JWKS; unset: not accepted. */
  readonly oidc: OidcOptions | undefined;
  /** Bearer token /metrics requires; unset: /metrics is open. */
  readonly metricsToken: string | undefined;
  /** How long a verified API key is trusted without asking the store. */
  readonly keyCacheMs: number;
  /** Counter of refused requests by reason (default ward_http_auth_failures_total). */
  readonly failureMetric?: string;
}

export const AUTH_OPTIONS = Symbol('AUTH_OPTIONS');
export const API_KEY_LOOKUP = Symbol('API_KEY_LOOKUP');
