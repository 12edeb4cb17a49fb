import { infraEnv, uniqueTag } from '@ward/testing';
import Redis from 'ioredis';
import { type DataSource } from 'typeorm';
import { ApiKeyRepository, hashApiKey } from './api-key.repository';
import { createDataSource } from './data-source';
import { FilePositionRepository } from './file-position.repository';
import { DedupStore } from './redis/dedup.store';
import { TokenBucketStore } from './redis/token-bucket.store';

const tenant = uniqueTag('tenant');

describe('ApiKeyRepository and FilePositionRepository against PostgreSQL', () => {
  let dataSource: DataSource;

  beforeAll(async () => {
    dataSource = await createDataSource({ url: infraEnv().DATABASE_URL }).initialize();
  });

  afterAll(async () => {
    await dataSource?.destroy();
  });

  it('creates a key it never stores, finds it by its secret, and revokes it within its tenant only', async () => {
    const sut = new ApiKeyRepository(dataSource);
    const created = await sut.create(tenant, 'gateway', ['ingest']);
    expect(created.key).toMatch(/^ward_[a-z0-9]{8}_[A-Za-z0-9_-]{43}$/);
    const stored = await dataSource.query<{ key_hash: string }[]>(
      'SELECT key_hash FROM api_keys WHERE id = $1',
      [created.id],
    );
    expect(stored[0]?.key_hash).toBe(hashApiKey(created.key));
    expect(JSON.stringify(stored)).not.toContain(created.key);

    expect(await sut.findActiveByKey(created.key)).toMatchObject({
      id: created.id,
      tenantId: tenant,
      roles: ['ingest'],
    });
    expect(await sut.findActiveByKey(`${created.key.slice(0, -1)}x`)).toBeNull();
    expect(await sut.findActiveByKey('not-a-key')).toBeNull();
    expect((await sut.list(tenant)).map((k) => k.id)).toEqual([created.id]);

    expect(await sut.revoke(created.id, `${tenant}-other`)).toBe(false);
    expect(await sut.revoke(created.id, tenant)).toBe(true);
    expect(await sut.revoke(created.id, tenant)).toBe(false);
    expect(await sut.findActiveByKey(created.key)).toBeNull();
    expect((await sut.list(tenant))[0]?.revokedAt).not.toBeNull();
  });

  it('refuses unknown roles in the schema itself', async () => {
    await expect(
      new ApiKeyRepository(dataSource).create(tenant, 'x', ['root' as never]),
    ).rejects.toThrow();
  });

  it('saves, updates, loads and removes file positions per source', async () => {
    const sut = new FilePositionRepository(dataSource);
    const source = uniqueTag('files');
    await sut.save(source, [{ path: '/a.jsonl', dev: 1, ino: 2, offset: 3 }]);
    await sut.save(source, [
      { path: '/a.jsonl', dev: 1, ino: 2, offset: 30 },
      { path: '/b.jsonl', dev: 1, ino: 5, offset: 2 ** 40 },
    ]);
    expect(await sut.load(source)).toEqual(
      expect.arrayContaining([
        { path: '/a.jsonl', dev: 1, ino: 2, offset: 30 },
        { path: '/b.jsonl', dev: 1, ino: 5, offset: 2 ** 40 },
      ]),
    );
    await sut.remove(source, ['/a.jsonl']);
    expect((await sut.load(source)).map((p) => p.path)).toEqual(['/b.jsonl']);
    expect(await sut.load(`${source}-other`)).toEqual([]);
  });
});

describe('Redis stores', () => {
  let redis: Redis;

  beforeAll(() => {
    redis = new Redis(infraEnv().REDIS_URL, { keyPrefix: `${uniqueTag('stores')}:` });
  });

  afterAll(async () => {
    await redis?.quit();
  });

  it('token bucket: allows up to the burst, then refuses with a retry delay', async () => {
    const sut = new TokenBucketStore(redis);
    const limits = { capacity: 10, ratePerSecond: 1 };
    expect(await sut.take(tenant, 6, limits)).toMatchObject({ allowed: true });
    expect(await sut.take(tenant, 4, limits)).toMatchObject({ allowed: true });
    const refused = await sut.take(tenant, 3, limits);
    expect(refused.allowed).toBe(false);
    expect(refused.allowed ? 0 : refused.retryAfterMs).toBeGreaterThan(1500);
    expect(await sut.take(`${tenant}-other`, 10, limits)).toMatchObject({ allowed: true });
  });

  it('dedup: reports what was marked, per scope, and expires', async () => {
    const sut = new DedupStore(redis);
    expect(await sut.seenKeys(DedupStore.keys(tenant, ['a', 'b']))).toEqual([false, false]);
    await sut.markKeys(DedupStore.keys(tenant, ['a']), 60_000);
    expect(await sut.seenKeys(DedupStore.keys(tenant, ['a', 'b']))).toEqual([true, false]);
    expect(await sut.seenKeys(DedupStore.keys(`${tenant}-other`, ['a']))).toEqual([false]);
    expect(await redis.pttl(DedupStore.key(tenant, 'a'))).toBeGreaterThan(0);
  });

  it('dedup: marks and reports batches larger than one command, in order', async () => {
    const sut = new DedupStore(redis);
    const scope = `${tenant}-batch`;
    const ids = Array.from({ length: 4500 }, (_, i) => `b${i}`);
    // Every third id marked, across the chunk boundaries (2,000 keys a command).
    await sut.markKeys(
      DedupStore.keys(
        scope,
        ids.filter((_, i) => i % 3 === 0),
      ),
      60_000,
    );
    const seen = await sut.seenKeys(DedupStore.keys(scope, ids));
    expect(seen).toHaveLength(4500);
    expect(seen.every((s, i) => s === (i % 3 === 0))).toBe(true);
    expect(await redis.pttl(DedupStore.key(scope, 'b4497'))).toBeGreaterThan(50_000);
    expect(await redis.get(DedupStore.key(scope, 'b4497'))).toBe('1');
  });

  it('dedup claims: first owner wins, its replay stays owner, within and across batches', async () => {
    const sut = new DedupStore(redis);
    const scope = `${tenant}-claims`;
    expect(
      await sut.claim(
        scope,
        [
          { id: 'x', owner: 'p0:1' },
          { id: 'y', owner: 'p0:2' },
          // A duplicate inside the same batch: the first record owns the id.
          { id: 'x', owner: 'p0:3' },
        ],
        60_000,
      ),
    ).toEqual([true, true, false]);
    expect(
      await sut.claim(
        scope,
        [
          { id: 'y', owner: 'p0:2' },
          { id: 'x', owner: 'p1:9' },
          { id: 'z', owner: 'p1:10' },
        ],
        60_000,
      ),
    ).toEqual([true, false, true]);
    expect(await redis.pttl(DedupStore.key(scope, 'z'))).toBeGreaterThan(0);
    // More ids than one script run takes: claimed in several runs, answers in order.
    const many = Array.from({ length: 4500 }, (_, i) => ({ id: `m${i}`, owner: `o${i}` }));
    const first = await sut.claim(scope, many, 60_000);
    expect(first).toHaveLength(4500);
    expect(first.every(Boolean)).toBe(true);
    const again = await sut.claim(
      scope,
      many.map((m, i) => (i % 2 === 0 ? m : { ...m, owner: 'someone-else' })),
      60_000,
    );
    expect(again.map((v, i) => v === (i % 2 === 0))).toEqual(again.map(() => true));
  });
});
