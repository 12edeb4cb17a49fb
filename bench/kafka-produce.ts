import { createKafka, ensureTopics } from '@ward/messaging';
import { topicRegistry } from '@ward/contracts';

/**
 * The ceiling for ingest: a bare idempotent kafkajs producer publishing
 * BehavioralEvent-sized JSON records in batches to the same broker, in the same
 * run. Prints events per second as JSON.
 */
async function main(): Promise<void> {
  const [brokers, prefix, seconds, batch] = process.argv.slice(2) as [
    string,
    string,
    string,
    string,
  ];
  const kafka = createKafka({
    brokers: brokers.split(','),
    clientId: 'bench-baseline',
    topicPrefix: prefix,
    ensureTopics: true,
  });
  const topic = topicRegistry(prefix).behavioralEvents;
  await ensureTopics(kafka, [topic]);
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const size = Number(batch);
  const deadline = Date.now() + Number(seconds) * 1000;
  const started = Date.now();
  let sent = 0;
  let round = 0;
  while (Date.now() < deadline) {
    const messages: { key: string; value: string }[] = [];
    for (let i = 0; i < size; i++) {
      const event = {
        schemaVersion: 1,
        eventId: `base-${round}-${i}`,
        tenantId: 'bench',
        agentId: `agent-${i % 200}`,
        sessionId: `s-${round % 50}`,
        timestamp: new Date(started).toISOString(),
        receivedAt: new Date().toISOString(),
        source: { channel: 'http', origin: '127.0.0.1' },
        type: 'tool_call',
        action: 'search_docs',
        resource: `kb://docs/${i % 37}`,
        outcome: 'ok',
        latencyMs: i % 90,
        parameters: { query: `how do I rotate keys ${i}` },
        parameterEntropy: 3.9,
        labels: {},
      };
      messages.push({ key: `bench/${event.agentId}`, value: JSON.stringify(event) });
    }
    await producer.send({ topic: topic.name, acks: -1, messages });
    sent += size;
    round += 1;
  }
  const elapsed = (Date.now() - started) / 1000;
  await producer.disconnect();
  process.stdout.write(
    JSON.stringify({ eventsPerSecond: sent / elapsed, sent, durationSeconds: elapsed }),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
