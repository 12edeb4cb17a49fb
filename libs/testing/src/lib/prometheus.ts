import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './service-process';
import { eventually } from './wait';

const ROOT = join(__dirname, '../../../..');
const TOOLS_SCRIPT = join(ROOT, 'deploy/local/tools.sh');

type PrometheusTool = 'promtool' | 'prometheus';

/**
 * The path of promtool or the Prometheus server: WARD_PROMTOOL / WARD_PROMETHEUS
 * (as `npm test` exports them), else what `deploy/local/tools.sh` finds or
 * installs. Throws when there is none: tests that need them fail, never skip.
 */
export function prometheusTool(
  tool: PrometheusTool,
  source: NodeJS.ProcessEnv = process.env,
): string {
  const variable = `WARD_${tool.toUpperCase()}`;
  const override = source[variable];
  if (override) {
    if (!existsSync(override)) {
      throw new Error(`${variable}=${override} does not exist`);
    }
    return override;
  }
  const result = spawnSync('bash', [TOOLS_SCRIPT, tool], { encoding: 'utf8', env: source });
  const path = result.stdout?.trim();
  if (result.status !== 0 || !path) {
    throw new Error(
      `bash deploy/local/tools.sh ${tool} failed (${result.status ?? result.signal}): ${result.stderr}; install Debian's prometheus package or set ${variable}`,
    );
  }
  return path;
}

export interface PromtoolResult {
  readonly status: number | null;
  readonly output: string;
}

/** Runs `promtool <args>` (no shell) in `cwd`; the caller asserts on the exit status. */
export function runPromtool(args: readonly string[], cwd = ROOT): PromtoolResult {
  const result = spawnSync(prometheusTool('promtool'), args, {
    cwd,
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (result.error) {
    throw result.error;
  }
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

export interface PromSample {
  readonly metric: Record<string, string>;
  readonly value: [number, string];
}

export interface PromQueryResponse {
  readonly status: 'success' | 'error';
  readonly errorType?: string;
  readonly error?: string;
  readonly data?: { readonly resultType: string; readonly result: PromSample[] };
}

export interface PromTarget {
  readonly labels: Record<string, string>;
  readonly scrapeUrl: string;
  readonly health: 'up' | 'down' | 'unknown';
  readonly lastError: string;
  readonly lastScrape: string;
}

export interface PromRuleGroup {
  readonly name: string;
  readonly file: string;
  readonly rules: {
    readonly name: string;
    readonly type: string;
    readonly health: string;
    readonly lastError?: string;
    readonly lastEvaluation: string;
  }[];
}

export interface PrometheusServer {
  readonly baseUrl: string;
  readonly output: string[];
  /** An instant query (`/api/v1/query`); the answer as Prometheus gives it, errors included. */
  query(expr: string): Promise<PromQueryResponse>;
  /** The values of `label` on the series `match` selects (what Grafana's label_values() lists). */
  labelValues(label: string, match: string): Promise<string[]>;
  /** The active scrape targets with their health. */
  targets(): Promise<PromTarget[]>;
  /** The loaded rule groups with each rule's health. */
  rules(): Promise<PromRuleGroup[]>;
  stop(): Promise<void>;
}

/**
 * Starts a real Prometheus server on a free 127.0.0.1 port with `config`
 * (prometheus.yml text; relative paths in it resolve against a fresh temporary
 * directory) and its own TSDB there, and waits until it is ready.
 */
export async function startPrometheus(
  config: string,
  options: { readonly readyTimeoutMs?: number } = {},
): Promise<PrometheusServer> {
  const dir = mkdtempSync(join(tmpdir(), 'ward-prometheus-'));
  const configFile = join(dir, 'prometheus.yml');
  writeFileSync(configFile, config);
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const output: string[] = [];
  const child: ChildProcess = spawn(
    prometheusTool('prometheus'),
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--web.enable-lifecycle',
    ],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
  let exitCode: number | null | undefined;
  const exited = new Promise<void>((resolve) =>
    child.on('exit', (code) => {
      exitCode = code;
      resolve();
    }),
  );
  // A test that fails before its afterAll must not leave Prometheus running.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const stop = async () => {
    process.removeListener('exit', killOnExit);
    if (exitCode === undefined) {
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const api = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${baseUrl}${path}`);
    return (await res.json()) as T;
  };

  try {
    await eventually(
      async () => {
        if (exitCode !== undefined) {
          throw new Error(`prometheus exited with ${exitCode}:\n${output.join('')}`);
        }
        const res = await fetch(`${baseUrl}/-/ready`).catch(() => undefined);
        return res?.status === 200 ? true : undefined;
      },
      {
        timeoutMs: options.readyTimeoutMs ?? 30_000,
        intervalMs: 100,
        description: 'prometheus to be ready',
      },
    );
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}\n--- prometheus output ---\n${output.join('')}`);
  }

  return {
    baseUrl,
    output,
    query: (expr) => api<PromQueryResponse>(`/api/v1/query?query=${encodeURIComponent(expr)}`),
    labelValues: async (label, match) =>
      (
        await api<{ data: string[] }>(
          `/api/v1/label/${encodeURIComponent(label)}/values?match[]=${encodeURIComponent(match)}`,
        )
      ).data,
    targets: async () =>
      (await api<{ data: { activeTargets: PromTarget[] } }>('/api/v1/targets?state=active')).data
        .activeTargets,
    rules: async () =>
      (await api<{ data: { groups: PromRuleGroup[] } }>('/api/v1/rules')).data.groups,
    stop,
  };
}
