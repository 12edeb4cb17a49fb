import { type NestFastifyApplication } from '@nestjs/platform-fastify';
import { type BehavioralEvent, type DeadLetter, topicRegistry } from '@ward/contracts';
import { createKafka } from '@ward/messaging';
import { eventually, infraEnv, TopicRecorder, uniqueTag, scratchPrefix } from '@ward/testing';
import { type Producer } from 'kafkajs';
import { createIngestApp } from '../app';
import { loadIngestConfig } from '../config/ingest.config';
import { mcpCall, otlpExport } from './fixtures';

const tag = uniqueTag('raw');
const prefix = scratchPrefix(tag);
const topics = topicRegistry(prefix);
const tenant = tag.replace(/[^A-Za-z0-9-]/g, '');

describe('ward.telemetry.raw.v1 intake against the real broker', () => {
  const env = infraEnv();
  let app: NestFastifyApplication;
  let producer: Producer;
  let recorder: TopicRecorder;

  beforeAll(async () => {
    app = await createIngestApp(
      loadIngestConfig({
        ...env,
        KAFKA_TOPIC_PREFIX: prefix,
        REDIS_KEY_PREFIX: `${tag}:`,
        INGEST_CONSUMER_GROUP: `${prefix}ingest`,
        INGEST_DEFAULT_TENANT: tenant,
        LOG_LEVEL: 'error',
      }),
    );
    await app.listen(0, '127.0.0.1');
    const base = await app.getUrl();
    await eventually(
      async () => ((await fetch(`${base}/readyz`)).status === 200 ? true : undefined),
      {
        description: 'ingest (and its raw-topic consumer) to be ready',
      },
    );
    const kafka = createKafka({
      brokers: env.KAFKA_BROKERS.split(','),
      clientId: 'test',
      topicPrefix: prefix,
      ensureTopics: false,
    });
    producer = kafka.producer();
    await producer.connect();
    recorder = await new TopicRecorder(
      kafka,
      [topics.behavioralEvents.name, topics.dlq.name],
      `${prefix}recorder`,
    ).start();
  });

  afterAll(async () => {
    await recorder?.stop();
    await producer?.disconnect();
    await app?.close();
  });

  const events = () =>
    recorder.on(topics.behavioralEvents.name).map((m) => m.value as BehavioralEvent);
  const letters = () => recorder.on(topics.dlq.name).map((m) => m.value as DeadLetter);

  it('normalizes the native, OTLP/JSON and MCP shapes and dead-letters the rest with a reason', async () => {
    await producer.send({
      topic: topics.telemetryRaw.name,
      messages: [
        {
          key: 'native-bot',
          value: JSON.stringify({
            eventId: 'native-1',
            agentId: 'native-bot',
            action: 'search',
            timestamp: Date.now(),
          }),
        },
        { value: JSON.stringify(otlpExport('otel-bot')) },
        { key: 'support-bot', value: JSON.stringify(mcpCall()) },
        { value: JSON.stringify(mcpCall()) },
        { value: '{"not": "telemetry"}' },
        { value: 'definitely not json' },
        { value: JSON.stringify({ agentId: 'bad-time', action: 'x', timestamp: 'soon' }) },
        {
          value: JSON.stringify(
            mcpCall({ request: { jsonrpc: '2.0', id: 2, method: 'tools/list' } }),
          ),
        },
      ],
    });
    await eventually(() => (letters().length >= 3 && events().length >= 4 ? true : undefined), {
      description: 'four events and three dead letters',
    });
    const byAgent = new Map(events().map((e) => [e.agentId, e]));
    expect(byAgent.get('native-bot')).toMatchObject({
      tenantId: tenant,
      source: { channel: 'kafka' },
    });
    expect(
      events()
        .filter((e) => e.agentId === 'otel-bot')
        .map((e) => e.type)
        .sort(),
    ).toEqual(['llm_completion', 'tool_call']);
    expect(byAgent.get('support-bot')).toMatchObject({
      action: 'create_issue',
      resource: 'github-mcp',
    });
    expect(events().filter((e) => e.agentId === 'support-bot')).toHaveLength(1);

    expect(
      letters()
        .map((l) => l.reason.code)
        .sort(),
    ).toEqual(['invalid_json', 'schema_violation', 'unsupported_shape']);
    const badTime = letters().find((l) => l.reason.code === 'schema_violation')!;
    expect(badTime.reason.message).toContain('/timestamp');
    expect(badTime.value).toEqual({
      encoding: 'utf8',
      data: JSON.stringify({ agentId: 'bad-time', action: 'x', timestamp: 'soon' }),
    });
    expect(
      letters().every(
        (l) => l.sourceTopic === topics.telemetryRaw.name && l.consumerGroup === `${prefix}ingest`,
      ),
    ).toBe(true);
  });
});
