#!/usr/bin/env node
// `ward`, Ward's command line: runs apps/cli/src/main.ts without a build, the
// way scripts/run-ts.mjs runs every entry point (@swc-node/register with the
// @ward/* paths of tsconfig.base.json), but in this process, so a pipe into
// `ward send -`, the terminal and Ctrl-C reach the command directly.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
process.env.SWC_NODE_PROJECT ??= join(root, 'tsconfig.base.json');
process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= '1';
const require = createRequire(join(root, 'package.json'));
require('@swc-node/register');
require(join(root, 'apps/cli/src/main.ts'));
