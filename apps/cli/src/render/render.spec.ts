import { type Incident, type ThreatAlert } from '@ward/contracts';
import { makeStyle, visibleLength } from '../cli/style';
import { ago, alertLine } from './format';
import { renderGraph, renderRuns, renderTimeline } from './incident';
import { progressLine } from './progress';
import { renderTable } from './table';

const plain = makeStyle(false);

describe('terminal rendering', () => {
  it('lays a table out in columns, cutting the flexible one to the width', () => {
    const rows = [
      { a: 'x', n: 5, t: 'short' },
      { a: 'longer', n: 12, t: 'a title far too long to fit in the space that is left' },
    ];
    const sut = renderTable(
      rows,
      [
        { header: 'A', value: (r) => r.a },
        { header: 'N', value: (r) => String(r.n), right: true },
        { header: 'TITLE', value: (r) => r.t, flexible: true },
      ],
      plain,
      30,
    );
    expect(sut).toBe(
      ['A        N  TITLE', 'x        5  short', 'longer  12  a title far too l…', ''].join('\n'),
    );
  });

  it('measures styled text by what shows', () => {
    expect(visibleLength(makeStyle(true).red('abc'))).toBe(3);
  });

  it('draws a progress bar that fills with the work', () => {
    expect(progressLine({ done: 5, total: 10, width: 10, elapsedMs: 1500 })).toBe(
      '[█████░░░░░]   50%  5/10 records  1.5 s',
    );
    expect(
      progressLine({
        done: 10,
        total: 10,
        width: 4,
        elapsedMs: 0,
        eventTimeMs: Date.UTC(2026, 0, 5, 9),
      }),
    ).toBe('[████]  100%  10/10 records  event time 2026-01-05 09:00:00  0.0 s');
  });

  it('says how long ago, or how long until', () => {
    const now = Date.UTC(2026, 0, 5, 12);
    expect(ago(new Date(now - 30_000).toISOString(), now)).toBe('30 s ago');
    expect(ago(new Date(now - 600_000).toISOString(), now)).toBe('10 min ago');
    expect(ago(new Date(now + 1_800_000).toISOString(), now)).toBe('in 30 min');
    expect(ago(new Date(now - 3 * 86_400_000).toISOString(), now)).toBe('3 d ago');
    expect(ago(null, now)).toBe('-');
  });

  it('puts an alert on one line with its evidence and tier change', () => {
    const alert = {
      observedAt: '2026-01-05T09:05:06.000Z',
      severity: 'high',
      detector: 'call_rate_spike',
      tenantId: 't',
      agentId: 'bot',
      riskScore: 70,
      evidence: {
        metric: 'calls',
        value: 33,
        baselineMean: 10,
        baselineStddev: 3.16,
        baselineWindows: 5,
        zScore: 7.27,
      },
      tierChange: { from: 2, to: 3, reason: '' },
    } as unknown as ThreatAlert;
    expect(alertLine(plain, alert)).toBe(
      '09:05:06  HIGH      call_rate_spike  t/bot  risk 70  calls 33 vs 10 ± 3.16 (z 7.27)  tier 2→3',
    );
  });

  it('draws the timeline down a rail, a day heading when the day changes', () => {
    const sut = renderTimeline(
      [
        {
          at: '2026-01-05T09:05:06Z',
          kind: 'alert',
          agentId: 'bot',
          detector: 'new_tool',
          severity: 'medium',
          summary: 'first use',
        },
        { at: '2026-01-06T10:00:00Z', kind: 'status', summary: 'open → resolved by alice: fixed' },
      ],
      plain,
    );
    expect(sut.split('\n')).toEqual([
      '  2026-01-05',
      '  09:05:06 ● MEDIUM new_tool bot',
      '           │   first use',
      '  2026-01-06',
      '  10:00:00 ◆ status',
      '               open → resolved by alice: fixed',
      '',
    ]);
  });

  it('draws the graph as a tree per agent and marks what agents share', () => {
    const at = '2026-01-05T09:05:00.000Z';
    const graph: Incident['graph'] = {
      nodes: [
        { id: 'agent:a', kind: 'agent', label: 'a' },
        { id: 'agent:b', kind: 'agent', label: 'b' },
        { id: 'indicator:ip:203.0.113.66', kind: 'indicator', label: '203.0.113.66' },
        { id: 'alert:1', kind: 'alert', label: 'new_tool (medium)' },
        { id: 'requester:eve', kind: 'requester', label: 'eve' },
      ],
      edges: [
        { from: 'alert:1', to: 'agent:a', relation: 'raised_on', at },
        { from: 'agent:a', to: 'indicator:ip:203.0.113.66', relation: 'contacted', at },
        { from: 'agent:b', to: 'indicator:ip:203.0.113.66', relation: 'contacted', at },
        { from: 'requester:eve', to: 'agent:a', relation: 'requested', at },
      ],
    };
    expect(renderGraph(graph, plain).split('\n')).toEqual([
      'agent a',
      '├─ requested by eve',
      '├─ indicator    ip 203.0.113.66  ◆ shared with b',
      '└─ alerts       new_tool (medium)',
      'agent b',
      '└─ indicator    ip 203.0.113.66  ◆ shared with a',
      '',
    ]);
  });

  it('lists each run with its steps and the command that answers a waiting one', () => {
    const sut = renderRuns(
      [
        {
          runId: '0123456789abcdef0123456789abcdef',
          playbookId: 'runaway-agent',
          status: 'waiting',
          steps: [
            { stepId: 'throttle', action: 'rate_limit', status: 'succeeded' },
            { stepId: 'quarantine', action: 'quarantine', status: 'pending_approval' },
          ],
        },
      ],
      'acme',
      plain,
    );
    expect(sut).toContain('✓ throttle');
    expect(sut).toContain('⏸ quarantine');
    expect(sut).toContain('ward approve 0123456789ab quarantine --tenant acme --reason "..."');
    expect(renderRuns([], 'acme', plain)).toContain('no playbook matched');
  });
});
