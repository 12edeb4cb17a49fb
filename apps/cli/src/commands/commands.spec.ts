import { type ThreatAlert } from '@ward/contracts';
import { readIngestAnswer } from '../client/ingest.client';
import { CliError } from '../cli/errors';
import { resolvePrefix } from '../cli/prefix';
import { pickApproval, type PendingApproval } from './approvals.command';
import { formatSpan } from './send.command';
import { matches } from './tail.command';
import { isDeploymentGroup, lagOf } from './topics.command';
import { apiProbePath } from './doctor.command';

const waiting = (runId: string, stepId: string): PendingApproval => ({
  runId,
  stepId,
  tenantId: 't',
  incidentId: 'i',
  playbookId: 'p',
  action: 'quarantine',
  parameters: {},
  requestedAt: '2026-01-01T00:00:00Z',
  deadline: '2026-01-01T01:00:00Z',
});

describe('command helpers', () => {
  it('resolves a unique id prefix like git does', () => {
    expect(resolvePrefix('ab', ['abc1', 'bcd2'], 'run')).toBe('abc1');
    expect(() => resolvePrefix('a', ['abc1', 'abd2'], 'run')).toThrow(
      'a could be 2 runs: abc1, abd2',
    );
    expect(() => resolvePrefix('zz', ['abc1'], 'run')).toThrow(CliError);
  });

  it('picks the waiting step from run, run step or run/step', () => {
    const rows = [
      waiting('aaaa1111', 'quarantine'),
      waiting('bbbb2222', 'revoke'),
      waiting('bbbb2222', 'block'),
    ];
    expect(pickApproval(rows, 'aaaa', undefined).stepId).toBe('quarantine');
    expect(pickApproval(rows, 'bbbb/revoke', undefined).stepId).toBe('revoke');
    expect(pickApproval(rows, 'bbbb', 'block').stepId).toBe('block');
    expect(() => pickApproval(rows, 'bbbb', undefined)).toThrow(
      /waits on 2 steps \(revoke, block\): name one/,
    );
    expect(() => pickApproval(rows, 'aaaa', 'revoke')).toThrow(/has no step "revoke" waiting/);
  });

  it('filters tailed records by tenant and agent', () => {
    const a = { tenantId: 't', agentId: 'bot' } as ThreatAlert;
    expect(matches('alerts', a, {})).toBe(true);
    expect(matches('alerts', a, { tenant: 't', agent: 'bot' })).toBe(true);
    expect(matches('alerts', a, { tenant: 'u' })).toBe(false);
    expect(matches('incidents', { tenantId: 't', agents: ['x', 'bot'] }, { agent: 'bot' })).toBe(
      true,
    );
    expect(
      matches('actions', { tenantId: 't', parameters: { agents: ['bot'] } }, { agent: 'bot' }),
    ).toBe(true);
  });

  it('computes a group lag from its committed offsets', () => {
    const ends = [
      { partition: 0, high: '100', low: '0' },
      { partition: 1, high: '50', low: '40' },
    ];
    expect(
      lagOf(ends, [
        { partition: 0, offset: '90' },
        { partition: 1, offset: '-1' },
      ]),
    ).toEqual({
      lag: 10,
      partitions: 1,
    });
    expect(lagOf(ends, [{ partition: 1, offset: '10' }])).toEqual({ lag: 10, partitions: 1 });
  });

  it('lists the deployment consumer groups, not tests nor its own', () => {
    expect(isDeploymentGroup('ward-fusion', '')).toBe(true);
    expect(isDeploymentGroup('scratch.r1.x.monitor', '')).toBe(false);
    expect(isDeploymentGroup('ward-cli-host-1-x', '')).toBe(false);
    expect(isDeploymentGroup('scratch.r1.x.monitor', 'scratch.r1.x.')).toBe(true);
  });

  it('reads ingest answers back to file and line', () => {
    const batch = [0, 1, 2].map((i) => ({ value: {}, source: 'f.jsonl', line: 10 + i }));
    expect(
      readIngestAnswer(
        {
          accepted: 2,
          rejected: 1,
          duplicates: 0,
          alerts: 1,
          errors: [{ index: 1, code: 'invalid', reasons: ['/agentId: required'] }],
        },
        batch,
      ),
    ).toEqual({
      accepted: 2,
      rejected: 1,
      duplicates: 0,
      alerts: 1,
      rejections: [{ source: 'f.jsonl', line: 11, reason: 'invalid: /agentId: required' }],
    });
  });

  it('asks each service something only its admin token may read', () => {
    expect(apiProbePath('fusion', 'a b')).toBe('/v1/tenants/a%20b/incidents?limit=1');
    expect(apiProbePath('response', 't')).toBe('/v1/playbooks');
  });

  it('speaks of spans in the unit that reads best', () => {
    expect([formatSpan(30_000), formatSpan(390_000), formatSpan(3 * 3_600_000)]).toEqual([
      '30 s',
      '7 min',
      '3.0 h',
    ]);
  });
});
