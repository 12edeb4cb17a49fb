import { readEnv } from './env';
import { infrastructureEnv, kafkaSecurity, redisSettings } from './infrastructure';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const KEY = '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n';
const files: Record<string, string> = {
  '/ca.pem': PEM,
  '/not-a-cert': 'hello',
  '/client.pem': PEM,
  '/client.key': KEY,
  '/rsa.key': '-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----\n',
  '/encrypted.key':
    '-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIE\n-----END ENCRYPTED PRIVATE KEY-----\n',
  '/legacy-encrypted.key':
    '-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nMIIE\n-----END RSA PRIVATE KEY-----\n',
};
const read = (path: string) => {
  const text = files[path];
  if (text === undefined) {
    throw new Error('ENOENT');
  }
  return text;
};
const security = (env: Record<string, string>) =>
  kafkaSecurity(readEnv(infrastructureEnv, env), read);

describe('kafkaSecurity', () => {
  it('is plaintext without settings', () => {
    expect(security({})).toEqual({ security: {}, problems: [] });
  });

  it('turns on TLS with the system CAs, or with a CA file', () => {
    expect(security({ KAFKA_SSL: 'true' }).security).toEqual({ ssl: {} });
    expect(security({ KAFKA_SSL_CA_FILE: '/ca.pem' }).security).toEqual({ ssl: { ca: PEM } });
  });

  it('adds a client certificate and key for mutual TLS, which imply TLS', () => {
    expect(
      security({
        KAFKA_SSL_CA_FILE: '/ca.pem',
        KAFKA_SSL_CERT_FILE: '/client.pem',
        KAFKA_SSL_KEY_FILE: '/client.key',
      }),
    ).toEqual({ security: { ssl: { ca: PEM, cert: PEM, key: KEY } }, problems: [] });
    expect(
      security({ KAFKA_SSL_CERT_FILE: '/client.pem', KAFKA_SSL_KEY_FILE: '/rsa.key' }).security,
    ).toEqual({ ssl: { cert: PEM, key: files['/rsa.key'] } });
  });

  it('passes SCRAM credentials', () => {
    expect(
      security({
        KAFKA_SSL: 'true',
        KAFKA_SASL_MECHANISM: 'scram-sha-512',
        KAFKA_SASL_USERNAME: 'ward',
        KAFKA_SASL_PASSWORD: 's3cret',
      }),
    ).toEqual({
      security: {
        ssl: {},
        sasl: { mechanism: 'scram-sha-512', username: 'ward', password: 's3cret' },
      },
      problems: [],
    });
  });

  it.each([
    [{ KAFKA_SASL_MECHANISM: 'scram-sha-256' }, /KAFKA_SASL_MECHANISM: scram-sha-256 needs/],
    [
      { KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' },
      /plain sends the password in clear/,
    ],
    [{ KAFKA_SASL_USERNAME: 'u' }, /KAFKA_SASL_USERNAME: set, but KAFKA_SASL_MECHANISM is none/],
    [{ KAFKA_SSL_CA_FILE: '/missing.pem' }, /KAFKA_SSL_CA_FILE: cannot read \/missing.pem/],
    [{ KAFKA_SSL_CA_FILE: '/not-a-cert' }, /KAFKA_SSL_CA_FILE: \/not-a-cert holds no PEM/],
    [
      { KAFKA_SSL_CERT_FILE: '/client.pem' },
      /KAFKA_SSL_CERT_FILE: set, but KAFKA_SSL_KEY_FILE is not/,
    ],
    [
      { KAFKA_SSL_KEY_FILE: '/client.key' },
      /KAFKA_SSL_KEY_FILE: set, but KAFKA_SSL_CERT_FILE is not/,
    ],
    [
      { KAFKA_SSL_CERT_FILE: '/missing.pem', KAFKA_SSL_KEY_FILE: '/client.key' },
      /KAFKA_SSL_CERT_FILE: cannot read \/missing.pem/,
    ],
    [
      { KAFKA_SSL_CERT_FILE: '/client.key', KAFKA_SSL_KEY_FILE: '/client.key' },
      /KAFKA_SSL_CERT_FILE: \/client.key holds no PEM certificate/,
    ],
    [
      { KAFKA_SSL_CERT_FILE: '/client.pem', KAFKA_SSL_KEY_FILE: '/missing.key' },
      /KAFKA_SSL_KEY_FILE: cannot read \/missing.key/,
    ],
    [
      { KAFKA_SSL_CERT_FILE: '/client.pem', KAFKA_SSL_KEY_FILE: '/client.pem' },
      /KAFKA_SSL_KEY_FILE: \/client.pem holds no PEM private key/,
    ],
    [
      { KAFKA_SSL_CERT_FILE: '/client.pem', KAFKA_SSL_KEY_FILE: '/encrypted.key' },
      /KAFKA_SSL_KEY_FILE: \/encrypted.key holds no PEM private key/,
    ],
    [
      { KAFKA_SSL_CERT_FILE: '/client.pem', KAFKA_SSL_KEY_FILE: '/legacy-encrypted.key' },
      /KAFKA_SSL_KEY_FILE: \/legacy-encrypted.key is encrypted/,
    ],
  ])('names the bad setting in %j', (env, message) => {
    expect(security(env).problems.join('\n')).toMatch(message);
  });

  it('refuses an unknown mechanism by name', () => {
    expect(() => readEnv(infrastructureEnv, { KAFKA_SASL_MECHANISM: 'gssapi' })).toThrow(
      /KAFKA_SASL_MECHANISM/,
    );
  });
});

describe('redisSettings', () => {
  const ca = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
  const read = (path: string) => {
    if (path !== '/etc/ward/redis-ca.pem') {
      throw new Error('ENOENT');
    }
    return ca;
  };
  const base = { REDIS_URL: 'rediss://redis.internal:6380', REDIS_KEY_PREFIX: 'ward:' };

  it('adds the CA of a TLS Redis, and nothing without one', () => {
    expect(redisSettings({ ...base, REDIS_TLS_CA_FILE: undefined }, read)).toEqual({
      settings: { url: base.REDIS_URL, keyPrefix: 'ward:' },
      problems: [],
    });
    expect(
      redisSettings({ ...base, REDIS_TLS_CA_FILE: '/etc/ward/redis-ca.pem' }, read).settings.tlsCa,
    ).toBe(ca);
  });

  it('names REDIS_TLS_CA_FILE when it is unreadable or the URL is not rediss://', () => {
    expect(
      redisSettings(
        { REDIS_URL: 'redis://x:6379', REDIS_KEY_PREFIX: '', REDIS_TLS_CA_FILE: '/nope' },
        read,
      ).problems,
    ).toEqual([
      'REDIS_TLS_CA_FILE: set, but REDIS_URL does not use rediss:// (TLS)',
      'REDIS_TLS_CA_FILE: cannot read /nope (ENOENT)',
    ]);
  });
});
