import { buildScenario } from './scenario';

describe('the fault scenario', () => {
  const options = {
    tenants: ['t-1', 't-2'],
    backgroundAgents: 5,
    callsPerWindow: 3,
    malformedEvery: 100,
    duplicateEvery: 50,
  };

  it('is the same every time', () => {
    expect(buildScenario(options)).toEqual(buildScenario(options));
  });

  it('counts every valid event once and places malformed messages and re-sends', () => {
    const s = buildScenario(options);
    const valid = s.messages.filter((m) => {
      try {
        const v = JSON.parse(m.value) as { eventId?: string };
        return typeof v.eventId === 'string';
      } catch {
        return false;
      }
    });
    expect(valid.length).toBe(s.eventKeys.size + s.duplicates);
    expect(s.messages.length).toBe(s.eventKeys.size + s.duplicates + s.malformed);
    expect(s.malformed).toBe(Math.floor(s.eventKeys.size / 100));
    expect(s.duplicates).toBe(Math.floor(s.eventKeys.size / 50));
    expect([...s.eventKeys].filter((k) => k.startsWith('t-2/calm-004.'))).toHaveLength(22 * 3);
  });

  it('keeps each agent in event-time order, keyed by agent', () => {
    const s = buildScenario(options);
    const last = new Map<string, number>();
    for (const m of s.messages) {
      if (m.key === null) {
        continue;
      }
      const v = JSON.parse(m.value) as { tenantId: string; agentId: string; timestamp: string };
      expect(m.key).toBe(v.agentId);
      const k = `${v.tenantId}/${v.agentId}`;
      const t = Date.parse(v.timestamp);
      const before = last.get(k) ?? 0;
      // Re-sends repeat a record three places back; everything else moves forward.
      if (t >= before) {
        last.set(k, t);
      }
    }
    expect(last.size).toBeGreaterThan(2 * 19);
  });
});
