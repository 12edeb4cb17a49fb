// Runs once per integration suite: checks that the real broker, PostgreSQL and
// Redis answer (started by `npm test` through deploy/local/infra.sh), applies
// the migrations and creates the default topics through the same commands an
// operator uses. Tests then isolate themselves by topic prefix and tenant
// instead of wiping shared state.
const { spawnSync } = require('node:child_process');
const { existsSync, readFileSync } = require('node:fs');
const { homedir } = require('node:os');
const path = require('node:path');
const Redis = require('ioredis');

const ROOT = path.join(__dirname, '../../../..');
const HINT = 'start it with `bash deploy/local/infra.sh up` (npm test does this)';

function loadInfraEnv() {
  const home =
    process.env.WARD_HOME ??
    path.join(process.env.XDG_CACHE_HOME ?? path.join(homedir(), '.cache'), 'ward');
  const file = path.join(home, 'env');
  if (!existsSync(file)) {
    return;
  }
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const match = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (match && process.env[match[1]] === undefined) {
      process.env[match[1]] = match[2];
    }
  }
}

function runTs(entry, what) {
  const result = spawnSync(process.execPath, [path.join(ROOT, 'scripts/run-ts.mjs'), entry], {
    cwd: ROOT,
    env: process.env,
    encoding: 'utf8',
  });
  if (result.status !== 0) {
    throw new Error(`${what} failed: ${result.stderr || result.stdout}; ${HINT}`);
  }
}

module.exports = async function globalSetup() {
  loadInfraEnv();
  runTs('libs/persistence/src/cli/migrate.ts', 'PostgreSQL migrations');
  runTs('libs/messaging/src/cli/create-topics.ts', 'Kafka topic creation');
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
  });
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    throw new Error(`Redis does not answer (${String(error)}); ${HINT}`);
  } finally {
    redis.disconnect();
  }
};
