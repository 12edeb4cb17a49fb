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
  const server = issueCertificate(dir, {
    base: 'server',
    subject: '/CN=127.0.0.1',
    extensions: 'subjectAltName=IP:127.0.0.1,DNS:localhost',
    caFile: 'ca.pem',
    caKeyFile: 'ca.key',
  });
  return {
    dir,
    caFile: join(dir, 'ca.pem'),
    caKeyFile: join(dir, 'ca.key'),
    certFile: server.certFile,
    keyFile: server.keyFile,
    ca: readFileSync(join(dir, 'ca.pem'), 'utf8'),
  };
}

/**
 * A client certificate for `name` (CN=`name`, extendedKeyUsage clientAuth)
 * signed by the PKI's CA, written next to it.
 */
export function issueClientCertificate(pki: TestPki, name: string): ClientCertificate {
  const { certFile, keyFile } = issueCertificate(pki.dir, {
    base: `client-${name}`,
    subject: `/CN=${name}`,
    extensions: 'extendedKeyUsage=clientAuth',
    caFile: pki.caFile,
    caKeyFile: pki.caKeyFile,
  });
  return {
    certFile,
    keyFile,
    cert: readFileSync(certFile, 'utf8'),
    key: readFileSync(keyFile, 'utf8'),
  };
}

/**
 * A key and a certificate for `subject` with `extensions`, signed by the CA
 * (valid a day), written in `dir` as `<base>.pem` and `<base>.key` (PKCS#8,
 * the one private-key form every server here, Kafka's PEM store included, reads).
 */
function issueCertificate(
  dir: string,
  c: {
    readonly base: string;
    readonly subject: string;
    readonly extensions: string;
    readonly caFile: string;
    readonly caKeyFile: string;
  },
): { certFile: string; keyFile: string } {
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  openssl(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    c.subject,
    '-keyout',
    `${c.base}.raw.key`,
    '-out',
    `${c.base}.csr`,
  );
  writeFileSync(join(dir, `${c.base}.cnf`), `${c.extensions}\n`);
  openssl(
    'x509',
    '-req',
    '-in',
    `${c.base}.csr`,
    '-CA',
    c.caFile,
    '-CAkey',
    c.caKeyFile,
    '-CAcreateserial',
    '-days',
    '1',
    '-extfile',
    `${c.base}.cnf`,
    '-out',
    `${c.base}.pem`,
  );
  openssl('pkcs8', '-topk8', '-nocrypt', '-in', `${c.base}.raw.key`, '-out', `${c.base}.key`);
  return { certFile: join(dir, `${c.base}.pem`), keyFile: join(dir, `${c.base}.key`) };
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
