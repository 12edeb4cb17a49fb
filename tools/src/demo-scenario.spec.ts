import { runawayScenario } from './demo-scenario';

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
