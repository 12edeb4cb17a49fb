import { Inject, Injectable } from '@nestjs/common';
import Redis from 'ioredis';

// One atomic step of a token bucket: refill by elapsed time, then take `cost`
// if there is enough. Redis's own clock (TIME) is used so replicas with skewed
// clocks share one bucket fairly.
const TAKE_SCRIPT = `
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil then
  tokens = capacity
  at = now
end
tokens = math.min(capacity, tokens + math.max(0, now - at) * rate / 1000)
local allowed = 0
if cost <= tokens then
  tokens = tokens - cost
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(capacity / rate * 1000) + 1000)
return { allowed, tostring(tokens) }
`;

export interface BucketLimits {
  /** Most tokens the bucket holds (the burst). */
  readonly capacity: number;
  /** Tokens added per second. */
  readonly ratePerSecond: number;
}

export type TakeResult =
  | { readonly allowed: true; readonly remaining: number }
  | { readonly allowed: false; readonly remaining: number; readonly retryAfterMs: number };

/** Token buckets in Redis, shared by every replica (per-tenant ingest limits). */
@Injectable()
export class TokenBucketStore {
  constructor(@Inject(Redis) private readonly redis: Redis) {}

  async take(bucket: string, cost: number, limits: BucketLimits): Promise<TakeResult> {
    const [allowed, tokens] = (await this.redis.eval(
      TAKE_SCRIPT,
      1,
      `bucket:${bucket}`,
      String(limits.capacity),
      String(limits.ratePerSecond),
      String(cost),
    )) as [number, string];
    const remaining = Number(tokens);
    if (allowed === 1) {
      return { allowed: true, remaining };
    }
    const missing = Math.max(0, cost - remaining);
    return {
      allowed: false,
      remaining,
      retryAfterMs: Math.ceil((missing / limits.ratePerSecond) * 1000),
    };
  }
}
