// Helpers shared by `npm start`, `npm test` and `npm run demo`.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const useColor = process.stdout.isTTY && !process.env.NO_COLOR;
export const paint = (code, text) => (useColor ? `\u001b[${code}m${text}\u001b[0m` : text);

export function log(message) {
  console.log(`${paint('36', '[ward]')} ${message}`);
}

/** Runs a command in the repository, inheriting output; exits the process if it fails. */
export function run(command, args, options = {}) {
  const result = spawnSync(command, args, {
    cwd: ROOT,
    stdio: 'inherit',
    env: process.env,
    ...options,
  });
  if (result.status !== 0) {
    const why = result.error ? result.error.message : `exit ${result.status ?? result.signal}`;
    console.error(`${paint('31', '[ward]')} ${command} ${args.join(' ')} failed (${why})`);
    process.exit(result.status || 1);
  }
}

/** Installs npm dependencies when node_modules is missing or older than the lockfile. */
export function ensureDependencies() {
  const marker = join(ROOT, 'node_modules/.package-lock.json');
  const lock = join(ROOT, 'package-lock.json');
  if (existsSync(marker) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs) {
    return;
  }
  // `npm install` rather than `npm ci`: npm 11 rejects lockfiles that lack the
  // optional platform packages (@swc/core-*) this registry mirror leaves out.
  log('installing npm dependencies');
  run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error']);
}

export function wardHome() {
  return (
    process.env.WARD_HOME ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'ward')
  );
}

/** Brings up Kafka, PostgreSQL and Redis (or checks the ones named by env) and exports their addresses. */
export function ensureInfrastructure() {
  run('bash', [join(ROOT, 'deploy/local/infra.sh'), 'up']);
  const file = join(wardHome(), 'env');
  if (existsSync(file)) {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const match = /^([A-Z_]+)=(.*)$/.exec(line.trim());
      if (match && process.env[match[1]] === undefined) {
        process.env[match[1]] = match[2].replace(/^['"]|['"]$/g, '');
      }
    }
  }
}

/** Installs the pinned tools the tests use (OPA, Helm, promtool, Prometheus, Schemathesis) and exports WARD_<TOOL> paths. */
export function ensureTools(tools = ['opa', 'helm', 'promtool', 'prometheus', 'schemathesis']) {
  for (const tool of tools) {
    const variable = `WARD_${tool.toUpperCase()}`;
    const result = spawnSync('bash', [join(ROOT, 'deploy/local/tools.sh'), tool], {
      cwd: ROOT,
      env: process.env,
      stdio: ['ignore', 'pipe', 'inherit'],
      encoding: 'utf8',
    });
    if (result.status !== 0) {
      console.error(`${paint('31', '[ward]')} deploy/local/tools.sh ${tool} failed`);
      process.exit(result.status || 1);
    }
    if (!process.env[variable]) {
      process.env[variable] = result.stdout.trim();
    }
    log(`${tool}: ${process.env[variable]}`);
  }
}

export function runTs(entry, args = [], options = {}) {
  return spawn(process.execPath, [join(ROOT, 'scripts/run-ts.mjs'), entry, ...args], {
    cwd: ROOT,
    env: process.env,
    ...options,
  });
}

/**
 * Starts a scratch run: tests and benchmarks put their topics under
 * `scratch.<run>.` (libs/testing/src/lib/scratch.ts). Deletes what older runs
 * left behind and exports WARD_SCRATCH_RUN; returns the run id.
 */
export function startScratchRun() {
  const runId = `r${Date.now().toString(36)}`;
  process.env.WARD_SCRATCH_RUN = runId;
  pruneScratch();
  return runId;
}

/** Deletes scratch topics and groups of `runId` (when given) and of runs older than three hours. */
export function pruneScratch(runId) {
  const result = spawnSync(
    process.execPath,
    [
      join(ROOT, 'scripts/run-ts.mjs'),
      'libs/testing/src/cli/prune-scratch.ts',
      ...(runId ? [runId] : []),
    ],
    { cwd: ROOT, env: process.env, stdio: 'inherit' },
  );
  if (result.status !== 0) {
    console.error(`${paint('33', '[ward]')} could not delete scratch topics; continuing`);
  }
}
