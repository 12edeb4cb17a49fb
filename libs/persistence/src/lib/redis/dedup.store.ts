import { Inject, Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
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
const CLAIM_SCRIPT = `
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
if redis.call('GET', KEYS[1]) == ARGV[1] then return 1 end
return 0
`;

@Injectable()
export class DedupStore {
  constructor(@Inject(Redis) private readonly redis: Redis) {}

  static key(scope: string, id: string): string {
    return `dedup:${scope}:${createHash('sha256').update(id).digest('base64url').slice(0, 22)}`;
  }

  /** For each id, whether it was already marked in `scope`. */
  async seen(scope: string, ids: readonly string[]): Promise<boolean[]> {
    if (ids.length === 0) {
      return [];
    }
    const pipeline = this.redis.pipeline();
    for (const id of ids) {
      pipeline.exists(DedupStore.key(scope, id));
    }
    const results = (await pipeline.exec()) ?? [];
    return results.map(([error, value]) => {
      if (error) {
        throw error;
      }
      return value === 1;
    });
  }

  async mark(scope: string, ids: readonly string[], ttlMs: number): Promise<void> {
    if (ids.length === 0) {
      return;
    }
    const pipeline = this.redis.pipeline();
    for (const id of ids) {
      pipeline.set(DedupStore.key(scope, id), '1', 'PX', ttlMs);
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
    for (const e of entries) {
      pipeline.eval(CLAIM_SCRIPT, 1, DedupStore.key(scope, e.id), e.owner, String(ttlMs));
    }
    const results = (await pipeline.exec()) ?? [];
    return results.map(([error, value]) => {
      if (error) {
        throw error;
      }
      return value === 1;
    });
  }
}
