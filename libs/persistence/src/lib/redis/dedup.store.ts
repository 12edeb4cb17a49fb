import { Inject, Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import Redis from 'ioredis';

/**
 * Remembers which ids were already published, for a retention window. The
 * caller checks first, publishes what is new, then marks it: marking before
 * publishing would turn a failed publish into silent loss when the client
 * retries. Keys hold a 16-byte digest of the id, not the id itself.
 */
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
}
