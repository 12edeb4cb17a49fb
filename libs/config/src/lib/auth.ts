import { env } from './env';

/**
 * Authentication settings every service shares: OIDC bearer tokens (optional,
 * verified against the identity provider's JWKS) and the token that guards
 * /metrics. API keys need no setting: they live in PostgreSQL.
 */
export const authEnv = {
  AUTH_OIDC_ISSUER: env.optionalString({
    description:
      'Issuer (iss) of accepted OIDC bearer tokens; set together with AUTH_OIDC_AUDIENCE and AUTH_OIDC_JWKS_URL to accept them (unset: API keys and the admin token only).',
  }),
  AUTH_OIDC_AUDIENCE: env.optionalString({
    description: 'Audience (aud) an OIDC token must name.',
  }),
  AUTH_OIDC_JWKS_URL: env.optionalString({
    description:
      "URL of the identity provider's JSON Web Key Set (https; http only on a loopback address).",
  }),
  AUTH_OIDC_TENANT_CLAIM: env.string({
    default: 'ward_tenant',
    pattern: /^[A-Za-z0-9_:./-]+$/,
    description: 'Claim holding the tenant of an OIDC token (a token without it is refused).',
  }),
  AUTH_OIDC_ROLES_CLAIM: env.string({
    default: 'ward_roles',
    pattern: /^[A-Za-z0-9_:./-]+$/,
    description:
      'Claim holding the roles of an OIDC token (array or space-separated: ingest, analyst, approver, admin).',
  }),
  METRICS_TOKEN: env.optionalString({
    secret: true,
    description: 'Bearer token /metrics requires; unset leaves /metrics open.',
  }),
};

export interface OidcSettings {
  readonly issuer: string;
  readonly audience: string;
  readonly jwksUrl: string;
  readonly tenantClaim: string;
  readonly rolesClaim: string;
}

export interface AuthSettings {
  readonly oidc: OidcSettings | undefined;
  readonly metricsToken: string | undefined;
}

type AuthEnv = {
  readonly AUTH_OIDC_ISSUER: string | undefined;
  readonly AUTH_OIDC_AUDIENCE: string | undefined;
  readonly AUTH_OIDC_JWKS_URL: string | undefined;
  readonly AUTH_OIDC_TENANT_CLAIM: string;
  readonly AUTH_OIDC_ROLES_CLAIM: string;
  readonly METRICS_TOKEN: string | undefined;
};

const LOOPBACK = /^(127(?:\.\d{1,3}){3}|\[::1\]|localhost)$/i;

/** The auth settings of a validated environment, or the problems (named by variable) that make them unusable. */
export function authSettings(e: AuthEnv): { settings: AuthSettings; problems: string[] } {
  const problems: string[] = [];
  const given = [e.AUTH_OIDC_ISSUER, e.AUTH_OIDC_AUDIENCE, e.AUTH_OIDC_JWKS_URL].filter(
    (v) => v !== undefined,
  ).length;
  let oidc: OidcSettings | undefined;
  if (given > 0 && given < 3) {
    problems.push(
      'AUTH_OIDC_ISSUER: OIDC needs AUTH_OIDC_ISSUER, AUTH_OIDC_AUDIENCE and AUTH_OIDC_JWKS_URL together',
    );
  } else if (given === 3) {
    const jwksUrl = e.AUTH_OIDC_JWKS_URL!;
    let url: URL | undefined;
    try {
      url = new URL(jwksUrl);
    } catch {
      problems.push('AUTH_OIDC_JWKS_URL: must be a URL');
    }
    if (
      url !== undefined &&
      url.protocol !== 'https:' &&
      !(url.protocol === 'http:' && LOOPBACK.test(url.hostname))
    ) {
      problems.push('AUTH_OIDC_JWKS_URL: must use https:// (http:// only on a loopback address)');
    }
    oidc = {
      issuer: e.AUTH_OIDC_ISSUER!,
      audience: e.AUTH_OIDC_AUDIENCE!,
      jwksUrl,
      tenantClaim: e.AUTH_OIDC_TENANT_CLAIM,
      rolesClaim: e.AUTH_OIDC_ROLES_CLAIM,
    };
  }
  return { settings: { oidc, metricsToken: e.METRICS_TOKEN }, problems };
}
