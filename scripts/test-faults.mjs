#!/usr/bin/env node
// `npm run test:faults`: the fault tests alone (apps/faults): the whole mesh
// while services are killed and Kafka, PostgreSQL and Redis go away. They use
// a broker and Redis of their own but stop the local PostgreSQL cluster, so
// nothing else may run against it meanwhile. `npm test` runs them last.
import { ensureDependencies, ensureInfrastructure, log, ROOT, run } from './lib.mjs';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

ensureDependencies();
ensureInfrastructure();
mkdirSync(join(ROOT, 'tmp/test-results'), { recursive: true });
log('fault tests (kill -9, broker restart, PostgreSQL and Redis outages)');
run(join(ROOT, 'node_modules/.bin/nx'), ['run', 'faults:fault-test', '--outputStyle=static']);
