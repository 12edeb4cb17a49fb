import { type NestFastifyApplication } from '@nestjs/platform-fastify';
import { allTopics, type BehavioralEvent, type DeadLetter, topicRegistry } from '@ward/contracts';
import { createKafka, ensureTopics } from '@ward/messaging';
import { eventually, infraEnv, TopicRecorder, uniqueTag, scratchPrefix } from '@ward/testing';
import { appendFileSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createIngestApp } from '../app';
import { loadIngestConfig } from '../config/ingest.config';
import { FileIntakeService } from './file-intake.service';

const tag = uniqueTag('files');
const prefix = scratchPrefix(tag);
const topics = topicRegistry(prefix);
const tenant = tag.replace(/[^A-Za-z0-9-]/g, '');
const now = Date.now();
const rec = (id: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ eventId: id, agentId: 'file-bot', action: 'read', timestamp: now, ...extra });

describe('file intake against the real broker and PostgreSQL', () => {
  const env = infraEnv();
  const dir = mkdtempSync(join(tmpdir(), 'ward-files-'));
  const log = join(dir, 'agent.jsonl');
  let recorder: TopicRecorder;
  const apps: NestFastifyApplication[] = [];

  async function start(): Promise<NestFastifyApplication> {
    const app = await createIngestApp(
      loadIngestConfig({
        ...env,
        KAFKA_TOPIC_PREFIX: prefix,
        REDIS_KEY_PREFIX: `${tag}:`,
        INGEST_RAW_TOPIC_ENABLED: 'false',
        INGEST_FILE_PATTERNS: dir,
        INGEST_FILE_SOURCE: tag,
        INGEST_FILE_TENANT: tenant,
        INGEST_FILE_POLL_MS: '100',
        LOG_LEVEL: 'error',
      }),
    );
    await app.init();
    return app;
  }

  const events = () =>
    recorder.on(topics.behavioralEvents.name).map((m) => m.value as BehavioralEvent);
  const ids = () => events().map((e) => e.eventId);

  beforeAll(async () => {
    const kafka = createKafka({
      brokers: env.KAFKA_BROKERS.split(','),
      clientId: 'test',
      topicPrefix: prefix,
      ensureTopics: true,
    });
    await ensureTopics(kafka, allTopics(topics));
    recorder = await new TopicRecorder(
      kafka,
      [topics.behavioralEvents.name, topics.dlq.name],
      `${prefix}recorder`,
    ).start();
  });

  afterAll(async () => {
    await Promise.all(apps.map((a) => a.close().catch(() => undefined)));
    await recorder?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('publishes lines as they are written, dead-letters bad ones, and survives restart and rotation without loss or repeats', async () => {
    writeFileSync(
      log,
      `${rec('f-1')}\n{broken json\n${rec('f-3', { tenantId: 'intruder' })}\n{"agentId":"file-bot","action":"no-id","timestamp":${now}}\n${rec('f-5')}`,
    );
    let app = await start();
    apps.push(app);
    await eventually(
      () => (ids().includes('f-1') && recorder.on(topics.dlq.name).length >= 2 ? true : undefined),
      {
        description: 'the first lines and their dead letters',
      },
    );
    expect(ids()).not.toContain('f-5');
    const derived = events().find((e) => e.action === 'no-id')!;
    expect(derived.eventId).toMatch(/^file:\d+:\d+:\d+:[a-f0-9]{16}$/);
    expect(derived).toMatchObject({ tenantId: tenant, source: { channel: 'file', origin: log } });

    const letters = recorder.on(topics.dlq.name).map((m) => m.value as DeadLetter);
    expect(letters.map((l) => l.reason.code).sort()).toEqual(['invalid_json', 'schema_violation']);
    expect(letters.find((l) => l.reason.code === 'invalid_json')).toMatchObject({
      sourceTopic: `file:${log}`,
      value: { encoding: 'utf8', data: '{broken json' },
      reason: { message: expect.stringContaining('line 2') as string },
    });

    await app.close();
    appendFileSync(log, `\n${rec('f-6')}\n`);
    app = await start();
    apps.push(app);
    await eventually(() => (ids().includes('f-5') && ids().includes('f-6') ? true : undefined), {
      description: 'the lines completed while the service was stopped',
    });

    appendFileSync(log, `${rec('f-7')}\n`);
    renameSync(log, `${log}.1`);
    writeFileSync(log, `${rec('f-8')}\n`);
    await eventually(() => (ids().includes('f-7') && ids().includes('f-8') ? true : undefined), {
      description: 'the lines on both sides of a rotation',
    });
    await app.get(FileIntakeService).pollNow();
    await app.close();

    const counts = new Map<string, number>();
    for (const id of ids()) {
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    expect(['f-1', 'f-5', 'f-6', 'f-7', 'f-8'].every((id) => counts.has(id))).toBe(true);
  });
});
