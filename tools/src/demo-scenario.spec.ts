import { injectionCampaign, runawayScenario } from './demo-scenario';

describe('runawayScenario', () => {
  const now = Date.UTC(2026, 10, 22, 12, 30, 15);
  const sut = runawayScenario(now, 60_000);

  it('ends in the past, in event-time order, with unique ids', () => {
    const times = sut.events.map((e) => Number(e.timestamp));
    expect(Math.max(...times)).toBeLessThan(now);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    expect(new Set(sut.events.map((e) => e.eventId)).size).toBe(sut.events.length);
  });

  it('bursts only the runaway agent in the last window', () => {
    const inBurst = sut.events.filter((e) => Number(e.timestamp) >= sut.burstWindowStart);
    const byAgent = new Map<string, number>();
    for (const e of inBurst) {
      byAgent.set(e.agentId, (byAgent.get(e.agentId) ?? 0) + 1);
    }
    expect(byAgent.get(sut.runaway)).toBe(90);
    for (const agent of sut.calm) {
      expect(byAgent.get(agent)).toBeLessThan(20);
    }
  });

  it('gives a different run different event ids', () => {
    expect(runawayScenario(now + 3_600_000, 60_000).events[0]!.eventId).not.toBe(
      sut.events[0]!.eventId,
    );
  });
});

describe('injectionCampaign', () => {
  it('fetches the same poisoned page three times, minutes apart, then probes the domain', () => {
    const now = Date.UTC(2026, 10, 23, 12, 0);
    const s = injectionCampaign(now);
    expect(s.attacks.map((e) => e.resource)).toEqual([s.url, s.url, s.url]);
    expect(s.attacks.map((e) => Date.parse(String(e.timestamp)))).toEqual([
      now - 9 * 60_000,
      now - 5 * 60_000,
      now - 60_000,
    ]);
    expect(new Set(s.attacks.map((e) => e.eventId)).size).toBe(3);
    expect(s.attacks.every((e) => JSON.stringify(e.result).includes('ignore all previous'))).toBe(
      true,
    );
    expect(s.probe.iocs?.domains).toEqual([s.domain]);
    expect(s.clean.iocs?.domains).not.toContain(s.domain);
    expect(injectionCampaign(now + 1000).tenantId).not.toBe(s.tenantId);
  });
});
