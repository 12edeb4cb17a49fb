import { Kafka, logLevel } from 'kafkajs';
import { infraEnv } from '../lib/infra-env';
import { scratchNamesToPrune } from '../lib/scratch';

/**
 * Deletes scratch topics and consumer groups (see lib/scratch.ts): those of the
 * run given as the first argument, and those of runs older than three hours.
 * Only names under `scratch.` are ever touched. It reaches the broker the way
 * the integration tests do (KAFKA_BROKERS, as `npm test` exports it).
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
    console.log(`[ward] scratch: deleted ${topics.length} topics and ${groups.length} groups`);
  } finally {
    await admin.disconnect();
  }
}

main().catch((error: unknown) => {
  console.error(
    `[ward] scratch prune failed: ${error instanceof Error ? error.message : String(error)}`,
  );
  process.exit(1);
});
