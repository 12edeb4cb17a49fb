import { Inject, Injectable } from '@nestjs/common';
import { hash } from 'node:crypto';
import Redis from 'ioredis';

/**
 * Remembers which ids were already published, for a retention window. The
 * caller checks first, publishes what is new, then marks it: marking before
 * publishing would turn a failed publish into silent loss when the client
 * retries. Keys hold a 16-byte digest of the id, not the id itself.
 */
// First claim wins; a replay by the same owner (the same record at the same
// topic/partition/offset) is still its owner, so reprocessing after a crash is
// not mistaken for a duplicate.
// One script run claims a whole batch: KEYS are the ids' keys, ARGV[1] the
// TTL and ARGV[1 + i] the owner of KEYS[i].
const CLAIM_SCRIPT = `
local ttl = ARGV[1]
local owned = {}
for i, key in ipairs(KEYS) do
  local owner = ARGV[i + 1]
  if redis.call('SET', key, owner, 'NX', 'PX', ttl) then
    owned[i] = 1
  elseif redis.call('GET', key) == owner then
    owned[i] = 1
  else
    owned[i] = 0
  end
end
return owned
`;

// Marks a whole batch in one script run: KEYS are the ids' keys, ARGV[1] the TTL.
const MARK_SCRIPT = `
for _, key in ipairs(KEYS) do
  redis.call('SET', key, '1', 'PX', ARGV[1])
end
return #KEYS
`;

// Keys per command or script run: large batches take a few, not one huge one.
const KEYS_PER_COMMAND = 2000;

type ClaimCommand = (keyCount: number, ...args: string[]) => Promise<number[]>;
type MarkCommand = (keyCount: number, ...args: string[]) => Promise<number>;

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += KEYS_PER_COMMAND) {
    out.push(items.slice(i, i + KEYS_PER_COMMAND));
  }
  return out;
}

@Injectable()
export class DedupStore {
  private readonly command = 'wardDedupClaim';
  private readonly markCommand = 'wardDedupMark';

  constructor(@Inject(Redis) private readonly redis: Redis) {
    // EVALSHA of a script Redis already holds rather than the whole script each time.
    if (!(this.command in redis)) {
      redis.defineCommand(this.command, { lua: CLAIM_SCRIPT });
    }
    if (!(this.markCommand in redis)) {
      redis.defineCommand(this.markCommand, { lua: MARK_SCRIPT });
    }
  }

  static key(scope: string, id: string): string {
    // One-shot hash(): a third of createHash's cost on ids this short, same digest.
    return `dedup:${scope}:${hash('sha256', id, 'base64url').slice(0, 22)}`;
  }

  /** The keys of `ids` in `scope`, for a caller that checks and later marks the same ids. */
  static keys(scope: string, ids: readonly string[]): string[] {
    return ids.map((id) => DedupStore.key(scope, id));
  }

  /** For each key (DedupStore.keys), whether it was already marked. */
  async seenKeys(keys: readonly string[]): Promise<boolean[]> {
    if (keys.length === 0) {
      return [];
    }
    // One MGET per chunk of keys (a marked key holds a value), not one EXISTS per id.
    const pipeline = this.redis.pipeline();
    for (const chunk of chunks(keys)) {
      pipeline.mget(...chunk);
    }
    const results = (await pipeline.exec()) ?? [];
    return results.flatMap(([error, values]) => {
      if (error) {
        throw error;
      }
      return (values as (string | null)[]).map((v) => v !== null);
    });
  }

  /** Marks keys (DedupStore.keys) for `ttlMs`. */
  async markKeys(keys: readonly string[], ttlMs: number): Promise<void> {
    if (keys.length === 0) {
      return;
    }
    // One script run per chunk of keys, not one SET per id.
    const pipeline = this.redis.pipeline();
    const run = (pipeline as unknown as Record<string, MarkCommand>)[this.markCommand]!.bind(
      pipeline,
    );
    for (const chunk of chunks(keys)) {
      void run(chunk.length, ...chunk, String(ttlMs));
    }
    const results = (await pipeline.exec()) ?? [];
    const failed = results.find(([error]) => error);
    if (failed?.[0]) {
      throw failed[0];
    }
  }

  /**
   * Claims each id for its owner; true where the caller owns it (first claim,
   * or a replay by the same owner), false where another owner had it first.
   */
  async claim(
    scope: string,
    entries: readonly { readonly id: string; readonly owner: string }[],
    ttlMs: number,
  ): Promise<boolean[]> {
    if (entries.length === 0) {
      return [];
    }
    const pipeline = this.redis.pipeline();
    const run = (pipeline as unknown as Record<string, ClaimCommand>)[this.command]!.bind(pipeline);
    for (const chunk of chunks(entries)) {
      void run(
        chunk.length,
        ...chunk.map((e) => DedupStore.key(scope, e.id)),
        String(ttlMs),
        ...chunk.map((e) => e.owner),
      );
    }
    const results = (await pipeline.exec()) ?? [];
    return results.flatMap(([error, value]) => {
      if (error) {
        throw error;
      }
      return (value as number[]).map((v) => v === 1);
    });
  }
}
