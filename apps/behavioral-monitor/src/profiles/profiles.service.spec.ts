import { type BehavioralEvent, ThreatAlertContract } from '@ward/contracts';
import { type MonitorConfig } from '../config/monitor.config';
import { ProfilesService } from './profiles.service';

const WINDOW = 60_000;
const T0 = Date.UTC(2026, 0, 1);
const config: Pick<MonitorConfig, 'callRate'> = {
  callRate: { windowMs: WINDOW, alpha: 0.2, sigma: 4, warmupWindows: 3, sampleSize: 10 },
};

function events(agentId: string, perWindow: number[], tenantId = 'acme'): BehavioralEvent[] {
  return perWindow.flatMap((count, w) =>
    Array.from({ length: count }, (_, i) => ({
      schemaVersion: 1 as const,
      eventId: `${agentId}-${w}-${i}`,
      tenantId,
      agentId,
      sessionId: 's1',
      timestamp: new Date(T0 + w * WINDOW + Math.floor(((i + 0.5) * WINDOW) / count)).toISOString(),
      receivedAt: new Date(T0).toISOString(),
      source: { channel: 'http' as const },
      type: 'tool_call' as const,
      action: 'search',
      outcome: 'ok' as const,
      parameterEntropy: 0,
      labels: {},
    })),
  );
}

describe(ProfilesService.name, () => {
  it('alerts on the agent that bursts and on no other', () => {
    const sut = new ProfilesService(config);
    const calm = events('calm', [10, 10, 10, 10]);
    const burst = events('burst', [10, 10, 10, 60]);
    const { alerts } = sut.observe([...calm, ...burst]);
    expect(alerts).toHaveLength(1);
    const alert = alerts[0]!;
    expect(ThreatAlertContract.validate(alert)).toEqual({ ok: true, value: alert });
    expect(alert).toMatchObject({
      tenantId: 'acme',
      agentId: 'burst',
      sessionId: 's1',
      detector: 'call_rate_spike',
    });
    expect(alert.window.start).toBe(new Date(T0 + 3 * WINDOW).toISOString());
    expect(alert.evidence.sampleEventIds.at(-1)).toBe('burst-3-22');
    expect(sut.trackedAgents).toBe(2);
  });

  it('keeps tenants apart even for the same agent id', () => {
    const sut = new ProfilesService(config);
    const { alerts } = sut.observe([
      ...events('bot', [10, 10, 10, 10], 'a'),
      ...events('bot', [1, 1, 1, 1], 'b'),
    ]);
    expect(alerts).toHaveLength(0);
    expect(sut.trackedAgents).toBe(2);
  });

  it('gives identical alerts for identical input (same ids, same bytes)', () => {
    const input = events('burst', [5, 6, 5, 40]);
    const first = new ProfilesService(config).observe(input).alerts;
    const second = new ProfilesService(config).observe(input).alerts;
    expect(first).toHaveLength(1);
    expect(JSON.stringify(second)).toBe(JSON.stringify(first));
  });

  it('counts late events', () => {
    const sut = new ProfilesService(config);
    const [a, b] = events('x', [1, 1]);
    expect(sut.observe([b!, a!]).late).toBe(1);
  });
});
