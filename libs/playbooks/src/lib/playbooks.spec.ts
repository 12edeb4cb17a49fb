import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Incident } from '@ward/contracts';
import { evaluate, ExpressionError, parseCondition, substitute } from './expression';
import { durationMs, formatProblem, parsePlaybook } from './load';
import { BUILTIN_ACTIONS, incidentTags, selectPlaybooks } from './trigger';

const ACTIONS = new Set<string>(BUILTIN_ACTIONS);
const SHIPPED = join(__dirname, '../../../../deploy/playbooks');

const context = {
  incident: {
    incidentId: 'a'.repeat(32),
    severity: 'high',
    agents: ['billing-bot', 'support-bot'],
    detectors: ['bytes_out_spike', 'prompt_injection'],
    iocs: { domains: ['drop.example'] },
    alertCount: 3,
  },
  steps: { restrict: { status: 'succeeded', output: { controls: 2 } } },
};

const when = (source: string) => evaluate(parseCondition(source), context);

describe('conditions', () => {
  it('compare severities in order, numbers, strings and membership', () => {
    expect(when('incident.severity >= "high"')).toBe(true);
    expect(when('incident.severity > "high"')).toBe(false);
    expect(when('incident.severity < "critical" and incident.alertCount >= 3')).toBe(true);
    expect(when('"prompt_injection" in incident.detectors')).toBe(true);
    expect(when('"drop" in incident.iocs.domains[0]')).toBe(true);
    expect(when('not (steps.restrict.status == "failed") or false')).toBe(true);
    expect(when('incident.iocs.ips')).toBe(undefined);
    expect(when('incident.iocs.ips or incident.iocs.domains')).toBe(true);
  });

  it('refuse what is not a condition, saying why', () => {
    expect(() => parseCondition('incident.severity >=')).toThrow('unexpected end of condition');
    expect(() => parseCondition('(a == 1')).toThrow('missing )');
    expect(() => parseCondition('a == "x')).toThrow('unterminated string at 6');
    expect(() => parseCondition('a ; b')).toThrow(ExpressionError);
    expect(() => parseCondition('process.exit()')).toThrow(ExpressionError);
  });
});

describe('substitution', () => {
  it('keeps a whole reference as its value and renders references inside text', () => {
    expect(
      substitute(
        {
          agents: '${incident.agents}',
          reason: 'incident ${incident.incidentId} on ${incident.agents}',
          count: '${steps.restrict.output.controls}',
          literal: 'costs $${price}',
          nested: ['${incident.agents[1]}'],
        },
        context,
      ),
    ).toEqual({
      agents: ['billing-bot', 'support-bot'],
      reason: `incident ${'a'.repeat(32)} on ["billing-bot","support-bot"]`,
      count: 2,
      literal: 'costs ${price}',
      nested: ['support-bot'],
    });
  });

  it('names a reference to nothing and refuses expressions', () => {
    expect(() => substitute('${incident.nope}', context)).toThrow(
      '${incident.nope} refers to nothing',
    );
    expect(() => substitute('${incident.agents.map(x)}', context)).toThrow('is not a reference');
  });
});

const valid = `id: demo
version: 1
name: Demo
trigger:
  severityAtLeast: high
steps:
  - id: restrict
    action: set_tier
    with:
      agents: \${incident.agents}
      tier: 3
  - id: notify
    action: webhook
    when: steps.restrict.status == "succeeded"
    with:
      destination: soc
      text: done \${steps.restrict.output.controls}
    retries: { attempts: 3, backoff: 1s, maxBackoff: 10s }
    approval: { required: true, timeout: 30m, onTimeout: reject }
`;

describe('parsePlaybook', () => {
  it('accepts a valid playbook', () => {
    const r = parsePlaybook(valid, 'demo.yaml', ACTIONS);
    expect(r.ok).toBe(true);
    expect(r.ok && r.playbook.steps.map((s) => s.id)).toEqual(['restrict', 'notify']);
  });

  it('names the file, line and column of a YAML syntax error', () => {
    const r = parsePlaybook('id: x\nsteps: [a, b\nname: y\n', 'broken.yaml', ACTIONS);
    expect(r.ok).toBe(false);
    expect(!r.ok && formatProblem(r.problems[0]!)).toMatch(/^broken\.yaml:\d+:\d+: /);
    expect(!r.ok && r.problems[0]!.line).toBeGreaterThanOrEqual(2);
  });

  it('names the line of a schema violation deep in the steps', () => {
    const bad = valid.replace('    action: webhook\n', '    action: webhook\n    retrys: 3\n');
    const r = parsePlaybook(bad, 'demo.yaml', ACTIONS);
    expect(r.ok).toBe(false);
    const p = !r.ok ? r.problems[0]! : undefined;
    expect(p?.path).toBe('/steps/1/retrys');
    expect(p?.line).toBe(14);
    expect(formatProblem(p!)).toBe('demo.yaml:14:5: /steps/1/retrys: Unexpected property');
  });

  it('refuses unknown actions, duplicate ids, forward references and bad conditions by line', () => {
    const bad = valid
      .replace('action: set_tier', 'action: launch_missiles')
      .replace('id: notify', 'id: restrict')
      .replace('      tier: 3\n', '      tier: 3\n      note: "${steps.notify.output.x}"\n')
      .replace('when: steps.restrict.status == "succeeded"', 'when: steps.restrict.status ==');
    const r = parsePlaybook(bad, 'demo.yaml', ACTIONS);
    expect(!r.ok && r.problems.map(formatProblem)).toEqual([
      expect.stringMatching(
        /^demo\.yaml:8:5: \/steps\/0\/action: unknown action launch_missiles \(known: /,
      ),
      'demo.yaml:12:7: /steps/0/with/note: steps.notify is not an earlier step',
      'demo.yaml:13:5: /steps/1/id: step id restrict is used twice',
      'demo.yaml:15:5: /steps/1/when: condition: unexpected end of condition',
    ]);
  });

  it('refuses a missing required field at its parent and an oversized file', () => {
    const r = parsePlaybook(valid.replace('name: Demo\n', ''), 'demo.yaml', ACTIONS);
    expect(!r.ok && formatProblem(r.problems[0]!)).toBe(
      'demo.yaml:1:1: /name: Expected required property',
    );
    const huge = parsePlaybook(`# ${'x'.repeat(300_000)}\n${valid}`, 'huge.yaml', ACTIONS);
    expect(!huge.ok && huge.problems[0]!.message).toBe('larger than 262144 bytes');
  });

  it('reads durations', () => {
    expect(['500ms', '30s', '5m', '2h', '1d'].map(durationMs)).toEqual([
      500, 30_000, 300_000, 7_200_000, 86_400_000,
    ]);
  });
});

describe('shipped playbooks', () => {
  const files = readdirSync(SHIPPED).filter((f) => f.endsWith('.yaml'));
  const playbooks = files.map((f) => {
    const r = parsePlaybook(readFileSync(join(SHIPPED, f), 'utf8'), f, ACTIONS);
    if (!r.ok) {
      throw new Error(r.problems.map(formatProblem).join('\n'));
    }
    return r.playbook;
  });

  it('cover the storylines users meet first, and all load', () => {
    expect(playbooks.map((p) => p.id).sort()).toEqual([
      'brute-force',
      'credential-leak',
      'data-exfiltration',
      'lateral-movement',
      'malware-containment',
      'prompt-injection',
      'runaway-agent',
    ]);
    expect(files.map((f) => f.replace('.yaml', '')).sort()).toEqual(
      playbooks.map((p) => p.id).sort(),
    );
  });

  const incident = (over: Partial<Incident>): Incident => ({
    schemaVersion: 1,
    incidentId: 'b'.repeat(32),
    version: 1,
    tenantId: 'acme',
    status: 'open',
    title: 't',
    severity: 'high',
    score: 0.8,
    escalations: [],
    alertIds: ['c'.repeat(32)],
    alertCount: 1,
    detectors: [],
    agents: ['a'],
    sessions: [],
    requesters: [],
    iocs: {},
    techniques: [],
    intelMatches: [],
    graph: { nodes: [], edges: [] },
    narrative: '',
    firstSeen: '2026-01-01T00:00:00.000Z',
    lastSeen: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    ...over,
  });

  it('are chosen by the incident, highest priority first', () => {
    const ids = (i: Incident) => selectPlaybooks(playbooks, i).map((p) => p.id);
    expect(ids(incident({ detectors: ['call_rate_spike'], severity: 'critical' }))).toEqual([
      'runaway-agent',
    ]);
    expect(ids(incident({ detectors: ['call_rate_spike'], severity: 'medium' }))).toEqual([]);
    expect(ids(incident({ detectors: ['prompt_injection'], severity: 'medium' }))).toEqual([
      'prompt-injection',
    ]);
    expect(ids(incident({ detectors: ['deny_rate_spike'], severity: 'high' }))).toEqual([
      'brute-force',
    ]);
    expect(
      ids(
        incident({
          detectors: ['bytes_out_spike', 'new_resource'],
          agents: ['a', 'b'],
          intelMatches: [
            {
              type: 'domain',
              indicator: 'x.example',
              matched: 'x.example',
              feed: 'f',
              source: 's',
              confidence: 90,
            },
          ],
        }),
      ),
    ).toEqual(['malware-containment', 'data-exfiltration', 'lateral-movement']);
    expect(ids(incident({ detectors: ['deny_rate_spike'], status: 'false_positive' }))).toEqual([]);
  });

  it('tag incidents by detector family, several agents and intel', () => {
    expect(
      incidentTags(incident({ detectors: ['bytes_out_spike', 'new_tool'], agents: ['a', 'b'] })),
    ).toEqual(['data', 'multi_agent', 'novelty']);
  });
});
