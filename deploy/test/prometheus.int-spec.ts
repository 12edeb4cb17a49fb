import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  eventually,
  freePort,
  infraEnv,
  type PrometheusServer,
  type PromTarget,
  runPromtool,
  scratchPrefix,
  type ServiceProcess,
  startPrometheus,
  startService,
  uniqueTag,
} from '@ward/testing';
import { parse, stringify } from 'yaml';

/**
 * Ward's Prometheus files checked by Prometheus's own promtool: the alerting
 * rules parse and pass their unit tests, and the docker compose configuration
 * (which loads them) is valid. A real Prometheus with the compose scrape
 * settings scrapes real services with and without METRICS_TOKEN.
 */
const DIR = join(__dirname, '../prometheus');

interface RuleFile {
  groups: {
    name: string;
    rules: {
      alert?: string;
      for?: string;
      labels?: Record<string, string>;
      annotations?: Record<string, string>;
    }[];
  }[];
}

interface ScrapeConfig {
  job_name: string;
  authorization?: { type?: string; credentials_file?: string };
  static_configs: { targets: string[] }[];
}

interface RuleTests {
  rule_files: string[];
  tests: { alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[] }[];
}

describe('Prometheus rules and configuration', () => {
  const rules = parse(readFileSync(join(DIR, 'ward-rules.yml'), 'utf8')) as RuleFile;
  const alerts = rules.groups.flatMap((g) => g.rules).filter((r) => r.alert !== undefined);

  it('has the alerting rules Ward needs, each with a severity, a summary, a description and a for', () => {
    expect(alerts.map((r) => r.alert).sort()).toEqual([
      'WardApprovalBacklog',
      'WardConsumerLagHigh',
      'WardDeadLettersGrowing',
      'WardMonitorCheckpointFailing',
      'WardNoEventsIngested',
      'WardServiceDown',
    ]);
    for (const rule of alerts) {
      expect({
        alert: rule.alert,
        severity: ['warning', 'critical'].includes(rule.labels?.severity ?? ''),
        summary: (rule.annotations?.summary ?? '').length > 0,
        description: (rule.annotations?.description ?? '').length > 0,
        for: /^\d+[smh]$/.test(rule.for ?? ''),
      }).toEqual({
        alert: rule.alert,
        severity: true,
        summary: true,
        description: true,
        for: true,
      });
    }
  });

  it('passes promtool check rules', () => {
    const result = runPromtool(['check', 'rules', 'ward-rules.yml'], DIR);
    expect({ status: result.status, output: result.output }).toEqual({
      status: 0,
      output: expect.stringContaining(`SUCCESS: ${alerts.length} rules found`) as string,
    });
  });

  it('passes its unit tests, which make every rule both fire and stay quiet', () => {
    const tests = parse(readFileSync(join(DIR, 'ward-rules.test.yml'), 'utf8')) as RuleTests;
    expect(tests.rule_files).toEqual(['ward-rules.yml']);
    const cases = tests.tests.flatMap((t) => t.alert_rule_test ?? []);
    for (const rule of alerts) {
      const mine = cases.filter((c) => c.alertname === rule.alert);
      expect({
        alert: rule.alert,
        fires: mine.some((c) => c.exp_alerts.length > 0),
        quiet: mine.some((c) => c.exp_alerts.length === 0),
      }).toEqual({ alert: rule.alert, fires: true, quiet: true });
    }
    const result = runPromtool(['test', 'rules', 'ward-rules.test.yml'], DIR);
    expect({ status: result.status, output: result.output }).toEqual({
      status: 0,
      output: expect.stringContaining('SUCCESS') as string,
    });
  });

  it('passes promtool check config for the docker compose configuration, rules included', () => {
    const result = runPromtool(['check', 'config', 'prometheus.yml'], DIR);
    expect({ status: result.status, output: result.output }).toEqual({
      status: 0,
      output: expect.stringMatching(
        /SUCCESS: 1 rule files found[\s\S]*SUCCESS: 6 rules found/,
      ) as string,
    });
  });

  it('scrapes the five services by their compose names, one job each', () => {
    const config = parse(readFileSync(join(DIR, 'prometheus.yml'), 'utf8')) as {
      rule_files: string[];
      scrape_configs: ScrapeConfig[];
    };
    expect(config.rule_files).toEqual(['ward-rules.yml']);
    const ward = config.scrape_configs
      .filter((c) => c.job_name !== 'prometheus')
      .map((c) => [c.job_name, c.static_configs.flatMap((s) => s.targets)]);
    expect(ward).toEqual([
      ['sentinel-ingest', ['sentinel-ingest:3001']],
      ['behavioral-monitor', ['behavioral-monitor:3002']],
      ['fusion', ['fusion:3003']],
      ['response-engine', ['response-engine:3004']],
      ['policy-generator', ['policy-generator:3005']],
    ]);
  });

  it('sends the token file beside it as the bearer token of every Ward job', () => {
    const config = parse(readFileSync(join(DIR, 'prometheus.yml'), 'utf8')) as {
      scrape_configs: ScrapeConfig[];
    };
    for (const job of config.scrape_configs.filter((c) => c.job_name !== 'prometheus')) {
      expect({ job: job.job_name, authorization: job.authorization }).toEqual({
        job: job.job_name,
        authorization: { type: 'Bearer', credentials_file: 'metrics-token' },
      });
    }
    // The default file is empty: scraping works before anyone chooses a token.
    expect(readFileSync(join(DIR, 'metrics-token'), 'utf8').trim()).toBe('');
  });

  describe('scraping real services with its settings', () => {
    const tag = uniqueTag('prom-auth');
    const prefix = scratchPrefix(tag);
    const token = uniqueTag('metrics-token');
    const dir = mkdtempSync(join(tmpdir(), 'ward-prometheus-auth-'));
    const tokenFile = join(dir, 'metrics-token');
    let guarded: ServiceProcess | undefined;
    let open: ServiceProcess | undefined;
    let prometheus: PrometheusServer | undefined;

    const health = async (): Promise<Record<string, PromTarget>> =>
      Object.fromEntries((await prometheus!.targets()).map((t) => [t.labels.job!, t] as const));

    beforeAll(async () => {
      writeFileSync(tokenFile, `${token}\n`);
      const secret = join(dir, 'service-metrics-token');
      writeFileSync(secret, `${token}\n`, { mode: 0o600 });
      const common = {
        ...infraEnv(),
        KAFKA_TOPIC_PREFIX: prefix,
        LOG_LEVEL: 'warn',
      };
      // fusion requires the token (from a file, as compose gives it); policy-generator has none.
      [guarded, open] = await Promise.all([
        startService(
          'fusion',
          { ...common, FUSION_CONSUMER_GROUP: `${prefix}fusion`, METRICS_TOKEN_FILE: secret },
          { port: await freePort(), readyTimeoutMs: 90_000 },
        ),
        startService(
          'policy-generator',
          { ...common, POLICY_CONSUMER_GROUP: `${prefix}policy` },
          { port: await freePort(), readyTimeoutMs: 90_000 },
        ),
      ]);
      const compose = parse(readFileSync(join(DIR, 'prometheus.yml'), 'utf8')) as {
        scrape_configs: ScrapeConfig[];
      };
      const targets: Record<string, ServiceProcess> = { fusion: guarded, 'policy-generator': open };
      prometheus = await startPrometheus(
        stringify({
          global: { scrape_interval: '1s', scrape_timeout: '1s' },
          // The compose jobs as they are, but for the target and where the token file is.
          scrape_configs: compose.scrape_configs
            .filter((c) => c.job_name in targets)
            .map((c) => ({
              ...c,
              authorization: { ...c.authorization, credentials_file: tokenFile },
              static_configs: [{ targets: [new URL(targets[c.job_name]!.baseUrl).host] }],
            })),
        }),
      );
    }, 150_000);

    afterAll(async () => {
      await prometheus?.stop();
      await Promise.all([guarded?.stop(), open?.stop()]);
      rmSync(dir, { recursive: true, force: true });
    });

    it('scrapes a service that requires the token and one that does not, then only the open one once the file is emptied', async () => {
      const unauthenticated = await fetch(`${guarded!.baseUrl}/metrics`);
      expect(unauthenticated.status).toBe(401);
      await eventually(
        async () => {
          const targets = await health();
          return targets.fusion?.health === 'up' && targets['policy-generator']?.health === 'up'
            ? true
            : undefined;
        },
        { timeoutMs: 20_000, description: 'both services to be scraped with the token' },
      );
      // Prometheus reads the file on every scrape: emptied, it sends an empty token.
      writeFileSync(tokenFile, '');
      const after = await eventually(
        async () => {
          const targets = await health();
          return targets.fusion?.health === 'down' ? targets : undefined;
        },
        { timeoutMs: 20_000, description: 'the guarded service to refuse the empty token' },
      );
      expect(after.fusion!.lastError).toMatch(/401/);
      await eventually(
        async () => {
          const targets = await health();
          return targets['policy-generator']?.health === 'up' &&
            Date.parse(targets['policy-generator'].lastScrape) >
              Date.parse(after.fusion!.lastScrape)
            ? true
            : undefined;
        },
        { timeoutMs: 20_000, description: 'the open service to be scraped without a token' },
      );
    });
  });
});
