import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readEnv, infrastructureEnv, redisKeyPrefixEnv, redisSettings } from '@ward/config';
import { agentKey, topicRegistry } from '@ward/contracts';
import { createKafka } from '@ward/messaging';
import { createDataSource, createRedis } from '@ward/persistence';
import {
  eventually,
  freePort,
  infraEnv,
  scratchPrefix,
  type ServiceProcess,
  startService,
  uniqueTag,
} from '@ward/testing';
import { startSecureBroker, type SecureBroker } from './secure-kafka';
import { findSecrets } from './secret-scan';
import { seedAlert } from './seed';
import { makeTestPki, postgresServerCertificate, type TestPki } from './tls';

/**
 * Transport security is configuration: PostgreSQL over TLS through
 * DATABASE_URL's sslmode and sslrootcert, Redis over TLS through a rediss://
 * REDIS_URL and REDIS_TLS_CA_FILE. Against the real local PostgreSQL (its
 * own certificate) and a Redis started here with a certificate of a
 * throw-away CA: the connection is encrypted and verified, and a server whose
 * certificate the configured CA did not sign is refused.
 */
const portOpen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

describe('transport security by configuration', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ward-tls-'));
  let pki: TestPki;

  beforeAll(() => {
    pki = makeTestPki(dir);
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const base = new URL(infraEnv().DATABASE_URL);
  // verify-ca with libpq's meaning: the chain is checked, not the host name, since
  // the local server's certificate names the machine, not 127.0.0.1. Production
  // uses verify-full (docs/SECURITY.md).
  const withTls = (rootCert: string) => {
    const url = new URL(base);
    url.searchParams.set('uselibpqcompat', 'true');
    url.searchParams.set('sslmode', 'verify-ca');
    url.searchParams.set('sslrootcert', rootCert);
    return url.toString();
  };
  const pgServerCa = () => {
    const file = join(dir, 'pg-server.pem');
    writeFileSync(file, postgresServerCertificate(base.hostname, Number(base.port || 5432)));
    return file;
  };

  describe('PostgreSQL', () => {
    const sslInUse = async (url: string): Promise<boolean> => {
      const dataSource = await createDataSource({
        url,
        applicationName: 'ward-tls-test',
      }).initialize();
      try {
        const [row] = await dataSource.query<{ ssl: boolean }[]>(
          'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()',
        );
        return row!.ssl;
      } finally {
        await dataSource.destroy();
      }
    };

    it('connects over TLS, verifying the server against the configured CA', async () => {
      const url = withTls(pgServerCa());
      // The URL passes the services' own configuration check unchanged.
      expect(readEnv(infrastructureEnv, { DATABASE_URL: url }).DATABASE_URL).toBe(url);
      expect(await sslInUse(url)).toBe(true);
      const plain = new URL(base);
      plain.searchParams.set('sslmode', 'disable');
      expect(await sslInUse(plain.toString())).toBe(false);
    });

    it('refuses a server whose certificate the configured CA did not sign', async () => {
      await expect(sslInUse(withTls(pki.caFile))).rejects.toThrow(
        /certificate|self.signed|verify/i,
      );
    });
  });

  describe('Redis', () => {
    let server: ChildProcess;
    let port: number;

    beforeAll(async () => {
      port = await freePort();
      server = spawn(
        'redis-server',
        [
          '--port',
          '0',
          '--tls-port',
          String(port),
          '--tls-cert-file',
          pki.certFile,
          '--tls-key-file',
          pki.keyFile,
          '--tls-ca-cert-file',
          pki.caFile,
          '--tls-auth-clients',
          'no',
          '--save',
          '',
          '--appendonly',
          'no',
          '--bind',
          '127.0.0.1',
        ],
        { stdio: 'ignore' },
      );
      await eventually(async () => ((await portOpen(port)) ? true : undefined), {
        timeoutMs: 10_000,
        description: 'the TLS Redis to listen',
      });
    });

    afterAll(() => {
      server?.kill('SIGKILL');
    });

    it('talks to a rediss:// Redis whose certificate REDIS_TLS_CA_FILE signed', async () => {
      const env = readEnv(
        { ...infrastructureEnv, ...redisKeyPrefixEnv },
        { REDIS_URL: `rediss://127.0.0.1:${port}`, REDIS_TLS_CA_FILE: pki.caFile },
      );
      const { settings, problems } = redisSettings(env);
      expect(problems).toEqual([]);
      const redis = createRedis(settings);
      try {
        await redis.connect();
        await redis.set('tls-check', 'ok');
        expect(await redis.get('tls-check')).toBe('ok');
      } finally {
        redis.disconnect();
      }
    });

    it("refuses it without that CA (the system's CAs do not know it)", async () => {
      const redis = createRedis({ url: `rediss://127.0.0.1:${port}`, keyPrefix: 'tls:' });
      const errors: string[] = [];
      redis.on('error', (error: Error) => errors.push(error.message));
      try {
        await expect(redis.connect()).rejects.toThrow();
        expect(errors.join('; ')).toMatch(/self-signed certificate/);
      } finally {
        redis.disconnect();
      }
    });
  });

  describe('Kafka over TLS with SASL/SCRAM', () => {
    const password = uniqueTag('scram-password');
    const adminToken = uniqueTag('tls-admin-token');
    const tag = uniqueTag('tls');
    const prefix = scratchPrefix(tag);
    let broker: SecureBroker;
    let fusion: ServiceProcess | undefined;

    const client = (over: { password?: string; tls?: boolean } = {}) =>
      createKafka({
        brokers: [broker.bootstrap],
        clientId: 'tls-test',
        topicPrefix: prefix,
        ensureTopics: false,
        ...(over.tls !== false && { ssl: { ca: pki.ca } }),
        sasl: {
          mechanism: 'scram-sha-512',
          username: broker.username,
          password: over.password ?? password,
        },
      });

    beforeAll(async () => {
      const [brokerPort, controllerPort] = [await freePort(), await freePort()];
      broker = startSecureBroker(
        mkdtempSync(join(dir, 'kafka-')),
        pki,
        { broker: brokerPort, controller: controllerPort },
        password,
      );
      await eventually(
        async () => {
          const admin = client().admin();
          await admin.connect();
          await admin.listTopics();
          await admin.disconnect();
          return true;
        },
        {
          timeoutMs: 90_000,
          intervalMs: 1000,
          description: 'the SASL_SSL broker to accept clients',
        },
      );
    }, 120_000);

    afterAll(async () => {
      await fusion?.stop();
      await broker?.stop();
    });

    it('runs a service from configuration alone (Kafka TLS + SCRAM, PostgreSQL TLS, secrets from files) and logs no secret', async () => {
      const passwordFile = join(dir, 'kafka-password');
      writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
      fusion = await startService(
        'fusion',
        {
          KAFKA_BROKERS: broker.bootstrap,
          KAFKA_SSL_CA_FILE: pki.caFile,
          KAFKA_SASL_MECHANISM: 'scram-sha-512',
          KAFKA_SASL_USERNAME: broker.username,
          KAFKA_SASL_PASSWORD_FILE: passwordFile,
          KAFKA_TOPIC_PREFIX: prefix,
          DATABASE_URL: withTls(pgServerCa()),
          FUSION_CONSUMER_GROUP: `${prefix}fusion`,
          FUSION_ADMIN_TOKEN: adminToken,
          LOG_LEVEL: 'debug',
        },
        { port: await freePort(), readyTimeoutMs: 90_000 },
      );
      const tenant = uniqueTag('tls-tenant');
      const producer = client().producer({ idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      await producer.send({
        topic: topicRegistry(prefix).threatAlerts.name,
        messages: [{ key: agentKey(tenant, 'a'), value: JSON.stringify(seedAlert(tenant)) }],
      });
      await producer.disconnect();
      await eventually(
        async () => {
          const res = await fetch(`${fusion!.baseUrl}/v1/tenants/${tenant}/incidents`, {
            headers: { authorization: `Bearer ${adminToken}` },
          });
          const body = (await res.json()) as { incidents?: unknown[] };
          return (body.incidents?.length ?? 0) > 0 ? true : undefined;
        },
        { timeoutMs: 60_000, description: 'the incident fusion made from the alert' },
      );
      const logs = fusion.output.join('');
      expect(logs.length).toBeGreaterThan(0);
      expect(findSecrets(logs, [password, adminToken])).toEqual([]);
    });

    it('refuses a wrong password, and a client without TLS', async () => {
      const wrong = client({ password: `${password}-wrong` }).admin();
      await expect(wrong.connect()).rejects.toThrow(/SASL|authentication/i);
      const plain = createKafka({
        brokers: [broker.bootstrap],
        clientId: 'plain-test',
        topicPrefix: prefix,
        ensureTopics: false,
      }).admin({ retry: { retries: 0 } });
      await expect(plain.connect()).rejects.toThrow();
    });
  });
});
