import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TestPki {
  readonly dir: string;
  readonly caFile: string;
  readonly caKeyFile: string;
  readonly certFile: string;
  readonly keyFile: string;
  readonly ca: string;
}

/** A client certificate (subject CN=`name`) and its PKCS#8 key, as files and PEM. */
export interface ClientCertificate {
  readonly certFile: string;
  readonly keyFile: string;
  readonly cert: string;
  readonly key: string;
}

/**
 * A throw-away CA and a server certificate for 127.0.0.1 and localhost, made
 * with the openssl command line (Node cannot sign certificates) in `dir`.
 */
export function makeTestPki(dir: string, name = 'ward-test'): TestPki {
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-subj',
    `/CN=${name}-ca`,
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
  );
  openssl(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    '/CN=127.0.0.1',
    '-keyout',
    'server.raw.key',
    '-out',
    'server.csr',
  );
  writeFileSync(join(dir, 'san.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '1',
    '-extfile',
    'san.cnf',
    '-out',
    'server.pem',
  );
  // PKCS#8, the one private-key form every server here (Kafka's PEM store included) reads.
  openssl('pkcs8', '-topk8', '-nocrypt', '-in', 'server.raw.key', '-out', 'server.key');
  return {
    dir,
    caFile: join(dir, 'ca.pem'),
    caKeyFile: join(dir, 'ca.key'),
    certFile: join(dir, 'server.pem'),
    keyFile: join(dir, 'server.key'),
    ca: readFileSync(join(dir, 'ca.pem'), 'utf8'),
  };
}

/**
 * A client certificate for `name` (CN=`name`, extendedKeyUsage clientAuth)
 * signed by the PKI's CA, written next to it.
 */
export function issueClientCertificate(pki: TestPki, name: string): ClientCertificate {
  const openssl = (...args: string[]) =>
    execFileSync('openssl', args, { cwd: pki.dir, stdio: 'pipe' });
  const base = `client-${name}`;
  openssl(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    `/CN=${name}`,
    '-keyout',
    `${base}.raw.key`,
    '-out',
    `${base}.csr`,
  );
  writeFileSync(join(pki.dir, `${base}.cnf`), 'extendedKeyUsage=clientAuth\n');
  openssl(
    'x509',
    '-req',
    '-in',
    `${base}.csr`,
    '-CA',
    pki.caFile,
    '-CAkey',
    pki.caKeyFile,
    '-CAcreateserial',
    '-days',
    '1',
    '-extfile',
    `${base}.cnf`,
    '-out',
    `${base}.pem`,
  );
  openssl('pkcs8', '-topk8', '-nocrypt', '-in', `${base}.raw.key`, '-out', `${base}.key`);
  const certFile = join(pki.dir, `${base}.pem`);
  const keyFile = join(pki.dir, `${base}.key`);
  return {
    certFile,
    keyFile,
    cert: readFileSync(certFile, 'utf8'),
    key: readFileSync(keyFile, 'utf8'),
  };
}

/** The certificate chain a PostgreSQL server presents (STARTTLS), as PEM. */
export function postgresServerCertificate(host: string, port: number): string {
  const out = execFileSync(
    'openssl',
    ['s_client', '-starttls', 'postgres', '-connect', `${host}:${port}`, '-showcerts'],
    { input: '', stdio: ['pipe', 'pipe', 'pipe'], timeout: 10_000 },
  ).toString('utf8');
  const certs = out.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g);
  if (certs === null) {
    throw new Error(`PostgreSQL at ${host}:${port} presented no certificate (is ssl on?)`);
  }
  return `${certs.join('\n')}\n`;
}
