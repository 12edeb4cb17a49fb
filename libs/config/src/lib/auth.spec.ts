import { authEnv, authSettings } from './auth';
import { readEnv } from './env';

const settings = (env: Record<string, string>) => authSettings(readEnv(authEnv, env));

describe('authSettings', () => {
  it('turns OIDC off by default and on with issuer, audience and JWKS together', () => {
    expect(settings({}).settings).toEqual({ oidc: undefined, metricsToken: undefined });
    expect(
      settings({
        AUTH_OIDC_ISSUER: 'https://idp.example.com/',
        AUTH_OIDC_AUDIENCE: 'ward',
        AUTH_OIDC_JWKS_URL: 'https://idp.example.com/jwks',
        METRICS_TOKEN: 'm',
      }),
    ).toEqual({
      settings: {
        oidc: {
          issuer: 'https://idp.example.com/',
          audience: 'ward',
          jwksUrl: 'https://idp.example.com/jwks',
          tenantClaim: 'ward_tenant',
          rolesClaim: 'ward_roles',
        },
        metricsToken: 'm',
      },
      problems: [],
    });
  });

  it('names the setting that is missing or unsafe', () => {
    expect(settings({ AUTH_OIDC_ISSUER: 'https://idp.example.com/' }).problems).toEqual([
      expect.stringMatching(/^AUTH_OIDC_ISSUER: .*AUTH_OIDC_AUDIENCE and AUTH_OIDC_JWKS_URL/),
    ]);
    const base = { AUTH_OIDC_ISSUER: 'i', AUTH_OIDC_AUDIENCE: 'a' };
    expect(
      settings({ ...base, AUTH_OIDC_JWKS_URL: 'http://idp.example.com/jwks' }).problems,
    ).toEqual([expect.stringMatching(/^AUTH_OIDC_JWKS_URL: must use https/)]);
    expect(
      settings({ ...base, AUTH_OIDC_JWKS_URL: 'http://127.0.0.1:8080/jwks' }).problems,
    ).toEqual([]);
  });
});
