import { type Style } from '../cli/style';

export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface CheckResult {
  readonly name: string;
  readonly status: CheckStatus;
  readonly detail: string;
  /** What to do about it: a command or a setting. */
  readonly fix?: string;
}

/** `host:port` of a URL, without credentials. */
export function hostOf(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}${u.port ? `:${u.port}` : ''}`;
  } catch {
    return '(invalid URL)';
  }
}

function codeOf(error: unknown): string | undefined {
  const e = error as
    { code?: unknown; cause?: { code?: unknown }; errors?: { code?: unknown }[] } | undefined;
  const code = e?.code ?? e?.cause?.code ?? e?.errors?.[0]?.code;
  return typeof code === 'string' ? code : undefined;
}

function networkWords(error: unknown): string | undefined {
  const code = codeOf(error);
  const text = (error as Error | undefined)?.message ?? '';
  if (code === 'ECONNREFUSED' || /ECONNREFUSED/.test(text)) {
    return 'refused the connection';
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || /ENOTFOUND|EAI_AGAIN/.test(text)) {
    return 'has a host name that does not resolve';
  }
  if (code === 'ETIMEDOUT' || /timeout|timed out/i.test(text)) {
    return 'did not answer in time';
  }
  if (code === 'ECONNRESET' || /ECONNRESET|closed/i.test(text)) {
    return 'closed the connection';
  }
  return undefined;
}

/** Why PostgreSQL could not be used, and the fix. `fromSetting` names where the URL came from. */
export function postgresProblem(
  error: unknown,
  url: string,
  fromSetting: string | undefined,
): CheckResult {
  const where = `PostgreSQL at ${hostOf(url)}`;
  const setting = fromSetting
    ? `check DATABASE_URL (from ${fromSetting})`
    : 'or set DATABASE_URL / --database-url';
  const words = networkWords(error);
  if (words !== undefined) {
    return {
      name: 'postgres',
      status: 'fail',
      detail: `${where} ${words}`,
      fix: `run \`npm run infra -- up\`; ${setting}`,
    };
  }
  const code = codeOf(error);
  const message = (error as Error | undefined)?.message ?? String(error);
  if (code === '28P01' || code === '28000') {
    return {
      name: 'postgres',
      status: 'fail',
      detail: `${where} refused the login: ${message}`,
      fix: `${setting}: the user or password is wrong`,
    };
  }
  if (code === '3D000') {
    return {
      name: 'postgres',
      status: 'fail',
      detail: `${where}: ${message}`,
      fix: `run \`npm run infra -- up\` (it creates the ward database); ${setting}`,
    };
  }
  return { name: 'postgres', status: 'fail', detail: `${where}: ${message}`, fix: setting };
}

export function redisProblem(
  error: unknown,
  url: string,
  fromSetting: string | undefined,
): CheckResult {
  const where = `Redis at ${hostOf(url)}`;
  const setting = fromSetting
    ? `check REDIS_URL (from ${fromSetting})`
    : 'or set REDIS_URL / --redis-url';
  const words = networkWords(error);
  const message = (error as Error | undefined)?.message ?? String(error);
  if (words !== undefined) {
    return {
      name: 'redis',
      status: 'fail',
      detail: `${where} ${words}`,
      fix: `run \`npm run infra -- up\`; ${setting}`,
    };
  }
  if (/NOAUTH|WRONGPASS|AUTH/i.test(message)) {
    return {
      name: 'redis',
      status: 'fail',
      detail: `${where} refused the login: ${message}`,
      fix: `${setting}: the password is wrong`,
    };
  }
  return { name: 'redis', status: 'fail', detail: `${where}: ${message}`, fix: setting };
}

export function kafkaProblem(detail: string, fromSetting: string | undefined): CheckResult {
  return {
    name: 'kafka',
    status: 'fail',
    detail,
    fix: `run \`npm run infra -- up\`; ${fromSetting ? `check KAFKA_BROKERS (from ${fromSetting})` : 'or set KAFKA_BROKERS / --brokers'}`,
  };
}

export interface ServiceProbe {
  readonly name: string;
  readonly url: string;
  readonly tokenVar: string;
  readonly tokenSource: string | undefined;
  readonly hasToken: boolean;
  readonly health: { status: number; body: string } | { error: unknown };
  readonly ready?: { status: number; body: string } | { error: unknown };
  readonly api?: { status: number; body: string } | { error: unknown };
}

/** What a service's /healthz, /readyz and an API call with ward's token say. */
export function serviceResults(p: ServiceProbe): CheckResult[] {
  if ('error' in p.health) {
    return [
      {
        name: p.name,
        status: 'fail',
        detail: `${p.name} at ${p.url} ${networkWords(p.health.error) ?? `could not be reached (${(p.health.error as Error).message})`}`,
        fix: `start Ward with \`npm start\` (in another terminal), or point --${p.tokenVar.split('_')[0]!.toLowerCase()}-url at it`,
      },
    ];
  }
  const out: CheckResult[] = [];
  if (p.ready !== undefined && !('error' in p.ready) && p.ready.status !== 200) {
    let waiting = p.ready.body.slice(0, 200);
    try {
      const report = JSON.parse(p.ready.body) as {
        checks?: Record<string, { ok: boolean; detail?: string }>;
      };
      waiting = Object.entries(report.checks ?? {})
        .filter(([, c]) => !c.ok)
        .map(([name, c]) => `${name}${c.detail ? ` (${c.detail})` : ''}`)
        .join(', ');
    } catch {
      // Not the JSON report: show the text.
    }
    out.push({
      name: p.name,
      status: 'fail',
      detail: `${p.name} is up but not ready: waiting for ${waiting}`,
      fix: 'fix what the other checks report; otherwise see its output in the `npm start` terminal',
    });
  } else {
    out.push({ name: p.name, status: 'ok', detail: `${p.name} at ${p.url} is ready` });
  }
  if (!p.hasToken) {
    out.push({
      name: `${p.name} api`,
      status: 'fail',
      detail: `ward has no ${p.tokenVar}, so it cannot use ${p.name}'s API`,
      fix: `\`npm start\` writes it to .ward/dev-tokens.env, which ward reads; elsewhere export ${p.tokenVar} (the one the service runs with) or pass --token`,
    });
  } else if (p.api !== undefined && 'error' in p.api) {
    out.push({
      name: `${p.name} api`,
      status: 'fail',
      detail: `${p.name}'s API did not answer: ${(p.api.error as Error).message}`,
    });
  } else if (p.api !== undefined) {
    const from = p.tokenSource ? ` (${p.tokenVar} from ${p.tokenSource})` : '';
    if (p.api.status >= 200 && p.api.status < 300) {
      out.push({
        name: `${p.name} api`,
        status: 'ok',
        detail: `${p.name}'s API accepts ward's token${from}`,
      });
    } else if (p.api.status === 404) {
      out.push({
        name: `${p.name} api`,
        status: 'fail',
        detail: `${p.name}'s API is off: the service runs without ${p.tokenVar}`,
        fix: `restart Ward with \`npm start\` (it sets every admin token, kept in .ward/dev-tokens.env), or start ${p.name} with ${p.tokenVar} set`,
      });
    } else if (p.api.status === 401 || p.api.status === 403) {
      out.push({
        name: `${p.name} api`,
        status: 'fail',
        detail: `${p.name} refused ward's token${from}: it runs with a different ${p.tokenVar}`,
        fix: `give ward the ${p.tokenVar} the service runs with (environment, --token, or .ward/dev-tokens.env from \`npm start\`)`,
      });
    } else {
      out.push({
        name: `${p.name} api`,
        status: 'fail',
        detail: `${p.name}'s API answered ${p.api.status}: ${p.api.body.slice(0, 200)}`,
      });
    }
  }
  return out;
}

/**
 * Monitor checkpoints (PostgreSQL) past the end of their partition: the topic
 * was deleted and created again under the monitor, which then skips every new
 * event of that partition until the topic grows past the old offset.
 */
export function staleCheckpoints(
  checkpoints: readonly { group: string; partition: number; nextOffset: number }[],
  ends: readonly { partition: number; high: string }[],
): { group: string; partition: number; nextOffset: number; high: number }[] {
  return checkpoints.flatMap((c) => {
    const end = ends.find((e) => e.partition === c.partition);
    return end !== undefined && c.nextOffset > Number(end.high)
      ? [{ ...c, high: Number(end.high) }]
      : [];
  });
}

const MARK: Record<CheckStatus, (s: Style) => string> = {
  ok: (s) => s.green('✓'),
  warn: (s) => s.yellow('!'),
  fail: (s) => s.red('✗'),
};

export function renderChecks(results: readonly CheckResult[], style: Style): string {
  const lines = results.flatMap((r) => [
    `${MARK[r.status](style)} ${r.detail}`,
    ...(r.fix !== undefined && r.status !== 'ok' ? [`  ${style.yellow('→')} ${r.fix}`] : []),
  ]);
  const failed = results.filter((r) => r.status === 'fail').length;
  const warned = results.filter((r) => r.status === 'warn').length;
  lines.push(
    '',
    failed === 0
      ? style.green(`all ${results.length} checks passed${warned ? ` (${warned} warnings)` : ''}`)
      : style.red(`${failed} of ${results.length} checks failed`),
  );
  return `${lines.join('\n')}\n`;
}
