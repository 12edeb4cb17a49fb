import { allTopics, topicRegistry } from '@ward/contracts';
import { ConfigError, infrastructureEnv, kafkaSecurity, readEnv } from '@ward/config';
import { createKafka } from '../lib/kafka-client';
import { ensureTopics } from '../lib/topic-admin.service';

/** `npm run topics`: creates every missing Ward topic, with the same Kafka settings the services take. */
async function main(): Promise<void> {
  const e = readEnv(infrastructureEnv, process.env);
  const { security, problems } = kafkaSecurity(e);
  if (problems.length > 0) {
    throw new ConfigError(problems);
  }
  const kafka = createKafka({
    brokers: e.KAFKA_BROKERS,
    clientId: e.KAFKA_CLIENT_ID ?? 'ward-topics',
    topicPrefix: e.KAFKA_TOPIC_PREFIX,
    ensureTopics: true,
    ...security,
  });
  const created = await ensureTopics(kafka, allTopics(topicRegistry(e.KAFKA_TOPIC_PREFIX)));
  console.log(created.length ? `created: ${created.join(', ')}` : 'all Ward topics exist');
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
