import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runPromtool } from '@ward/testing';
import { parse } from 'yaml';

/**
 * Ward's Prometheus files checked by Prometheus's own promtool: the alerting
 * rules parse and pass their unit tests, and the docker compose configuration
 * (which loads them) is valid.
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
      scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
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
});
