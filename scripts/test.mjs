#!/usr/bin/env node
// `npm test`: installs what is missing, brings up the real infrastructure, then
// runs formatting, lint, type checks and unit tests (cached by nx), and the
// integration and end-to-end suites against the real broker, PostgreSQL and
// Redis, Schemathesis against every service's OpenAPI document, then the fault
// tests (apps/faults, also `npm run test:faults`).
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import {
  ensureDependencies,
  ensureInfrastructure,
  ensureTools,
  log,
  paint,
  pruneScratch,
  ROOT,
  run,
  startScratchRun,
} from './lib.mjs';

const RESULTS = join(ROOT, 'tmp/test-results');
const started = Date.now();

ensureDependencies();
ensureInfrastructure();
ensureTools();
const scratchRun = startScratchRun();
rmSync(RESULTS, { recursive: true, force: true });
mkdirSync(RESULTS, { recursive: true });

const nx = join(ROOT, 'node_modules/.bin/nx');
log('format check');
run(join(ROOT, 'node_modules/.bin/prettier'), ['--check', '--log-level', 'warn', '.']);
log('lint, type checks and unit tests');
run(nx, ['run-many', '-t', 'lint', 'typecheck', 'test', '--parallel=2', '--outputStyle=static']);
log('integration and end-to-end tests (real Kafka, PostgreSQL, Redis)');
const intTests = spawnSync(
  nx,
  ['run-many', '-t', 'int-test', '--parallel=1', '--outputStyle=static'],
  {
    cwd: ROOT,
    env: process.env,
    stdio: 'inherit',
  },
);
if (intTests.status !== 0) {
  pruneScratch(scratchRun);
  console.error(
    `${paint('31', '[ward]')} integration tests failed (exit ${intTests.status ?? intTests.signal})`,
  );
  process.exit(intTests.status || 1);
}
log('API fuzzing: Schemathesis against every service (apps/security-e2e/src/fuzz)');
const fuzz = spawnSync(nx, ['run', 'security-e2e:fuzz', '--outputStyle=static'], {
  cwd: ROOT,
  env: process.env,
  stdio: 'inherit',
});
if (fuzz.status !== 0) {
  pruneScratch(scratchRun);
  console.error(
    `${paint('31', '[ward]')} Schemathesis found problems (exit ${fuzz.status ?? fuzz.signal}); reports in tmp/fuzz/`,
  );
  process.exit(fuzz.status || 1);
}
// Last and alone: they stop and restart the local PostgreSQL (and a broker and
// Redis of their own), so nothing else may run against it meanwhile.
log('fault tests (kill -9 each service, restart Kafka and PostgreSQL, stop Redis)');
const faultTests = spawnSync(nx, ['run', 'faults:fault-test', '--outputStyle=static'], {
  cwd: ROOT,
  env: process.env,
  stdio: 'inherit',
});
pruneScratch(scratchRun);
if (faultTests.status !== 0) {
  console.error(
    `${paint('31', '[ward]')} fault tests failed; timeline and service output in tmp/faults/`,
  );
  process.exit(faultTests.status || 1);
}

let passed = 0;
let failed = 0;
let suites = 0;
for (const file of existsSync(RESULTS) ? readdirSync(RESULTS) : []) {
  const result = JSON.parse(readFileSync(join(RESULTS, file), 'utf8'));
  passed += result.numPassedTests;
  failed += result.numFailedTests + result.numRuntimeErrorTestSuites;
  suites += result.numTotalTestSuites;
}
const seconds = Math.round((Date.now() - started) / 1000);
log(`${suites} test files in ${seconds} s`);
console.log(paint(failed === 0 ? '32' : '31', `tests: ${passed} passed, ${failed} failed`));
process.exit(failed === 0 && passed > 0 ? 0 : 1);
