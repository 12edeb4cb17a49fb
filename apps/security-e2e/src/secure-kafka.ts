import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { type TestPki } from './tls';

/** The Kafka jars deploy/local/infra.sh fetched ($WARD_HOME/kafka/libs). */
function kafkaLibs(): string {
  const home =
    process.env.WARD_HOME ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'ward');
  return join(home, 'kafka', 'libs', '*');
}

export interface SecureBroker {
  /** SASL_SSL: TLS and SCRAM-SHA-512. */
  readonly bootstrap: string;
  /** SSL with a client certificate required; the principal is the certificate's CN. */
  readonly mtlsBootstrap: string;
  /** The principal (certificate CN) the broker treats as a super user, besides `username`. */
  readonly adminPrincipal: string;
  readonly username: string;
  readonly password: string;
  readonly output: string[];
  stop(): Promise<void>;
}

/**
 * A single-node KRaft broker of its own (in `dir`, on free ports) with two
 * client listeners: SASL_SSL (TLS with the test CA's certificate and
 * SCRAM-SHA-512, the user created at format time) and MTLS (TLS with a client
 * certificate of the test CA required, the principal `User:<CN>`). The
 * StandardAuthorizer denies whatever no ACL allows; the SCRAM user, the
 * `ward-admin` certificate and the broker itself (its own certificate, on the
 * mutual-TLS controller listener) are super users. The same jars as the local
 * broker, plain java.
 */
export function startSecureBroker(
  dir: string,
  pki: TestPki,
  ports: { readonly broker: number; readonly mtls: number; readonly controller: number },
  password: string,
): SecureBroker {
  const username = 'ward-service';
  const adminPrincipal = 'User:ward-admin';
  // Kafka's PEM key store: the PKCS#8 key and the certificate in one file.
  const keystore = join(dir, 'kafka-keystore.pem');
  writeFileSync(
    keystore,
    `${readFileSync(pki.keyFile, 'utf8')}\n${readFileSync(pki.certFile, 'utf8')}`,
  );
  const jaas = `org.apache.kafka.common.security.scram.ScramLoginModule required username="${username}" password="${password}";`;
  const properties = join(dir, 'server.properties');
  writeFileSync(
    properties,
    [
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.voters=1@127.0.0.1:${ports.controller}`,
      `listeners=SASL_SSL://127.0.0.1:${ports.broker},MTLS://127.0.0.1:${ports.mtls},CONTROLLER://127.0.0.1:${ports.controller}`,
      `advertised.listeners=SASL_SSL://127.0.0.1:${ports.broker},MTLS://127.0.0.1:${ports.mtls}`,
      'listener.security.protocol.map=SASL_SSL:SASL_SSL,MTLS:SSL,CONTROLLER:SSL',
      'controller.listener.names=CONTROLLER',
      'inter.broker.listener.name=SASL_SSL',
      // Per listener: a bare ssl.client.auth would not apply to SASL_SSL (KIP-684) anyway.
      'listener.name.mtls.ssl.client.auth=required',
      'listener.name.controller.ssl.client.auth=required',
      // CN=fusion,O=... -> fusion; the principal is then User:fusion.
      'ssl.principal.mapping.rules=RULE:^CN=([^,]+).*$/$1/,DEFAULT',
      'authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer',
      'allow.everyone.if.no.acl.found=false',
      // The broker registers with its controller as its certificate's CN (127.0.0.1).
      `super.users=User:${username};${adminPrincipal};User:127.0.0.1`,
      'sasl.enabled.mechanisms=SCRAM-SHA-512',
      'sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512',
      `listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=${jaas}`,
      'ssl.keystore.type=PEM',
      `ssl.keystore.location=${keystore}`,
      'ssl.truststore.type=PEM',
      `ssl.truststore.location=${pki.caFile}`,
      'ssl.endpoint.identification.algorithm=',
      `log.dirs=${join(dir, 'data')}`,
      'num.partitions=1',
      'auto.create.topics.enable=false',
      'offsets.topic.replication.factor=1',
      'offsets.topic.num.partitions=1',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
      'group.initial.rebalance.delay.ms=0',
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(dir, 'log4j.properties'),
    'log4j.rootLogger=WARN, stdout\nlog4j.appender.stdout=org.apache.log4j.ConsoleAppender\nlog4j.appender.stdout.layout=org.apache.log4j.PatternLayout\nlog4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n\n',
  );
  const java = (main: string, ...args: string[]) =>
    execFileSync(
      'java',
      [
        '-cp',
        kafkaLibs(),
        `-Dlog4j.configuration=file:${join(dir, 'log4j.properties')}`,
        main,
        ...args,
      ],
      { stdio: 'pipe', timeout: 60_000 },
    ).toString('utf8');
  const clusterId = java('kafka.tools.StorageTool', 'random-uuid').trim().split('\n').pop()!;
  java(
    'kafka.tools.StorageTool',
    'format',
    '-t',
    clusterId,
    '-c',
    properties,
    '--add-scram',
    `SCRAM-SHA-512=[name=${username},password=${password}]`,
  );
  const output: string[] = [];
  const child: ChildProcess = spawn(
    'java',
    [
      '-Xms128m',
      '-Xmx384m',
      '-Djava.awt.headless=true',
      `-Dlog4j.configuration=file:${join(dir, 'log4j.properties')}`,
      '-cp',
      kafkaLibs(),
      'kafka.Kafka',
      properties,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  child.stdout?.on('data', (c: Buffer) => output.push(c.toString('utf8')));
  child.stderr?.on('data', (c: Buffer) => output.push(c.toString('utf8')));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    bootstrap: `127.0.0.1:${ports.broker}`,
    mtlsBootstrap: `127.0.0.1:${ports.mtls}`,
    adminPrincipal,
    username,
    password,
    output,
    async stop() {
      try {
        process.kill(-(child.pid as number), 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
      await exited;
    },
  };
}
