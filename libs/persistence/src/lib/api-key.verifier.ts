import { Inject, Injectable } from '@nestjs/common';
import { type ApiKeyLookup, AUTH_OPTIONS, type AuthOptions } from '@ward/observability';
import { type ApiKeyInfo, ApiKeyRepository, hashApiKey } from './api-key.repository';

const MAX_CACHED = 10_000;
const TOUCH_EVERY_MS = 60_000;

interface Cached {
  readonly info: ApiKeyInfo | null;
  readonly expiresAt: number;
}

/**
 * Verifies API keys against PostgreSQL with a short in-memory cache (keyed by
 * the key's hash, never the key), so a hot path does not query the database
 * per request. Unknown keys are cached too (briefly), which keeps a flood of
 * bad keys off the database. Revoking a key through this instance takes
 * effect at once; elsewhere within the cache time.
 */
@Injectable()
export class ApiKeyVerifier implements ApiKeyLookup {
  private readonly cache = new Map<string, Cached>();
  private readonly touched = new Map<string, number>();

  constructor(
    private readonly keys: ApiKeyRepository,
    @Inject(AUTH_OPTIONS) private readonly options: Pick<AuthOptions, 'keyCacheMs'>,
  ) {}

  async verify(key: string, now = Date.now()): Promise<ApiKeyInfo | null> {
    const hash = hashApiKey(key);
    const cached = this.cache.get(hash);
    let info: ApiKeyInfo | null;
    if (cached && cached.expiresAt > now) {
      info = cached.info;
    } else {
      info = await this.keys.findActiveByKey(key, new Date(now));
      if (this.options.keyCacheMs > 0) {
        if (this.cache.size >= MAX_CACHED) {
          this.cache.clear();
        }
        this.cache.set(hash, { info, expiresAt: now + this.options.keyCacheMs });
      }
    }
    if (info !== null && info.expiresAt !== null && Date.parse(info.expiresAt) <= now) {
      return null;
    }
    this.touch(info, now);
    return info;
  }

  forget(keyId: string): void {
    for (const [hash, entry] of this.cache) {
      if (entry.info?.id === keyId) {
        this.cache.delete(hash);
      }
    }
  }

  private touch(info: ApiKeyInfo | null, now: number): void {
    if (!info || now - (this.touched.get(info.id) ?? 0) < TOUCH_EVERY_MS) {
      return;
    }
    if (this.touched.size >= MAX_CACHED) {
      this.touched.clear();
    }
    this.touched.set(info.id, now);
    // Best effort: last-used bookkeeping must never fail or slow a request.
    this.keys.touch(info.id, new Date(now)).catch(() => undefined);
  }
}
