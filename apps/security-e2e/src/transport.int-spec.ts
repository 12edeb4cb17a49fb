import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type Admin, Kafka, logLevel } from 'kafkajs';
import {
  infrastructureEnv,
  kafkaTlsOptions,
  readEnv,
  redisKeyPrefixEnv,
  redisSettings,
} from '@ward/config';
import {
  type AgentControl,
  agentKey,
  allTopics,
  type BehavioralEvent,
  type DeadLetter,
  type Incident,
  type Policy,
  type ResponseAction,
  type ThreatAlert,
  topicRegistry,
} from '@ward/contracts';
import {
  aclLine,
  applyAcls,
  createKafka,
  describePrincipalAcls,
  ensureTopics,
  SERVICE_KAFKA_ACCESS,
  serviceAcls,
  WARD_SERVICES,
  type WardAcl,
  type WardService,
} from '@ward/messaging';
import { createDataSource, createRedis } from '@ward/persistence';
import {
  callSeries,
  eventually,
  freePort,
  infraEnv,
  scratchPrefix,
  type ServiceProcess,
  startService,
  TopicRecorder,
  toNdjson,
  uniqueTag,
} from '@ward/testing';
import { type Mesh, meshConsumerGroups, startMesh } from './mesh';
import { startSecureBroker, type SecureBroker } from './secure-kafka';
import { findSecrets } from './secret-scan';
import { seedAlert } from './seed';
import {
  type ClientCertificate,
  issueClientCertificate,
  makeTestPki,
  postgresServerCertificate,
  type TestPki,
} from './tls';

const ROOT = join(__dirname, '../../..');
const execFileAsync = promisify(execFile);

/**
 * Transport security is configuration: PostgreSQL over TLS through
 * DATABASE_URL's sslmode and sslrootcert, Redis over TLS through a rediss://
 * REDIS_URL and REDIS_TLS_CA_FILE. Against the real local PostgreSQL (its
 * own certificate) and a Redis started here with a certificate of a
 * throw-away CA: the connection is encrypted and verified, and a server whose
 * certificate the configured CA did not sign is refused. Kafka: a broker of its
 * own with SASL/SCRAM and mutual-TLS listeners and the StandardAuthorizer, so
 * each service gets only the ACLs `npm run kafka-acls` gives it.
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

  describe('Kafka', () => {
    const password = uniqueTag('scram-password');
    let broker: SecureBroker;

    const client = (over: { password?: string; tls?: boolean; prefix?: string } = {}) =>
      createKafka({
        brokers: [broker.bootstrap],
        clientId: 'tls-test',
        topicPrefix: over.prefix ?? '',
        ensureTopics: false,
        ...(over.tls !== false && { ssl: { ca: pki.ca } }),
        sasl: {
          mechanism: 'scram-sha-512',
          username: broker.username,
          password: over.password ?? password,
        },
      });

    // One broker for both: a SASL_SSL listener and a mutual-TLS one, ACLs enforced.
    beforeAll(async () => {
      const [brokerPort, mtlsPort, controllerPort] = [
        await freePort(),
        await freePort(),
        await freePort(),
      ];
      broker = startSecureBroker(
        mkdtempSync(join(dir, 'kafka-')),
        pki,
        { broker: brokerPort, mtls: mtlsPort, controller: controllerPort },
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
      await broker?.stop();
    });

    describe('over TLS with SASL/SCRAM', () => {
      const adminToken = uniqueTag('tls-admin-token');
      const prefix = scratchPrefix(uniqueTag('tls'));
      let fusion: ServiceProcess | undefined;

      afterAll(async () => {
        await fusion?.stop();
      });

      // The SCRAM user is a super user of this broker: this is about transport;
      // what a service may do is the mutual-TLS tests' subject.
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
        const producer = client({ prefix }).producer({ idempotent: true, maxInFlightRequests: 1 });
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

    describe('with mutual TLS and per-service ACLs', () => {
      const adminToken = uniqueTag('mtls-admin-token');
      const prefix = scratchPrefix(uniqueTag('mtls'));
      const topics = topicRegistry(prefix);
      const groups = { fusion: `${prefix}fusion`, ingest: `${prefix}ingest` };
      let certs: Record<'admin' | 'fusion' | 'ingest' | 'rogue', ClientCertificate>;
      let fusion: ServiceProcess | undefined;
      let recorder: TopicRecorder | undefined;

      const mtls = (cert: ClientCertificate | undefined) =>
        createKafka({
          brokers: [broker.mtlsBootstrap],
          clientId: 'mtls-test',
          topicPrefix: prefix,
          ensureTopics: false,
          ssl: { ca: pki.ca, ...(cert !== undefined && { cert: cert.cert, key: cert.key }) },
        });

      const strict = (cert: ClientCertificate | undefined) =>
        strictClient(broker.mtlsBootstrap, {
          ca: pki.ca,
          ...(cert !== undefined && { cert: cert.cert, key: cert.key }),
        });

      const withAdmin = async <T>(work: (admin: Admin) => Promise<T>): Promise<T> => {
        const admin = mtls(certs.admin).admin();
        await admin.connect();
        try {
          return await work(admin);
        } finally {
          await admin.disconnect();
        }
      };

      // The controller commits an ACL before the broker's authorizer has it:
      // wait until the broker describes exactly `acls` for the principal.
      const aclsInForce = (principal: string, acls: readonly WardAcl[]) =>
        eventually(
          () =>
            withAdmin(async (admin) => {
              const held = await describePrincipalAcls(admin, principal);
              expect(held).toEqual(acls.map(aclLine).sort());
              return true;
            }),
          { timeoutMs: 10_000, description: `the ACLs of ${principal} in force` },
        );

      beforeAll(async () => {
        certs = {
          admin: issueClientCertificate(pki, 'ward-admin'),
          fusion: issueClientCertificate(pki, 'fusion'),
          ingest: issueClientCertificate(pki, 'ingest'),
          // The administrator's name, but signed by a CA the broker does not trust.
          rogue: issueClientCertificate(
            makeTestPki(mkdtempSync(join(dir, 'rogue-')), 'rogue'),
            'ward-admin',
          ),
        };
        // Under ACLs the services may not create topics: the administrator does.
        await ensureTopics(mtls(certs.admin), allTopics(topics));
        const ingestAcls = serviceAcls('sentinel-ingest', {
          principal: 'User:ingest',
          topicPrefix: prefix,
          group: groups.ingest,
        });
        await withAdmin((admin) => applyAcls(admin, ingestAcls));
        await aclsInForce('User:ingest', ingestAcls);
        // The first group request creates the offsets topic; have it in place
        // before the clients that do not retry ask for a group coordinator.
        await withAdmin((admin) =>
          admin.fetchOffsets({ groupId: `${prefix}warm-up`, topics: [topics.dlq.name] }),
        );
      }, 60_000);

      afterAll(async () => {
        await recorder?.stop();
        await fusion?.stop();
      });

      it('refuses a client without a certificate, and one whose certificate another CA signed', async () => {
        for (const cert of [undefined, certs.rogue]) {
          const admin = strict(cert).kafka.admin();
          // The broker ends the handshake with a TLS alert (bad certificate, certificate unknown).
          await expect(admin.connect()).rejects.toThrow(/SSL alert number/);
        }
        // The same listener, a certificate of the right CA: accepted.
        expect(await withAdmin((admin) => admin.listTopics())).toContain(topics.incidents.name);
      });

      it('runs fusion over mutual TLS with exactly the ACLs npm run kafka-acls applied', async () => {
        await applyKafkaAcls({
          service: 'fusion',
          principal: 'User:fusion',
          bootstrap: broker.mtlsBootstrap,
          caFile: pki.caFile,
          admin: certs.admin,
          topicPrefix: prefix,
          group: groups.fusion,
        });
        const expected = serviceAcls('fusion', {
          principal: 'User:fusion',
          topicPrefix: prefix,
          group: groups.fusion,
        });
        // Exactly these: nothing more, nothing less.
        await aclsInForce('User:fusion', expected);

        recorder = await new TopicRecorder(
          mtls(certs.admin),
          [topics.incidents.name],
          `${prefix}recorder`,
        ).start();
        fusion = await startService(
          'fusion',
          {
            KAFKA_BROKERS: broker.mtlsBootstrap,
            KAFKA_SSL_CA_FILE: pki.caFile,
            KAFKA_SSL_CERT_FILE: certs.fusion.certFile,
            KAFKA_SSL_KEY_FILE: certs.fusion.keyFile,
            KAFKA_TOPIC_PREFIX: prefix,
            FUSION_CONSUMER_GROUP: groups.fusion,
            FUSION_ADMIN_TOKEN: adminToken,
            LOG_LEVEL: 'debug',
          },
          { port: await freePort(), readyTimeoutMs: 90_000 },
        );
        const tenant = uniqueTag('mtls-tenant');
        const producer = mtls(certs.admin).producer({ idempotent: true, maxInFlightRequests: 1 });
        await producer.connect();
        await producer.send({
          topic: topics.threatAlerts.name,
          messages: [{ key: agentKey(tenant, 'a'), value: JSON.stringify(seedAlert(tenant)) }],
        });
        await producer.disconnect();
        // Read with its ACLs, written with its ACLs: the incident is on the topic.
        await recorder.waitFor(
          topics.incidents.name,
          (m) => (m.value as { tenantId?: string } | null)?.tenantId === tenant,
          60_000,
        );
        const keyBody = certs.fusion.key.split('\n')[1]!;
        expect(findSecrets(fusion.output.join(''), [keyBody, adminToken])).toEqual([]);

        // And with the same principal, it may not write events.
        expect(await produceErrorTypes(mtls(certs.fusion), topics.behavioralEvents.name)).toContain(
          'TOPIC_AUTHORIZATION_FAILED',
        );
      });

      it('denies the ingest principal what ingest does not do', async () => {
        const ingest = strict(certs.ingest);
        expect(await produceErrorTypes(ingest.kafka, topics.behavioralEvents.name)).toEqual([]);
        expect(await produceErrorTypes(ingest.kafka, topics.incidents.name)).toContain(
          'TOPIC_AUTHORIZATION_FAILED',
        );
        expect(
          await consumeErrorTypes(ingest.kafka, groups.ingest, topics.threatAlerts.name),
        ).toContain('TOPIC_AUTHORIZATION_FAILED');
        // Its own topic, fusion's group: the broker refuses the group (kafkajs reports
        // that as "coordinator not found" and only logs the broker's answer).
        await consumeErrorTypes(ingest.kafka, groups.fusion, topics.telemetryRaw.name);
        expect(ingest.loggedErrorTypes).toContain('GROUP_AUTHORIZATION_FAILED');
        // Nor may it create topics: a missing one stops it with what to do.
        await expect(
          ensureTopics(ingest.kafka, [{ ...topics.dlq, name: `${prefix}ward.not-created.v1` }]),
        ).rejects.toThrow(/may not create them.*npm run topics/);
      });
    });

    describe('all five services, each with its own certificate and only its ACLs', () => {
      const tag = uniqueTag('acl-mesh');
      const prefix = scratchPrefix(tag);
      const topics = topicRegistry(prefix);
      const groups = meshConsumerGroups(prefix);
      // Names of their own, so these principals hold no ACL of the tests above.
      const principalOf = (service: string) => `User:${service}.acl-mesh`;
      const WINDOW = 60_000;
      // Event time two hours back, aligned to a window: seconds, not minutes.
      const START = Math.floor((Date.now() - 2 * 3_600_000) / WINDOW) * WINDOW;
      let admin: ClientCertificate;
      let mesh: Mesh | undefined;
      let recorder: TopicRecorder | undefined;
      let playbooks: string;

      const adminKafka = () =>
        createKafka({
          brokers: [broker.mtlsBootstrap],
          clientId: 'acl-mesh-test',
          topicPrefix: prefix,
          ensureTopics: false,
          ssl: { ca: pki.ca, cert: admin.cert, key: admin.key },
        });

      beforeAll(async () => {
        admin = issueClientCertificate(pki, 'ward-admin');
        // Topics by the administrator; the services only check that they exist.
        await ensureTopics(adminKafka(), allTopics(topics));
        // Each service's ACLs exactly as the operator applies them: npm run kafka-acls -- --apply.
        await Promise.all(
          WARD_SERVICES.map((service) =>
            applyKafkaAcls({
              service,
              principal: principalOf(service),
              bootstrap: broker.mtlsBootstrap,
              caFile: pki.caFile,
              admin,
              topicPrefix: prefix,
              group: groups[service],
            }),
          ),
        );
        const kafkaAdmin = adminKafka().admin();
        await kafkaAdmin.connect();
        try {
          for (const service of WARD_SERVICES) {
            const expected = serviceAcls(service, {
              principal: principalOf(service),
              topicPrefix: prefix,
              group: groups[service],
            })
              .map(aclLine)
              .sort();
            await eventually(
              async () => {
                expect(await describePrincipalAcls(kafkaAdmin, principalOf(service))).toEqual(
                  expected,
                );
                return true;
              },
              { timeoutMs: 10_000, description: `the ACLs of ${service} in force` },
            );
          }
          // The offsets topic exists before any group coordinator is asked for.
          await kafkaAdmin.fetchOffsets({ groupId: `${prefix}warm-up`, topics: [topics.dlq.name] });
        } finally {
          await kafkaAdmin.disconnect();
        }
        recorder = await new TopicRecorder(
          adminKafka(),
          [
            topics.behavioralEvents.name,
            topics.threatAlerts.name,
            topics.incidents.name,
            topics.responseActions.name,
            topics.agentControl.name,
            topics.policies.name,
            topics.dlq.name,
          ],
          `${prefix}recorder`,
        ).start();
        playbooks = mkdtempSync(join(dir, 'acl-mesh-playbooks-'));
        writeFileSync(join(playbooks, 'watch.yaml'), WATCH_PLAYBOOK);
        const certs = Object.fromEntries(
          WARD_SERVICES.map((service) => [
            service,
            issueClientCertificate(pki, `${service}.acl-mesh`),
          ]),
        ) as Record<(typeof WARD_SERVICES)[number], ClientCertificate>;
        mesh = await startMesh('acl-mesh', {
          tag,
          logLevel: 'log',
          extraEnv: { KAFKA_BROKERS: broker.mtlsBootstrap, KAFKA_SSL_CA_FILE: pki.caFile },
          serviceEnv: Object.fromEntries(
            WARD_SERVICES.map((service) => [
              service,
              {
                KAFKA_SSL_CERT_FILE: certs[service].certFile,
                KAFKA_SSL_KEY_FILE: certs[service].keyFile,
                ...(service === 'response-engine' && { RESPONSE_PLAYBOOK_DIRS: playbooks }),
              },
            ]),
          ),
        });
      }, 150_000);

      afterAll(async () => {
        await recorder?.stop();
        await mesh?.stop();
      });

      it('carries telemetry to an alert, an incident, a response, an agent-control record and a policy, and dead-letters a malformed record', async () => {
        const m = mesh!;
        const rec = recorder!;
        const tenant = uniqueTag('acl-tenant').replace(/[^A-Za-z0-9]/g, '');
        const ingestKey = await m.createKey(tenant, ['ingest']);
        // In over HTTP: three calm agents and one whose calls explode in the last window.
        const calm = ['calm-1', 'calm-2', 'calm-3'].flatMap((agentId) =>
          callSeries({
            tenantId: tenant,
            agentId,
            startMs: START,
            windowMs: WINDOW,
            perWindow: [10, 12, 11, 10, 11],
          }),
        );
        const burst = callSeries({
          tenantId: tenant,
          agentId: 'runaway',
          startMs: START,
          windowMs: WINDOW,
          perWindow: [10, 12, 11, 10, 80],
        });
        const res = await fetch(`${m.services['sentinel-ingest'].baseUrl}/v1/events`, {
          method: 'POST',
          headers: {
            'content-type': 'application/x-ndjson',
            authorization: `Bearer ${ingestKey}`,
          },
          body: toNdjson([...calm, ...burst]),
        });
        expect(res.status).toBe(202);
        // And on the raw telemetry topic: one good record and one that is not JSON.
        const [raw] = callSeries({
          tenantId: tenant,
          agentId: 'raw-agent',
          startMs: START,
          windowMs: WINDOW,
          perWindow: [1],
        });
        const producer = adminKafka().producer({ idempotent: true, maxInFlightRequests: 1 });
        await producer.connect();
        try {
          await producer.send({
            topic: topics.telemetryRaw.name,
            messages: [
              { key: agentKey(tenant, 'raw-agent'), value: JSON.stringify(raw) },
              { key: agentKey(tenant, 'poison'), value: '{"not": "telemetry"' },
            ],
          });
        } finally {
          await producer.disconnect();
        }
        const ofTenant = (m: { value: unknown }) =>
          (m.value as { tenantId?: string } | null)?.tenantId === tenant;
        const MINUTE = 60_000;

        // ingest: the raw record consumed (its group, Read on raw) and written as an event.
        const event = await rec.waitFor(
          topics.behavioralEvents.name,
          (r) => ofTenant(r) && (r.value as BehavioralEvent).agentId === 'raw-agent',
          MINUTE,
        );
        expect(event.key).toBe(agentKey(tenant, 'raw-agent'));
        // ingest: the malformed one dead-lettered (Write on the DLQ).
        const dead = await rec.waitFor(
          topics.dlq.name,
          (r) => (r.value as DeadLetter).sourceTopic === topics.telemetryRaw.name,
          MINUTE,
        );
        expect((dead.value as DeadLetter).sourceTopic).toBe(topics.telemetryRaw.name);
        // behavioral-monitor: the burst read from events, an alert written.
        const alert = await rec.waitFor(
          topics.threatAlerts.name,
          (r) => ofTenant(r) && (r.value as ThreatAlert).agentId === 'runaway',
          MINUTE,
        );
        expect(alert.value).toMatchObject({ detector: 'call_rate_spike' });
        // fusion: the alert read, an incident written.
        const incident = (
          await rec.waitFor(
            topics.incidents.name,
            (r) => ofTenant(r) && (r.value as Incident).agents.includes('runaway'),
            MINUTE,
          )
        ).value as Incident;
        // response-engine: the incident read, its run's steps and the tier change written.
        const action = (
          await rec.waitFor(
            topics.responseActions.name,
            (r) =>
              ofTenant(r) &&
              (r.value as ResponseAction).incidentId === incident.incidentId &&
              (r.value as ResponseAction).status === 'succeeded',
            MINUTE,
          )
        ).value as ResponseAction;
        expect(action).toMatchObject({ playbookId: 'acl-mesh-watch', action: 'set_tier' });
        const control = (
          await rec.waitFor(
            topics.agentControl.name,
            (r) => ofTenant(r) && (r.value as AgentControl).source === 'response-engine',
            MINUTE,
          )
        ).value as AgentControl;
        expect(control).toMatchObject({ agentId: 'runaway', tier: 2 });
        const runs = await fetch(
          `${m.services['response-engine'].baseUrl}/v1/tenants/${tenant}/incidents/${incident.incidentId}/runs`,
          { headers: { authorization: `Bearer ${m.adminToken}` } },
        );
        expect(runs.status).toBe(200);
        expect(JSON.stringify(await runs.json())).toContain(action.runId);
        // behavioral-monitor again: the agent-control record read (Read on agent control),
        // the playbook's tier now the agent's configured tier.
        await eventually(
          async () => {
            const agent = await fetch(
              `${m.services['behavioral-monitor'].baseUrl}/v1/tenants/${tenant}/agents/runaway`,
              { headers: { authorization: `Bearer ${m.adminToken}` } },
            );
            const body = (await agent.json()) as { configuredTier?: number | null };
            return body.configuredTier === 2 ? true : undefined;
          },
          { timeoutMs: MINUTE, description: 'the monitor to apply the tier change' },
        );
        // policy-generator: alerts, incidents and actions read, a proposal written.
        const policy = (await rec.waitFor(topics.policies.name, ofTenant, MINUTE)).value as Policy;
        expect(policy.status).toBe('proposed');
        // ... and its dry run reads events with a throwaway group (the prefixed group ACL).
        const dryRun = await fetch(
          `${m.services['policy-generator'].baseUrl}/v1/tenants/${tenant}/policies/${policy.policyId}/dry-run`,
          {
            method: 'POST',
            headers: {
              authorization: `Bearer ${m.adminToken}`,
              'content-type': 'application/json',
            },
            // Event time is two hours back: a day covers the tenant's events.
            body: JSON.stringify({ sinceMinutes: 24 * 60 }),
          },
        );
        expect(dryRun.status).toBe(201);
        const report = (await dryRun.json()) as {
          policyId: string;
          complete: boolean;
          tenantEvents: number;
        };
        expect(report).toMatchObject({ policyId: policy.policyId, complete: true });
        expect(report.tenantEvents).toBeGreaterThan(0);

        // Nothing any of them did was refused: no authorization error in any log.
        for (const service of WARD_SERVICES) {
          const refusals = m.services[service].output
            .join('')
            .split('\n')
            .filter((line) => AUTHORIZATION_ERROR.test(line));
          expect({ service, refusals }).toEqual({ service, refusals: [] });
        }
      });
    });
  });
});

/** What kafkajs logs when the broker refuses a request for want of an ACL. */
const AUTHORIZATION_ERROR =
  /[A-Z_]+_AUTHORIZATION_FAILED|not authorized to access|authorization failed|SASL_AUTHENTICATION_FAILED/i;

/** The response engine's playbook in the ACL mesh: a tier change, nothing outside. */
const WATCH_PLAYBOOK = `id: acl-mesh-watch
version: 1
name: Watch a bursting agent
description: Puts the incident's agents on tier 2.
priority: 100
trigger:
  severityAtLeast: medium
steps:
  - id: watch
    action: set_tier
    with:
      agents: \${incident.agents}
      tier: 2
      reason: 'ACL mesh incident \${incident.incidentId}'
    timeout: 10s
`;

/**
 * A client that gives up at once (no retries) and keeps the error types of the
 * protocol errors kafkajs logs, some of which it does not pass on.
 */
/**
 * `npm run kafka-acls -- --service <s> --principal <p> --apply`, run as an
 * operator runs it: with an administrator's certificate and the service's
 * group setting in the environment.
 */
function applyKafkaAcls(o: {
  readonly service: WardService;
  readonly principal: string;
  readonly bootstrap: string;
  readonly caFile: string;
  readonly admin: ClientCertificate;
  readonly topicPrefix: string;
  readonly group: string;
}) {
  return execFileAsync(
    process.execPath,
    [
      'scripts/run-ts.mjs',
      'libs/messaging/src/cli/kafka-acls.ts',
      '--service',
      o.service,
      '--principal',
      o.principal,
      '--apply',
    ],
    {
      cwd: ROOT,
      timeout: 60_000,
      env: {
        ...process.env,
        KAFKA_BROKERS: o.bootstrap,
        KAFKA_SSL_CA_FILE: o.caFile,
        KAFKA_SSL_CERT_FILE: o.admin.certFile,
        KAFKA_SSL_KEY_FILE: o.admin.keyFile,
        KAFKA_TOPIC_PREFIX: o.topicPrefix,
        [SERVICE_KAFKA_ACCESS[o.service].groupSetting]: o.group,
      },
    },
  );
}

function strictClient(
  broker: string,
  ssl: { ca: string; cert?: string; key?: string },
): { kafka: Kafka; loggedErrorTypes: string[] } {
  const loggedErrorTypes: string[] = [];
  const kafka = new Kafka({
    clientId: 'mtls-strict-test',
    brokers: [broker],
    ssl: kafkaTlsOptions(ssl),
    retry: { retries: 0 },
    logLevel: logLevel.DEBUG,
    logCreator:
      () =>
      ({ log }) => {
        loggedErrorTypes.push(...errorTypes((log as { error?: unknown }).error));
      },
  });
  return { kafka, loggedErrorTypes };
}

/** The kafkajs error types (`TOPIC_AUTHORIZATION_FAILED`, …) in an error and what it wraps. */
function errorTypes(error: unknown): string[] {
  const seen: string[] = [];
  const visit = (e: unknown): void => {
    if (typeof e !== 'object' || e === null) {
      return;
    }
    const { type, cause, originalError, errors } = e as {
      type?: unknown;
      cause?: unknown;
      originalError?: unknown;
      errors?: unknown;
    };
    if (typeof type === 'string') {
      seen.push(type);
    }
    visit(cause);
    visit(originalError);
    if (Array.isArray(errors)) {
      errors.forEach(visit);
    }
  };
  visit(error);
  return [...new Set(seen)];
}

/** [] when one record reached `topic`, else the error types of the refusal. */
async function produceErrorTypes(kafka: Kafka, topic: string): Promise<string[]> {
  const producer = kafka.producer({ allowAutoTopicCreation: false, retry: { retries: 0 } });
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages: [{ key: 'k', value: '{}' }] });
    return [];
  } catch (error) {
    return errorTypes(error);
  } finally {
    await producer.disconnect();
  }
}

/** The error types with which a consumer of `topic` in `groupId` stops. */
async function consumeErrorTypes(kafka: Kafka, groupId: string, topic: string): Promise<string[]> {
  const consumer = kafka.consumer({
    groupId,
    allowAutoTopicCreation: false,
    retry: { retries: 0, restartOnFailure: () => Promise.resolve(false) },
  });
  const crashed = new Promise<unknown>((resolve) =>
    consumer.on(consumer.events.CRASH, (event) => resolve(event.payload.error)),
  );
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({ eachMessage: () => Promise.resolve() });
    return errorTypes(await crashed);
  } catch (error) {
    return errorTypes(error);
  } finally {
    await consumer.disconnect().catch(() => undefined);
  }
}
