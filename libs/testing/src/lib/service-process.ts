import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { eventually } from './wait';

const ROOT = join(__dirname, '../../../..');

export interface ServiceProcess {
  readonly name: string;
  readonly baseUrl: string;
  readonly output: string[];
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** Sends a signal to the service's process group without waiting (SIGSTOP/SIGCONT to pause it). */
  signal(signal: NodeJS.Signals): void;
}

/** Services started by this test process and not yet exited. */
const running = new Set<(signal: NodeJS.Signals) => void>();

// A test file that fails before its afterAll must not leave services running.
process.once('exit', () => {
  for (const kill of running) {
    kill('SIGKILL');
  }
});

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
  // The service runs as this child itself (not behind scripts/run-ts.mjs), in
  // its own process group: a SIGKILL reaches the real service, and nothing it
  // started outlives the test.
  const child: ChildProcess = spawn(
    process.execPath,
    ['-r', '@swc-node/register', join(ROOT, `apps/${name}/src/main.ts`)],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        SWC_NODE_PROJECT: join(ROOT, 'tsconfig.base.json'),
        KAFKAJS_NO_PARTITIONER_WARNING: '1',
        ...env,
        HOST: '127.0.0.1',
        PORT: String(options.port),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    },
  );
  const signalGroup = (signal: NodeJS.Signals): void => {
    try {
      process.kill(-(child.pid as number), signal);
    } catch {
      child.kill(signal);
    }
  };
  running.add(signalGroup);
  child.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      running.delete(signalGroup);
      resolve(code);
    }),
  );
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
    signalGroup('SIGKILL');
    throw new Error(`${(error as Error).message}\n--- ${name} output ---\n${output.join('')}`);
  }
  return {
    name,
    baseUrl,
    output,
    signal: signalGroup,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (exitCode !== undefined) {
        return exitCode;
      }
      signalGroup(signal);
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
