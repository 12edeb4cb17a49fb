import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { undocumentedEnvRows } from '@ward/config';
import { cliEnv } from './cli.env';
import { envFilePaths, parseEnvFile, resolveConfig } from './config';
import { UsageError } from './errors';
import { kafkaTlsOptions } from '@ward/config';

const base = { flags: {}, env: {}, files: [], defaultActor: 'me@host' };

describe('configuration', () => {
  it('defaults to what npm start runs', () => {
    const sut = resolveConfig(base);
    expect(sut.tenant).toBe('default');
    expect(sut.actor).toBe('me@host');
    expect(sut.services.ingest.url).toBe('http://127.0.0.1:3001');
    expect(sut.services.policy.url).toBe('http://127.0.0.1:3005');
    expect(sut.services.fusion.token).toBeUndefined();
    expect(sut.kafka).toMatchObject({ brokers: ['127.0.0.1:9092'], topicPrefix: '' });
  });

  it('takes flags over the environment over files, first file first, and says where each came from', () => {
    const sut = resolveConfig({
      flags: { tenant: 'from-flag', 'fusion-url': 'http://fusion:9/' },
      env: { WARD_TENANT: 'from-env', FUSION_ADMIN_TOKEN: 'env-token' },
      files: [
        { label: 'a.env', values: { POLICY_ADMIN_TOKEN: 'a', FUSION_ADMIN_TOKEN: 'file' } },
        { label: 'b.env', values: { POLICY_ADMIN_TOKEN: 'b', MONITOR_ADMIN_TOKEN: 'm' } },
      ],
      defaultActor: 'x',
    });
    expect(sut.tenant).toBe('from-flag');
    expect(sut.services.fusion).toMatchObject({
      url: 'http://fusion:9',
      token: 'env-token',
      tokenSource: 'the environment',
    });
    expect(sut.services.policy).toMatchObject({ token: 'a', tokenSource: 'a.env' });
    expect(sut.services.monitor).toMatchObject({ token: 'm', tokenSource: 'b.env' });
    expect(sut.sources.get('WARD_TENANT')).toBe('--tenant');
  });

  it('applies --token to every service', () => {
    const sut = resolveConfig({ ...base, flags: { token: 't' }, env: { FUSION_ADMIN_TOKEN: 'e' } });
    expect(Object.values(sut.services).map((s) => s.token)).toEqual(['t', 't', 't', 't', 't']);
  });

  it('names the bad setting and where it came from', () => {
    expect(() =>
      resolveConfig({
        ...base,
        files: [{ label: '.ward/services.env', values: { WARD_INGEST_URL: 'ftp://x' } }],
      }),
    ).toThrow(UsageError);
    expect(() =>
      resolveConfig({
        ...base,
        files: [{ label: '.ward/services.env', values: { WARD_INGEST_URL: 'ftp://x' } }],
      }),
    ).toThrow(/WARD_INGEST_URL must use http or https:\/\/.*\[from \.ward\/services\.env\]/);
    expect(() => resolveConfig({ ...base, flags: { brokers: 'not a broker' } })).toThrow(
      /KAFKA_BROKERS/,
    );
  });

  describe('Kafka mutual TLS', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ward-cli-mtls-'));
    const file = (name: string, text: string) => {
      const path = join(dir, name);
      writeFileSync(path, text);
      return path;
    };
    const ca = file('ca.pem', '-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n');
    const cert = file('cli.pem', '-----BEGIN CERTIFICATE-----\nME\n-----END CERTIFICATE-----\n');
    const key = file('cli.key', '-----BEGIN PRIVATE KEY-----\nK\n-----END PRIVATE KEY-----\n');

    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('reads KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE and gives kafkajs the client certificate', () => {
      const sut = resolveConfig({
        ...base,
        env: { KAFKA_SSL_CA_FILE: ca },
        files: [
          { label: 'ward.env', values: { KAFKA_SSL_CERT_FILE: cert, KAFKA_SSL_KEY_FILE: key } },
        ],
      });
      expect(sut.kafka.security.ssl).toEqual({
        ca: expect.stringContaining('CA') as unknown,
        cert: expect.stringContaining('ME') as unknown,
        key: expect.stringContaining('PRIVATE KEY') as unknown,
      });
      expect(sut.sources.get('KAFKA_SSL_KEY_FILE')).toBe('ward.env');
      expect(kafkaTlsOptions(sut.kafka.security.ssl!)).toEqual({
        rejectUnauthorized: true,
        ca: [sut.kafka.security.ssl!.ca],
        cert: sut.kafka.security.ssl!.cert,
        key: sut.kafka.security.ssl!.key,
      });
      // Without a client certificate: TLS that still verifies the broker.
      expect(kafkaTlsOptions({})).toEqual({ rejectUnauthorized: true });
    });

    it('refuses a certificate without its key, an unreadable one and a file that holds no key, by name', () => {
      expect(() => resolveConfig({ ...base, env: { KAFKA_SSL_CERT_FILE: cert } })).toThrow(
        /KAFKA_SSL_CERT_FILE: set, but KAFKA_SSL_KEY_FILE is not/,
      );
      expect(() =>
        resolveConfig({
          ...base,
          env: { KAFKA_SSL_CERT_FILE: join(dir, 'missing.pem'), KAFKA_SSL_KEY_FILE: key },
        }),
      ).toThrow(/KAFKA_SSL_CERT_FILE: cannot read/);
      expect(() =>
        resolveConfig({ ...base, env: { KAFKA_SSL_CERT_FILE: cert, KAFKA_SSL_KEY_FILE: cert } }),
      ).toThrow(/KAFKA_SSL_KEY_FILE: .* holds no PEM private key/);
    });
  });

  it('reads env files like a shell would', () => {
    expect(
      parseEnvFile('# tokens\nA=1\nexport B="two words"\n  C = \'3\'\nnot a line\nD=\n'),
    ).toEqual({ A: '1', B: 'two words', C: '3', D: '' });
  });

  it('looks in --config, the user config, .ward/ and the infra env, in that order', () => {
    const paths = envFilePaths(
      { config: '/etc/ward.env' },
      { XDG_CONFIG_HOME: '/cfg', WARD_HOME: '/wh' },
    ).map((p) => p.path);
    expect(paths[0]).toBe('/etc/ward.env');
    expect(paths[1]).toBe('/cfg/ward/ward.env');
    expect(paths[2]).toMatch(/\.ward\/services\.env$/);
    expect(paths[3]).toMatch(/\.ward\/dev-tokens\.env$/);
    expect(paths[4]).toBe('/wh/env');
  });

  it('has every variable documented in docs/CLI.md', () => {
    expect(undocumentedEnvRows(cliEnv, join(__dirname, '../../../../docs/CLI.md'))).toEqual([]);
  });
});
