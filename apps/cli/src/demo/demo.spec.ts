import { type Incident, type Policy, type ThreatAlert } from '@ward/contracts';
import { makeStyle } from '../cli/style';
import { chainOf, renderCheck } from '../commands/demo.command';
import { alertsComplete, check, type Expectation, incidentFor } from './expectation';
import { REBASE_STEP_MS, loadExpectation, loadScenario, rebase, scenarioNames } from './scenario';

const expectation: Expectation = {
  title: 't',
  storyline: 's',
  alerts: { bot: ['call_rate_spike:medium', 'call_rate_spike:high'], calm: [] },
  incident: { severity: 'high', agents: ['bot'] },
  playbooks: ['runaway-agent'],
  approval: {
    playbook: 'runaway-agent',
    step: 'quarantine',
    action: 'quarantine',
    outcome: 'succeeded',
  },
  policy: { kind: 'rate_ceiling', subject: 'agent:bot' },
  enforcement: null,
};
const alert = (
  agentId: string,
  detector: string,
  severity: string,
  alertId = `${agentId}${detector}${severity}`,
) => ({ agentId, detector, severity, alertId }) as ThreatAlert;
const incident = (over: Partial<Incident>) =>
  ({
    incidentId: 'i1',
    version: 1,
    status: 'open',
    severity: 'high',
    agents: ['bot'],
    alertIds: [],
    ...over,
  }) as Incident;

describe('demo expectations', () => {
  it('knows when every expected alert has arrived, counting repeats', () => {
    expect(alertsComplete(expectation, [alert('bot', 'call_rate_spike', 'medium')])).toBe(false);
    expect(
      alertsComplete(expectation, [
        alert('bot', 'call_rate_spike', 'high'),
        alert('bot', 'call_rate_spike', 'medium'),
      ]),
    ).toBe(true);
  });

  it('finds the incident of the expected agents at its latest version', () => {
    const found = incidentFor(expectation, [
      incident({ version: 1, severity: 'medium' }),
      incident({ version: 2, severity: 'high' }),
      incident({ incidentId: 'i2', agents: ['other'] }),
    ]);
    expect(found).toMatchObject({ incidentId: 'i1', version: 2 });
  });

  it('passes when everything happened as written, and says what differed when not', () => {
    const observed = {
      alerts: [alert('bot', 'call_rate_spike', 'high'), alert('bot', 'call_rate_spike', 'medium')],
      incidents: [incident({})],
      playbooks: ['runaway-agent'],
      approval: {
        playbook: 'runaway-agent',
        step: 'quarantine',
        action: 'quarantine',
        status: 'succeeded',
      },
      policy: { kind: 'rate_ceiling', subject: 'agent:bot', status: 'active' } as Policy,
      enforcementAlerts: undefined,
    };
    expect(check(expectation, observed).every((l) => l.ok)).toBe(true);
    const wrong = check(expectation, {
      ...observed,
      alerts: [
        ...observed.alerts,
        alert('calm', 'new_tool', 'medium'),
        alert('stray', 'new_tool', 'medium'),
      ],
      incidents: [incident({ severity: 'critical' })],
      policy: undefined,
    });
    expect(wrong.filter((l) => !l.ok).map((l) => [l.what, l.actual])).toEqual([
      ['alerts of calm', 'new_tool:medium'],
      ['alerts of other agents', 'stray new_tool:medium'],
      ['incident', 'one critical incident on bot'],
      ['policy', 'not proposed'],
    ]);
    expect(renderCheck(makeStyle(false), wrong, 'x.expected.json')).toContain(
      '✗ incident                expected one high incident on bot; got one critical incident on bot',
    );
  });

  it('moves event time by whole steps into the last ten minutes', () => {
    const now = Date.UTC(2026, 10, 23, 17, 42, 10);
    const { records, shiftMs } = rebase(
      [
        { value: { timestamp: '2026-01-12T09:00:00.000Z' }, source: 's', line: 1 },
        { value: { timestamp: '2026-01-12T09:06:30.000Z' }, source: 's', line: 2 },
      ],
      now,
    );
    expect(shiftMs % REBASE_STEP_MS).toBe(0);
    const last = Date.parse(String(records[1]!.value['timestamp']));
    expect(last).toBeLessThanOrEqual(now);
    expect(now - last).toBeLessThan(REBASE_STEP_MS);
    expect(records[0]!.value['timestamp']).toBe('2026-11-23T17:30:00.000Z');
  });

  it('reads every shipped scenario, in the order newcomers meet them', () => {
    expect(scenarioNames()).toEqual([
      'runaway',
      'credential-probing',
      'injection-exfiltration',
      'slow-drift',
      'session-cycling',
      'lateral-movement',
    ]);
    for (const name of scenarioNames()) {
      expect(loadScenario(name).records.length).toBeGreaterThan(10);
    }
    expect(chainOf(loadExpectation('runaway'))).toBe(
      '3 alerts → critical incident → runaway-agent → approve quarantine → rate_ceiling policy',
    );
    expect(() => loadScenario('nope')).toThrow('no scenario "nope"');
  });
});
