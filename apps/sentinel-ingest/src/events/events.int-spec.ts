import { type NestFastifyApplication } from '@nestjs/platform-fastify';
import { type BehavioralEvent, topicRegistry } from '@ward/contracts';
import { createKafka } from '@ward/messaging';
import { infraEnv, TopicRecorder, toNdjson, uniqueTag } from '@ward/testing';
import { gzipSync } from 'node:zlib';
import { createIngestApp } from '../app';
import { loadIngestConfig } from '../config/ingest.config';
import { type IngestResultDto } from './events.dto';

const prefix = `${uniqueTag('ingest')}.`;
const topics = topicRegistry(prefix);
const tenant = 'acme';
const now = Date.now();

describe('POST /v1/events against a real broker', () => {
  const env = infraEnv();
  let app: NestFastifyApplication;
  let url: string;
  let recorder: TopicRecorder;

  beforeAll(async () => {
    const config = loadIngestConfig({
      ...env,
      KAFKA_TOPIC_PREFIX: prefix,
      PORT: '3001',
      INGEST_MAX_BODY_BYTES: String(256 * 1024),
      INGEST_MAX_RECORDS: '100',
      INGEST_MAX_RECORD_BYTES: '8192',
      INGEST_DEFAULT_TENANT: tenant,
      LOG_LEVEL: 'error',
    });
    app = await createIngestApp(config);
    await app.listen(0, '127.0.0.1');
    url = `${await app.getUrl()}/v1/events`;
    const kafka = createKafka({
      brokers: env.KAFKA_BROKERS.split(','),
      clientId: 'test',
      topicPrefix: prefix,
      ensureTopics: false,
    });
    recorder = await new TopicRecorder(
      kafka,
      [topics.behavioralEvents.name],
      `${prefix}recorder`,
    ).start();
  });

  afterAll(async () => {
    await recorder?.stop();
    await app?.close();
  });

  async function post(
    body: string | Buffer,
    contentType = 'application/json',
    headers: Record<string, string> = {},
  ) {
    const res = await fetch(url, {
      method: 'POST',
      body,
      headers: { 'content-type': contentType, ...headers },
    });
    const text = await res.text();
    return {
      status: res.status,
      headers: res.headers,
      body: (text ? JSON.parse(text) : undefined) as IngestResultDto & { message?: string },
    };
  }

  it('publishes one event keyed by tenant/agent', async () => {
    const res = await post(
      JSON.stringify({
        eventId: 'single-1',
        agentId: 'bot-1',
        action: 'search',
        timestamp: now / 1000,
      }),
    );
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({
      accepted: 1,
      rejected: 0,
      duplicates: 0,
      eventIds: ['single-1'],
      errors: [],
    });
    const message = await recorder.waitFor(
      topics.behavioralEvents.name,
      (m) => (m.value as BehavioralEvent).eventId === 'single-1',
    );
    expect(message.key).toBe('acme/bot-1');
    expect(message.value).toMatchObject({
      tenantId: 'acme',
      agentId: 'bot-1',
      source: { channel: 'http', origin: '127.0.0.1' },
    });
  });

  it('accepts the good records of a mixed array and explains each bad one', async () => {
    const res = await post(
      JSON.stringify([
        { eventId: 'mix-1', agentId: 'bot-2', action: 'a', timestamp: now },
        { agentId: 'bot-2', timestamp: now },
        { eventId: 'mix-3', agentId: 'bot-2', action: 'a', timestamp: 'not a time' },
        {
          eventId: 'mix-4',
          agentId: 'bot-2',
          action: 'a',
          timestamp: new Date(now).toISOString(),
          outcome: 'denied',
        },
        { eventId: 'mix-1', agentId: 'bot-2', action: 'a', timestamp: now },
      ]),
    );
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({
      accepted: 2,
      rejected: 2,
      duplicates: 1,
      eventIds: ['mix-1', 'mix-4'],
    });
    expect(res.body.errors.map((e) => [e.index, e.issues[0]!.path])).toEqual([
      [1, '/action'],
      [2, '/timestamp'],
    ]);
    await recorder.waitFor(
      topics.behavioralEvents.name,
      (m) => (m.value as BehavioralEvent).eventId === 'mix-4',
    );
    expect(
      recorder
        .on(topics.behavioralEvents.name)
        .filter((m) => (m.value as BehavioralEvent).eventId === 'mix-1'),
    ).toHaveLength(1);
  });

  it('takes NDJSON and reports a malformed line by number', async () => {
    const body = `${toNdjson([{ eventId: 'nd-1', agentId: 'bot-3', action: 'x', timestamp: now }])}{broken\n${toNdjson(
      [{ eventId: 'nd-3', agentId: 'bot-3', action: 'x', timestamp: now }],
    )}`;
    const res = await post(body, 'application/x-ndjson');
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ accepted: 2, rejected: 1, eventIds: ['nd-1', 'nd-3'] });
    expect(res.body.errors[0]).toMatchObject({ index: 1, line: 2 });
  });

  it('answers 422 when every record is refused', async () => {
    const res = await post(JSON.stringify([{ nope: true }]));
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ accepted: 0, rejected: 1 });
  });

  it('refuses oversized bodies and too many records with 413 and keeps serving', async () => {
    const big = await post(
      JSON.stringify({
        agentId: 'x',
        action: 'y',
        timestamp: now,
        parameters: { pad: 'z'.repeat(300 * 1024) },
      }),
    );
    expect(big.status).toBe(413);
    const many = await post(
      JSON.stringify(
        Array.from({ length: 101 }, () => ({ agentId: 'x', action: 'y', timestamp: now })),
      ),
    );
    expect(many.status).toBe(413);
    expect(many.body.message).toMatch(/more than 100 records/);
    const after = await post(
      JSON.stringify({ eventId: 'after-413', agentId: 'bot-4', action: 'y', timestamp: now }),
    );
    expect(after.status).toBe(202);
  });

  it('refuses a record over the per-record limit alone', async () => {
    const res = await post(
      JSON.stringify([
        { eventId: 'small', agentId: 'bot-5', action: 'y', timestamp: now },
        {
          eventId: 'large',
          agentId: 'bot-5',
          action: 'y',
          timestamp: now,
          labels: { pad: 'p'.repeat(200) },
          parameters: { pad: 'q'.repeat(9000) },
        },
      ]),
    );
    expect(res.body).toMatchObject({ accepted: 1, rejected: 1, eventIds: ['small'] });
    expect(res.body.errors[0]!.issues[0]!.message).toMatch(/exceeds 8192/);
  });

  it.each([
    ['broken JSON', '{"agentId":', 'application/json'],
    ['a bare number', '42', 'application/json'],
    ['an unsupported media type', 'a=b', 'application/x-www-form-urlencoded'],
  ])('answers 4xx to %s', async (_label, body, type) => {
    const res = await post(body, type);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
  });

  it('refuses prototype-pollution payloads without polluting anything', async () => {
    const res = await post(
      '{"agentId":"a","action":"x","timestamp":1767225600,"__proto__":{"polluted":true}}',
    );
    expect(res.status).toBe(400);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('serves health, readiness, metrics and the OpenAPI document', async () => {
    const base = url.replace(/\/v1\/events$/, '');
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(
      /ward_ingest_records_total\{channel="http",outcome="accepted",service="sentinel-ingest"\} \d+/,
    );
    expect(metrics).not.toMatch(/agent_?id=/i);
    const doc = (await (await fetch(`${base}/docs/json`)).json()) as {
      paths: Record<string, unknown>;
    };
    expect(Object.keys(doc.paths)).toContain('/v1/events');
  });

  it('refuses binary garbage declared as JSON with 4xx', async () => {
    const res = await post(gzipSync('{"agentId":"a"}'), 'application/json', {
      'content-encoding': 'gzip',
    });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
  });
});
