import Redis from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { infraEnv } from '../lib/infra-env';
import { scratchNamesToPrune } from '../lib/scratch';

/**
 * Deletes scratch topics and consumer groups (see lib/scratch.ts): those of the
 * run given as the first argument, and those of runs older than three hours;
 * and the run's Redis keys under `scratch.<run>.` (a benchmark's ingest leaves
 * millions of dedup keys otherwise, each held for the dedup window). Only
 * names under `scratch.` are ever touched. It reaches the broker and Redis the
 * way the integration tests do (KAFKA_BROKERS and REDIS_URL, as `npm test`
 * exports them).
 */
async function main(): Promise<void> {
  const run = process.argv[2];
  const kafka = new Kafka({
    clientId: 'ward-scratch-prune',
    brokers: infraEnv().KAFKA_BROKERS.split(','),
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const now = Date.now();
    const groups = scratchNamesToPrune(
      (await admin.listGroups()).groups.map((g) => g.groupId),
      { now, run },
    );
    if (groups.length > 0) {
      await admin.deleteGroups(groups).catch(() => undefined);
    }
    const topics = scratchNamesToPrune(await admin.listTopics(), { now, run });
    for (let i = 0; i < topics.length; i += 200) {
      await admin.deleteTopics({ topics: topics.slice(i, i + 200), timeout: 60_000 });
    }
    const keys = run === undefined ? 0 : await deleteRedisKeys(`scratch.${run}.*`);
    console.log(
      `[ward] scratch: deleted ${topics.length} topics, ${groups.length} groups and ${keys} Redis keys`,
    );
  } finally {
    await admin.disconnect();
  }
}

/** Deletes the keys matching `pattern` (SCAN, then UNLINK in batches); returns how many. */
async function deleteRedisKeys(pattern: string): Promise<number> {
  const redis = new Redis(infraEnv().REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 2 });
  await redis.connect();
  try {
    let deleted = 0;
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 10_000);
      cursor = next;
      if (keys.length > 0) {
        deleted += await redis.unlink(...keys);
      }
    } while (cursor !== '0');
    return deleted;
  } finally {
    redis.disconnect();
  }
}

main().catch((error: unknown) => {
  console.error(
    `[ward] scratch prune failed: ${error instanceof Error ? error.message : String(error)}`,
  );
  process.exit(1);
});
