#!/usr/bin/env node
// Runs a TypeScript entry point without a build step: @swc-node/register
// compiles on the fly with decorator metadata (Nest's DI needs it) and maps the
// @ward/* paths from tsconfig.base.json.
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const [entry, ...args] = process.argv.slice(2);
if (!entry) {
  console.error('usage: node scripts/run-ts.mjs <file.ts> [args...]');
  process.exit(2);
}
const child = spawn(process.execPath, ['-r', '@swc-node/register', join(root, entry), ...args], {
  stdio: 'inherit',
  env: {
    ...process.env,
    SWC_NODE_PROJECT: join(root, 'tsconfig.base.json'),
    KAFKAJS_NO_PARTITIONER_WARNING: '1',
  },
});
// A terminal's Ctrl-C already reaches the child (same process group), so SIGINT
// is not forwarded a second time; SIGTERM comes from supervisors and is.
process.on('SIGINT', () => undefined);
process.on('SIGTERM', () => child.kill('SIGTERM'));

child.on('exit', (code, signal) => process.exit(code ?? 128 + (constants.signals[signal] ?? 1)));
