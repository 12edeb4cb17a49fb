import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN = join(__dirname, '../../bin/ward.mjs');
// Its own HOME and WARD_HOME: no user config or infra env file of this machine leaks in.
const SANDBOX = mkdtempSync(join(tmpdir(), 'ward-cli-test-'));

export interface WardRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `ward <args>` as a real process (apps/cli/bin/ward.mjs) with exactly `env` and no terminal. */
export function runWard(
  args: readonly string[],
  env: Record<string, string>,
  options: { readonly stdin?: string; readonly timeoutMs?: number } = {},
): Promise<WardRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: {
        PATH: process.env['PATH'] ?? '',
        HOME: SANDBOX,
        WARD_HOME: SANDBOX,
        XDG_CONFIG_HOME: SANDBOX,
        ...env,
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `ward ${args.join(' ')} did not finish in time:\n${Buffer.concat(out).toString()}\n${Buffer.concat(err).toString()}`,
        ),
      );
    }, options.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({
        code,
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString(),
      });
    });
    child.stdin.end(options.stdin ?? '');
  });
}
