#!/usr/bin/env node
// `npm start`: installs what is missing, brings up Kafka, PostgreSQL and Redis
// (unless KAFKA_BROKERS, DATABASE_URL, REDIS_URL point elsewhere), applies the
// migrations, creates the topics and runs every service as its own supervised
// process with its output prefixed. Ctrl-C stops them all.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDependencies, ensureInfrastructure, log, paint, ROOT, run, runTs } from './lib.mjs';

const SERVICES = [
  {
    name: 'sentinel-ingest',
    short: 'ingest',
    color: '35',
    port: Number(process.env.INGEST_PORT ?? 3001),
  },
  {
    name: 'behavioral-monitor',
    short: 'monitor',
    color: '33',
    port: Number(process.env.MONITOR_PORT ?? 3002),
  },
  {
    name: 'fusion',
    short: 'fusion',
    color: '36',
    port: Number(process.env.FUSION_PORT ?? 3003),
  },
  {
    name: 'response-engine',
    short: 'respond',
    color: '32',
    port: Number(process.env.RESPONSE_PORT ?? 3004),
  },
  {
    name: 'policy-generator',
    short: 'policy',
    color: '34',
    port: Number(process.env.POLICY_PORT ?? 3005),
  },
];
const MAX_RESTARTS = 5;
const RESTART_WINDOW_MS = 60_000;

ensureDependencies();
ensureInfrastructure();
log('applying database migrations');
run(process.execPath, ['scripts/run-ts.mjs', 'libs/persistence/src/cli/migrate.ts']);
log('creating Kafka topics');
run(process.execPath, ['scripts/run-ts.mjs', 'libs/messaging/src/cli/create-topics.ts']);

// A folder newcomers can drop JSONL files into (file intake), unless configured otherwise.
const inbox = join(ROOT, '.ward/inbox');
if (process.env.INGEST_FILE_PATTERNS === undefined) {
  mkdirSync(inbox, { recursive: true });
  process.env.INGEST_FILE_PATTERNS = inbox;
}

// Local bearer tokens for every service's API and for OPA bundle pulls, unless
// configured: random once, kept in .ward/dev-tokens.env (mode 600) so `ward`
// (apps/cli) and a local OPA agent can use them across restarts.
const tokensFile = join(ROOT, '.ward/dev-tokens.env');
const tokens = existsSync(tokensFile)
  ? Object.fromEntries(
      readFileSync(tokensFile, 'utf8')
        .split('\n')
        .map((line) => /^([A-Z_]+)=(\S+)$/.exec(line.trim()))
        .filter((m) => m !== null)
        .map((m) => [m[1], m[2]]),
    )
  : {};
for (const name of [
  'INGEST_ADMIN_TOKEN',
  'MONITOR_ADMIN_TOKEN',
  'FUSION_ADMIN_TOKEN',
  'RESPONSE_ADMIN_TOKEN',
  'POLICY_ADMIN_TOKEN',
  'POLICY_BUNDLE_TOKEN',
]) {
  tokens[name] = process.env[name] ?? tokens[name] ?? randomBytes(24).toString('base64url');
  process.env[name] = tokens[name];
}
mkdirSync(join(ROOT, '.ward'), { recursive: true });
writeFileSync(
  tokensFile,
  Object.entries(tokens)
    .map(([k, v]) => `${k}=${v}\n`)
    .join(''),
  { mode: 0o600 },
);

// Where the services listen, for `ward` (it reads this file under its environment).
const cliHost = process.env.HOST && process.env.HOST !== '0.0.0.0' ? process.env.HOST : '127.0.0.1';
writeFileSync(
  join(ROOT, '.ward/services.env'),
  SERVICES.map(
    (s) =>
      `WARD_${s.short === 'respond' ? 'RESPONSE' : s.short.toUpperCase()}_URL=http://${cliHost}:${s.port}\n`,
  ).join('') +
    ['KAFKA_BROKERS', 'KAFKA_TOPIC_PREFIX', 'DATABASE_URL', 'REDIS_URL']
      .filter((name) => process.env[name] !== undefined)
      .map((name) => `${name}=${process.env[name]}\n`)
      .join(''),
  { mode: 0o600 },
);

let stopping = false;
const children = new Map();

function prefixLines(service, stream, target) {
  let pending = '';
  const tag = paint(service.color, `[${service.short.padEnd(7)}]`);
  stream.on('data', (chunk) => {
    pending += chunk.toString('utf8');
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      target.write(`${tag} ${line}\n`);
    }
  });
}

function launch(service, restarts = []) {
  const child = runTs(`apps/${service.name}/src/main.ts`, [], {
    env: { ...process.env, PORT: String(service.port), HOST: process.env.HOST ?? '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Own process group: Ctrl-C reaches only this supervisor, which then stops
    // each service once with SIGTERM so it can drain.
    detached: true,
  });
  children.set(service.name, child);
  prefixLines(service, child.stdout, process.stdout);
  prefixLines(service, child.stderr, process.stderr);
  child.on('exit', (code, signal) => {
    children.delete(service.name);
    if (stopping) {
      if (children.size === 0) {
        log('all services stopped');
        process.exit(0);
      }
      return;
    }
    const now = Date.now();
    const recent = [...restarts.filter((t) => now - t < RESTART_WINDOW_MS), now];
    if (recent.length > MAX_RESTARTS) {
      log(
        paint(
          '31',
          `${service.name} exited (${code ?? signal}) ${recent.length} times in a minute; giving up`,
        ),
      );
      shutdown(1);
      return;
    }
    const delay = Math.min(30_000, 500 * 2 ** (recent.length - 1));
    log(paint('31', `${service.name} exited (${code ?? signal}); restarting in ${delay} ms`));
    setTimeout(() => launch(service, recent), delay);
  });
}

function shutdown(code = 0) {
  if (stopping) {
    log('second interrupt: killing services');
    for (const child of children.values()) {
      child.kill('SIGKILL');
    }
    process.exit(1);
  }
  stopping = true;
  log('stopping services (they finish their batch, commit and leave their groups)');
  for (const child of children.values()) {
    child.kill('SIGTERM');
  }
  if (children.size === 0) {
    process.exit(code);
  }
}

process.on('exit', () => {
  for (const child of children.values()) {
    child.kill('SIGKILL');
  }
});
process.on('SIGINT', () => shutdown(0));
process.on('SIGTERM', () => shutdown(0));

for (const service of SERVICES) {
  launch(service);
}

const host = process.env.HOST && process.env.HOST !== '0.0.0.0' ? process.env.HOST : '127.0.0.1';
log('Ward is starting:');
for (const s of SERVICES) {
  const base = `http://${host}:${s.port}`;
  log(
    `  ${s.name.padEnd(19)} API ${base}/v1   docs ${base}/docs   metrics ${base}/metrics   ready ${base}/readyz`,
  );
}
log('send telemetry: KEY=... from `npm run -s api-key -- create --tenant acme --name me`, then');
log(
  `  curl -XPOST -H "authorization: Bearer $KEY" -H 'content-type: application/json' http://${host}:${SERVICES[0].port}/v1/events -d '{"agentId":"a","action":"search","timestamp":${Math.floor(Date.now() / 1000)}}'`,
);
log(
  `or drop JSONL files into ${process.env.INGEST_FILE_PATTERNS} (tenant ${process.env.INGEST_FILE_TENANT ?? 'default'})`,
);
log(
  'in another terminal: npx ward doctor   (is everything up?), then npx ward demo   (the storylines)',
);
log(`ward reads the API tokens from ${tokensFile}; Ctrl-C here stops everything`);
