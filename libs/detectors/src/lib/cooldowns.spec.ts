import {
  admitAlert,
  type AgentCooldowns,
  cooldownKey,
  deserializeCooldowns,
  MAX_COOLDOWNS,
  pruneCooldowns,
  serializeCooldowns,
} from './cooldowns';

const T = Date.UTC(2026, 0, 1);
const FIVE_MINUTES = 300_000;

describe('alert cooldowns', () => {
  it('holds back the same detector and severity inside the span, in event time', () => {
    const sut: AgentCooldowns = new Map();
    const spike = cooldownKey('call_rate_spike', 'medium');
    expect(admitAlert(sut, spike, T, FIVE_MINUTES)).toBe(true);
    expect(admitAlert(sut, spike, T + 60_000, FIVE_MINUTES)).toBe(false);
    expect(admitAlert(sut, spike, T + FIVE_MINUTES - 1, FIVE_MINUTES)).toBe(false);
    expect(sut.get(spike)).toEqual({ startMs: T, untilMs: T + FIVE_MINUTES });
  });

  it('never holds back an escalation: each severity has its own span', () => {
    const sut: AgentCooldowns = new Map();
    expect(admitAlert(sut, cooldownKey('spike', 'medium'), T, FIVE_MINUTES)).toBe(true);
    expect(admitAlert(sut, cooldownKey('spike', 'high'), T + 60_000, FIVE_MINUTES)).toBe(true);
    expect(admitAlert(sut, cooldownKey('spike', 'critical'), T + 60_000, FIVE_MINUTES)).toBe(true);
    expect(admitAlert(sut, cooldownKey('spike', 'high'), T + 120_000, FIVE_MINUTES)).toBe(false);
  });

  it('opens a new span once the old one has passed, and lets late evidence through without moving it', () => {
    const sut: AgentCooldowns = new Map();
    const key = cooldownKey('spike', 'medium');
    expect(admitAlert(sut, key, T, FIVE_MINUTES)).toBe(true);
    expect(admitAlert(sut, key, T + FIVE_MINUTES, FIVE_MINUTES)).toBe(true);
    expect(sut.get(key)).toEqual({ startMs: T + FIVE_MINUTES, untilMs: T + 2 * FIVE_MINUTES });
    expect(admitAlert(sut, key, T - 60_000, FIVE_MINUTES)).toBe(true);
    expect(sut.get(key)).toEqual({ startMs: T + FIVE_MINUTES, untilMs: T + 2 * FIVE_MINUTES });
  });

  it('admits everything and keeps nothing when the cooldown is off', () => {
    const sut: AgentCooldowns = new Map();
    expect(admitAlert(sut, 'spike:medium', T, 0)).toBe(true);
    expect(admitAlert(sut, 'spike:medium', T, 0)).toBe(true);
    expect(sut.size).toBe(0);
  });

  it('keeps at most MAX_COOLDOWNS spans, dropping the oldest opened', () => {
    const sut: AgentCooldowns = new Map();
    for (let i = 0; i <= MAX_COOLDOWNS; i++) {
      admitAlert(sut, `d${i}:low`, T + i, FIVE_MINUTES);
    }
    expect(sut.size).toBe(MAX_COOLDOWNS);
    expect(sut.has('d0:low')).toBe(false);
    expect(sut.has(`d${MAX_COOLDOWNS}:low`)).toBe(true);
  });

  it('prunes spans the agent has moved past', () => {
    const sut: AgentCooldowns = new Map();
    admitAlert(sut, 'a:low', T, FIVE_MINUTES);
    admitAlert(sut, 'b:low', T + FIVE_MINUTES, FIVE_MINUTES);
    pruneCooldowns(sut, T + FIVE_MINUTES + 1);
    expect([...sut.keys()]).toEqual(['b:low']);
  });

  it('round-trips through its checkpoint form and refuses a malformed one', () => {
    const sut: AgentCooldowns = new Map();
    admitAlert(sut, 'spike:high', T, FIVE_MINUTES);
    admitAlert(sut, 'denial_burst:medium', T + 1, FIVE_MINUTES);
    const stored = JSON.parse(JSON.stringify(serializeCooldowns(sut))) as unknown;
    expect(stored).toEqual([
      ['spike:high', T, T + FIVE_MINUTES],
      ['denial_burst:medium', T + 1, T + 1 + FIVE_MINUTES],
    ]);
    expect(deserializeCooldowns(stored)).toEqual(sut);
    expect(serializeCooldowns(new Map())).toBeNull();
    expect(serializeCooldowns(null)).toBeNull();
    expect(deserializeCooldowns(null)).toBeNull();
    expect(deserializeCooldowns([])).toBeNull();
    expect(() => deserializeCooldowns({ spike: 1 })).toThrow('expected an array');
    expect(() => deserializeCooldowns([['spike', 'x', 2]])).toThrow('[key, startMs, untilMs]');
  });
});
