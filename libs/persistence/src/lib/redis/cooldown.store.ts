import { Inject, Injectable } from '@nestjs/common';
import Redis from 'ioredis';

// Cooldowns are compared in event time so the verdict depends on the data, not
// on when it is processed. The value holds the alert that opened the cooldown,
// the event-time span it covers; a replay of that same alert (or of older
// history) passes, a different alert inside the span is suppressed.
const CLAIM_SCRIPT = `
local current = redis.call('GET', KEYS[1])
if current then
  local id, startMs, untilMs = string.match(current, '^([^|]+)|(%-?%d+)|(%-?%d+)$')
  if id == ARGV[1] then return 1 end
  local windowStart = tonumber(ARGV[2])
  if id and windowStart >= tonumber(startMs) and windowStart < tonumber(untilMs) then return 0 end
  if id and windowStart < tonumber(startMs) then return 1 end
end
redis.call('SET', KEYS[1], ARGV[1] .. '|' .. ARGV[2] .. '|' .. ARGV[3], 'PX', ARGV[4])
return 1
`;

export interface CooldownClaim {
  readonly tenantId: string;
  readonly agentId: string;
  readonly detector: string;
  readonly alertId: string;
  /** Event time the alert's evidence starts (ms). */
  readonly eventTimeMs: number;
  /** Event-time length of the cooldown (ms). */
  readonly cooldownMs: number;
  /** How long Redis keeps the key (wall clock, ms); at least the cooldown. */
  readonly retainMs: number;
}

type ClaimCommand = (key: string, ...args: string[]) => Promise<number>;

@Injectable()
export class CooldownStore {
  private readonly command = 'wardCooldownClaim';

  constructor(@Inject(Redis) private readonly redis: Redis) {
    // EVALSHA of a script Redis already holds rather than the whole script each time.
    if (!(this.command in redis)) {
      redis.defineCommand(this.command, { numberOfKeys: 1, lua: CLAIM_SCRIPT });
    }
  }

  static key(tenantId: string, agentId: string, detector: string): string {
    return `cooldown:${tenantId}:${detector}:${agentId}`;
  }

  /** True when the alert may be emitted (and now holds the cooldown); false when suppressed. */
  async claim(claim: CooldownClaim): Promise<boolean> {
    return (await this.claimAll([claim]))[0]!;
  }

  /**
   * Claims in order, in one round trip: the same verdicts as claiming one
   * after another (a later claim on the same key sees an earlier one's).
   */
  async claimAll(claims: readonly CooldownClaim[]): Promise<boolean[]> {
    if (claims.length === 0) {
      return [];
    }
    const pipeline = this.redis.pipeline();
    const run = (pipeline as unknown as Record<string, ClaimCommand>)[this.command]!.bind(pipeline);
    for (const claim of claims) {
      void run(
        CooldownStore.key(claim.tenantId, claim.agentId, claim.detector),
        claim.alertId,
        String(claim.eventTimeMs),
        String(claim.eventTimeMs + claim.cooldownMs),
        String(Math.max(claim.retainMs, claim.cooldownMs)),
      );
    }
    const results = (await pipeline.exec()) ?? [];
    return results.map(([error, value]) => {
      if (error) {
        throw error;
      }
      return value === 1;
    });
  }

  async current(
    tenantId: string,
    agentId: string,
    detector: string,
  ): Promise<{ alertId: string; untilMs: number } | null> {
    const value = await this.redis.get(CooldownStore.key(tenantId, agentId, detector));
    if (value === null) {
      return null;
    }
    const [alertId, , untilMs] = value.split('|');
    return alertId && untilMs ? { alertId, untilMs: Number(untilMs) } : null;
  }
}
