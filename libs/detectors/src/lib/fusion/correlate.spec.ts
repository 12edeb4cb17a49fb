import { IncidentContract, type ThreatAlert } from '@ward/contracts';
import { DETECTOR_TECHNIQUES, type DetectorId } from '../techniques';
import {
  assess,
  changeStatus,
  correlationKeys,
  decide,
  DEFAULT_CORRELATION_SETTINGS,
  digest,
  fold,
  incidentIdFor,
  type IncidentCore,
  keysOf,
  merge,
  newIncident,
  render,
} from './correlate';
import { IntelIndex } from './intel';

const T0 = Date.UTC(2026, 0, 5, 9, 0);
const MIN = 60_000;
const settings = DEFAULT_CORRELATION_SETTINGS;
let n = 0;

function alert(over: Partial<ThreatAlert> & { detector: DetectorId; atMin: number }): ThreatAlert {
  n += 1;
  const { atMin, ...rest } = over;
  const at = new Date(T0 + atMin * MIN).toISOString();
  return {
    schemaVersion: 1,
    alertId: n.toString(16).padStart(32, '0'),
    tenantId: 'acme',
    agentId: 'agent-1',
    severity: 'medium',
    score: 0.55,
    riskScore: 55,
    summary: `${over.detector} on ${over.agentId ?? 'agent-1'}`,
    window: { start: at, end: at },
    observedAt: at,
    evidence: {
      metric: 'm',
      value: 1,
      baselineMean: 0,
      baselineStddev: 1,
      baselineWindows: 5,
      zScore: 5,
      threshold: 4,
      sampleEventIds: ['e1'],
    },
    techniques: [...DETECTOR_TECHNIQUES[over.detector]],
    ...rest,
  };
}

function incidentOf(...alerts: ThreatAlert[]): IncidentCore {
  const core = newIncident('acme', incidentIdFor('acme', alerts[0]!.alertId));
  fold(core, alerts.map(digest));
  return core;
}

describe('correlation keys', () => {
  it('are the agent, session, requester and normalized indicators', () => {
    const a = alert({
      detector: 'bytes_out_spike',
      atMin: 0,
      sessionId: 's1',
      requesterId: 'alice',
      iocs: { ips: ['203.0.113.7'], domains: ['Drop.Example.'], hashes: ['not-a-hash'] },
    });
    expect(correlationKeys(a)).toEqual([
      'agent:agent-1',
      'session:s1',
      'requester:alice',
      'domain:drop.example',
      'ip:203.0.113.7',
    ]);
    expect(keysOf(incidentOf(a))).toEqual([
      'agent:agent-1',
      'domain:drop.example',
      'ip:203.0.113.7',
      'requester:alice',
      'session:s1',
    ]);
  });
});

describe('decide', () => {
  const a = alert({ detector: 'call_rate_spike', atMin: 40 });

  it('opens a new incident, with an id derived from the tenant and the alert, when nothing is near', () => {
    expect(decide('acme', a, [], settings)).toEqual({
      kind: 'open',
      incidentId: incidentIdFor('acme', a.alertId),
    });
    expect(incidentIdFor('acme', a.alertId)).toBe(incidentIdFor('acme', a.alertId));
    expect(incidentIdFor('other', a.alertId)).not.toBe(incidentIdFor('acme', a.alertId));
  });

  it('joins a candidate exactly at the edge of the window and not one millisecond beyond', () => {
    const edge = { incidentId: 'x'.repeat(32), firstSeenMs: T0, lastSeenMs: T0 + 10 * MIN };
    expect(decide('acme', a, [edge], settings).kind).toBe('join');
    const beyond = { ...edge, lastSeenMs: T0 + 10 * MIN - 1 };
    expect(decide('acme', a, [beyond], settings).kind).toBe('open');
  });

  it('merges every candidate it links into the oldest, whatever order they come in', () => {
    const older = { incidentId: 'b'.repeat(32), firstSeenMs: T0, lastSeenMs: T0 + 30 * MIN };
    const newer = {
      incidentId: 'a'.repeat(32),
      firstSeenMs: T0 + 20 * MIN,
      lastSeenMs: T0 + 35 * MIN,
    };
    const expected = { kind: 'merge', incidentId: older.incidentId, absorbed: [newer.incidentId] };
    expect(decide('acme', a, [older, newer], settings)).toEqual(expected);
    expect(decide('acme', a, [newer, older], settings)).toEqual(expected);
  });
});

describe('fold and merge', () => {
  it('ignores an alert it already holds, so a replay changes nothing', () => {
    const a = alert({ detector: 'call_rate_spike', atMin: 0 });
    const core = incidentOf(a);
    expect(fold(core, [digest(a)])).toBe(0);
    expect(core.alertCount).toBe(1);
  });

  it('keeps alerts in event-time order and the span of the story', () => {
    const late = alert({ detector: 'new_tool', atMin: 9 });
    const early = alert({ detector: 'call_rate_spike', atMin: 2 });
    const core = incidentOf(late);
    expect(fold(core, [digest(early)])).toBe(1);
    expect(core.alerts.map((x) => x.alertId)).toEqual([early.alertId, late.alertId]);
    expect([core.firstSeenMs, core.lastSeenMs]).toEqual([T0 + 2 * MIN, T0 + 9 * MIN]);
  });

  it('moves an absorbed incident into the survivor and leaves a merged tombstone', () => {
    const x = incidentOf(alert({ detector: 'call_rate_spike', atMin: 0, agentId: 'a' }));
    const y = incidentOf(alert({ detector: 'deny_rate_spike', atMin: 5, agentId: 'b' }));
    merge(x, y);
    expect(x.alerts.map((d) => d.agentId)).toEqual(['a', 'b']);
    expect(x.alertCount).toBe(2);
    expect(y.status).toBe('merged');
    expect(y.mergedInto).toBe(x.incidentId);
    expect(changeStatus(y, 'resolved', 'done', 'ana')).toMatch(/was merged into/);
  });
});

describe('assess', () => {
  it('starts at the worst alert and records no reason for a single detector on one agent', () => {
    const core = incidentOf(
      alert({ detector: 'call_rate_spike', atMin: 0, severity: 'medium', score: 0.5 }),
      alert({ detector: 'call_rate_spike', atMin: 1, severity: 'high', score: 0.75 }),
    );
    const a = assess(core, undefined, settings);
    expect(a.severity).toBe('high');
    expect(a.escalations).toEqual([]);
    expect(a.score).toBe(0.75);
  });

  it('escalates once per reason: independent detectors, several agents, threat intel', () => {
    const core = incidentOf(
      alert({
        detector: 'bytes_out_spike',
        atMin: 0,
        agentId: 'a',
        score: 0.5,
        iocs: { ips: ['203.0.113.7'] },
      }),
      alert({
        detector: 'new_resource',
        atMin: 1,
        agentId: 'b',
        score: 0.5,
        iocs: { ips: ['203.0.113.7'] },
      }),
    );
    const intel = new IntelIndex([
      { type: 'ip', value: '203.0.113.7', feed: 'abuse.csv', source: 'abuse.ch', confidence: 90 },
    ]);
    const a = assess(core, intel, settings);
    expect(a.escalations.map((e) => e.code)).toEqual([
      'independent_detectors',
      'multiple_agents',
      'threat_intel',
    ]);
    expect(a.escalations[0]!.detail).toBe(
      '2 independent kinds of evidence agree (data, novelty): bytes_out_spike, new_resource',
    );
    // medium + 3 levels, capped at critical; score 1 - 0.5 * 0.5 + 0.3.
    expect(a.severity).toBe('critical');
    expect(a.score).toBe(1);
    expect(a.intelMatches).toHaveLength(1);
  });

  it('does not escalate on intel below the confidence floor, nor on two detectors of one family', () => {
    const core = incidentOf(
      alert({ detector: 'call_rate_spike', atMin: 0, iocs: { domains: ['x.example'] } }),
      alert({ detector: 'session_spike', atMin: 1 }),
    );
    const intel = new IntelIndex([
      { type: 'domain', value: 'x.example', feed: 'f', source: 's', confidence: 49 },
    ]);
    const a = assess(core, intel, settings);
    expect(a.escalations).toEqual([]);
    expect(a.severity).toBe('medium');
    expect(a.intelMatches.map((m) => m.confidence)).toEqual([49]);
  });
});

describe('render', () => {
  it('publishes a valid Incident with graph and a deterministic narrative', () => {
    const core = incidentOf(
      alert({
        detector: 'bytes_out_spike',
        atMin: 0,
        agentId: 'exfil',
        sessionId: 'exfil-s',
        tools: ['query'],
        resources: ['file:///home/finance/q1.xlsx'],
        iocs: { domains: ['drop.example'] },
        severity: 'high',
        score: 0.75,
      }),
      alert({ detector: 'new_resource', atMin: 1, agentId: 'exfil', sessionId: 'exfil-s' }),
    );
    core.version = 1;
    const intel = new IntelIndex([
      {
        type: 'domain',
        value: 'drop.example',
        feed: 'feed.csv',
        source: 'CERT',
        confidence: 80,
        description: 'exfil drop',
      },
    ]);
    const incident = render(core, intel, settings, T0 + 5 * MIN);
    expect(IncidentContract.validate(incident).ok).toBe(true);
    expect(incident).toMatchObject({
      severity: 'critical',
      agents: ['exfil'],
      sessions: ['exfil-s'],
      iocs: { domains: ['drop.example'] },
      detectors: ['bytes_out_spike', 'new_resource'],
      firstSeen: '2026-01-05T09:00:00.000Z',
      lastSeen: '2026-01-05T09:01:00.000Z',
      title: 'Critical: bytes_out_spike, new_resource on agent exfil',
    });
    expect(incident.graph.nodes.map((x) => x.id)).toEqual(
      expect.arrayContaining([
        'agent:exfil',
        'session:exfil-s',
        'tool:query',
        'resource:file:///home/finance/q1.xlsx',
        'indicator:domain:drop.example',
      ]),
    );
    expect(incident.graph.edges).toContainEqual({
      from: 'agent:exfil',
      to: 'indicator:domain:drop.example',
      relation: 'contacted',
      at: '2026-01-05T09:00:00.000Z',
    });
    expect(incident.narrative.split('\n').slice(0, 2)).toEqual([
      'Critical incident involving agent exfil between 2026-01-05 09:00:00 UTC and 2026-01-05 09:01:00 UTC (event time), from 2 alerts by bytes_out_spike and new_resource.',
      'Sessions: exfil-s.',
    ]);
    expect(incident.narrative).toContain(
      'Threat intel: drop.example matches drop.example in feed feed.csv (CERT, confidence 80): exfil drop.',
    );
    expect(incident.narrative).toContain(
      '- 2026-01-05 09:00:00 UTC exfil: [high] bytes_out_spike on exfil',
    );
    expect(render(core, intel, settings, T0 + 5 * MIN)).toEqual(incident);
  });
});

describe('status', () => {
  it('follows the lifecycle and says why a change is refused', () => {
    const core = incidentOf(alert({ detector: 'call_rate_spike', atMin: 0 }));
    expect(changeStatus(core, 'contained', 'agent quarantined', 'ana')).toBeUndefined();
    expect(changeStatus(core, 'false_positive', 'load test', 'ana')).toBeUndefined();
    expect(core).toMatchObject({
      status: 'false_positive',
      statusReason: 'load test',
      statusActor: 'ana',
    });
    expect(changeStatus(core, 'resolved', 'x', 'ana')).toBe(
      'an incident cannot go from false_positive to resolved',
    );
  });
});
