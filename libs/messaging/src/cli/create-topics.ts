import { allTopics, topicRegistry } from '@ward/contracts';
import { createKafka } from '../lib/kafka-client';
import { ensureTopics } from '../lib/topic-admin.service';

async function main(): Promise<void> {
  const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',').map((b) => b.trim());
  const prefix = process.env.KAFKA_TOPIC_PREFIX ?? '';
  const kafka = createKafka({
    brokers,
    clientId: 'ward-topics',
    topicPrefix: prefix,
    ensureTopics: true,
  });
  const created = await ensureTopics(kafka, allTopics(topicRegistry(prefix)));
  console.log(created.length ? `created: ${created.join(', ')}` : 'all Ward topics exist');
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
