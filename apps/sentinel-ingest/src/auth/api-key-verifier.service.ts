import { Inject, Injectable } from '@nestjs/common';
import { type ApiKeyInfo, ApiKeyRepository, hashApiKey } from '@ward/persistence';
import { INGEST_CONFIG, type IngestConfig } from '../config/ingest.config';

const MAX_CACHED = 10_000;
const TOUCH_EVERY_MS = 60_000;

interface Cached {
  readonly info: ApiKeyInfo | null;
  readonly expiresAt: number;
}

/**
 * Verifies API keys against PostgreSQL with a short in-memory cache, so a hot
 * ingest path does not query the database per request. Unknown keys are cached
 * too (briefly), which keeps a flood of bad keys off the database. Revoking a
 * key through this instance takes effect at once; elsewhere within the TTL.
 */
@Injectable()
export class ApiKeyVerifier {
  private readonly cache = new Map<string, Cached>();
  private readonly touched = new Map<string, number>();

  constructor(
    private readonly keys: ApiKeyRepository,
    @Inject(INGEST_CONFIG) private readonly config: IngestConfig,
  ) {}

  async verify(key: string, now = Date.now()): Promise<ApiKeyInfo | null> {
    const hash = hashApiKey(key);
    const cached = this.cache.get(hash);
    if (cached && cached.expiresAt > now) {
      this.touch(cached.info, now);
      return cached.info;
    }
    const info = await this.keys.findActiveByKey(key);
    if (this.config.auth.keyCacheMs > 0) {
      if (this.cache.size >= MAX_CACHED) {
        this.cache.clear();
      }
      this.cache.set(hash, { info, expiresAt: now + this.config.auth.keyCacheMs });
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
    this.touched.set(info.id, now);
    // Best effort: last-used bookkeeping must never fail or slow an intake request.
    this.keys.touch(info.id, new Date(now)).catch(() => undefined);
  }
}
