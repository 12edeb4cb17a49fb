import { createSign, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { InvalidTokenError, OidcVerifier } from './oidc.verifier';

const OPTIONS = {
  issuer: 'https://idp.example.com/',
  audience: 'ward',
  jwksUrl: 'https://idp.example.com/jwks.json',
  tenantClaim: 'ward_tenant',
  rolesClaim: 'ward_roles',
};
const NOW_S = 1_800_000_000;

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const other = generateKeyPairSync('rsa', { modulusLength: 2048 });

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

function jwt(
  claims: Record<string, unknown>,
  options: { alg?: string; kid?: string; key?: KeyObject; header?: Record<string, unknown> } = {},
): string {
  const alg = options.alg ?? 'RS256';
  const head = b64({ alg, typ: 'JWT', kid: options.kid ?? 'rsa-1', ...options.header });
  const body = b64(claims);
  const data = `${head}.${body}`;
  let signature: Buffer;
  if (alg === 'ES256') {
    signature = sign('sha256', Buffer.from(data), {
      key: options.key ?? ec.privateKey,
      dsaEncoding: 'ieee-p1363',
    });
  } else if (alg === 'none') {
    signature = Buffer.alloc(0);
  } else {
    signature = createSign('sha256')
      .update(data)
      .sign(options.key ?? rsa.privateKey);
  }
  return `${data}.${signature.toString('base64url')}`;
}

const valid = (extra: Record<string, unknown> = {}) => ({
  iss: OPTIONS.issuer,
  aud: ['other', 'ward'],
  sub: 'alice',
  exp: NOW_S + 300,
  nbf: NOW_S - 10,
  ward_tenant: 'acme',
  ward_roles: ['analyst', 'approver', 'superuser'],
  ...extra,
});

function makeSut() {
  const jwks = {
    keys: [
      { ...(rsa.publicKey.export({ format: 'jwk' }) as object), kid: 'rsa-1', use: 'sig' },
      { ...(ec.publicKey.export({ format: 'jwk' }) as object), kid: 'ec-1', alg: 'ES256' },
    ],
  };
  const fetcher = jest.fn(() => Promise.resolve(jwks as unknown));
  let nowMs = NOW_S * 1000;
  const sut = new OidcVerifier(OPTIONS, fetcher, () => nowMs);
  return { sut, fetcher, advance: (ms: number) => (nowMs += ms) };
}

describe(OidcVerifier.name, () => {
  it('accepts a signed token and reads the subject, tenant and known roles', async () => {
    const { sut } = makeSut();
    await expect(sut.verify(jwt(valid()))).resolves.toEqual({
      subject: 'oidc:alice',
      tenantId: 'acme',
      roles: ['analyst', 'approver'],
    });
  });

  it('accepts ES256 and space-separated roles', async () => {
    const { sut } = makeSut();
    const token = jwt(valid({ ward_roles: 'ingest admin' }), { alg: 'ES256', kid: 'ec-1' });
    await expect(sut.verify(token)).resolves.toMatchObject({ roles: ['ingest', 'admin'] });
  });

  it.each([
    ['a wrong issuer', valid({ iss: 'https://evil.example.com/' }), /issuer/],
    ['a wrong audience', valid({ aud: 'someone-else' }), /audience/],
    ['an expired token', valid({ exp: NOW_S - 61 }), /expired/],
    ['no exp', valid({ exp: undefined }), /expired/],
    ['a token not valid yet', valid({ nbf: NOW_S + 3600 }), /not valid yet/],
    ['no tenant claim', valid({ ward_tenant: undefined }), /ward_tenant/],
    ['a tenant with a slash', valid({ ward_tenant: 'a/b' }), /ward_tenant/],
  ])('refuses %s', async (_name, claims, reason) => {
    const { sut } = makeSut();
    await expect(sut.verify(jwt(claims))).rejects.toThrow(reason);
  });

  it('refuses a token signed by another key, alg none, HMAC and a key of the wrong type', async () => {
    const { sut } = makeSut();
    await expect(sut.verify(jwt(valid(), { key: other.privateKey }))).rejects.toThrow(/signature/);
    await expect(sut.verify(jwt(valid(), { alg: 'none' }))).rejects.toThrow(InvalidTokenError);
    await expect(sut.verify(jwt(valid(), { alg: 'HS256' }))).rejects.toThrow(/HS256/);
    // An EC-declared token against the RSA key id: no EC key by that id.
    await expect(sut.verify(jwt(valid(), { alg: 'ES256', kid: 'rsa-1' }))).rejects.toThrow(
      /no EC signing key/,
    );
  });

  it('refuses garbage without calling the identity provider', async () => {
    const { sut, fetcher } = makeSut();
    await expect(sut.verify('not-a-jwt')).rejects.toThrow(/not a signed JWT/);
    await expect(sut.verify('a.b.c')).rejects.toThrow(/malformed/);
    expect(fetcher).not.toHaveBeenCalled();
  });

  it('caches the key set, refetching an unknown kid at most every 30 s', async () => {
    const { sut, fetcher, advance } = makeSut();
    await sut.verify(jwt(valid()));
    await sut.verify(jwt(valid()));
    expect(fetcher).toHaveBeenCalledTimes(1);
    await expect(sut.verify(jwt(valid(), { kid: 'rotated' }))).rejects.toThrow(/rotated/);
    expect(fetcher).toHaveBeenCalledTimes(1);
    advance(31_000);
    await expect(sut.verify(jwt(valid(), { kid: 'rotated' }))).rejects.toThrow(/rotated/);
    expect(fetcher).toHaveBeenCalledTimes(2);
  });
});
