import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { eventually } from './wait';

const ROOT = join(__dirname, '../../../..');

export interface ServiceProcess {
  readonly name: string;
  readonly baseUrl: string;
  readonly output: string[];
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Starts a real service process (`apps/<name>/src/main.ts`) with the given
 * environment and waits until its /readyz answers 200.
 */
export async function startService(
  name: string,
  env: Record<string, string>,
  options: { readonly port: number; readonly readyTimeoutMs?: number },
): Promise<ServiceProcess> {
  const output: string[] = [];
  const child: ChildProcess = spawn(
    process.execPath,
    [join(ROOT, 'scripts/run-ts.mjs'), `apps/${name}/src/main.ts`],
    {
      cwd: ROOT,
      env: { ...process.env, ...env, HOST: '127.0.0.1', PORT: String(options.port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let exitCode: number | null | undefined;
  void exited.then((code) => {
    exitCode = code;
  });
  const baseUrl = `http://127.0.0.1:${options.port}`;
  try {
    await eventually(
      async () => {
        if (exitCode !== undefined) {
          throw new Error(`${name} exited with ${exitCode}:\n${output.join('')}`);
        }
        const res = await fetch(`${baseUrl}/readyz`).catch(() => undefined);
        return res?.status === 200 ? true : undefined;
      },
      {
        timeoutMs: options.readyTimeoutMs ?? 60_000,
        intervalMs: 200,
        description: `${name} to be ready`,
      },
    );
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`${(error as Error).message}\n--- ${name} output ---\n${output.join('')}`);
  }
  return {
    name,
    baseUrl,
    output,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (exitCode !== undefined) {
        return exitCode;
      }
      child.kill(signal);
      return exited;
    },
  };
}

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
