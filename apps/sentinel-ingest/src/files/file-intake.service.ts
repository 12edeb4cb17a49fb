import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { type DeadLetterReason } from '@ward/contracts';
import { buildDeadLetter, MessageProducer, TopicAdmin } from '@ward/messaging';
import { FilePositionRepository } from '@ward/persistence';
import { INGEST_CONFIG, type IngestConfig } from '../config/ingest.config';
import { IngestMetrics } from '../intake/ingest.metrics';
import { IntakeService } from '../intake/intake.service';
import { DLQ_REASON, type IntakeRecord } from '../intake/intake.types';
import { FileTailer, type LineSink, lineId, type TailedLine } from './index';

/**
 * File intake: tails INGEST_FILE_PATTERNS and feeds every line through the
 * shared intake path. Read positions live in PostgreSQL and move only after
 * the lines are published (or dead-lettered), so a restart neither skips nor
 * republishes (a line without an eventId gets one from its file and offset).
 */
@Injectable()
export class FileIntakeService implements LineSink, OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(FileIntakeService.name);
  private tailer: FileTailer | undefined;
  private lagTimer: NodeJS.Timeout | undefined;

  constructor(
    @Inject(INGEST_CONFIG) private readonly config: IngestConfig,
    private readonly positions: FilePositionRepository,
    private readonly intake: IntakeService,
    private readonly producer: MessageProducer,
    private readonly topics: TopicAdmin,
    private readonly metrics: IngestMetrics,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const { patterns, source, startAt, pollMs } = this.config.files;
    if (patterns.length === 0) {
      return;
    }
    const maxLineBytes = this.config.limits.maxRecordBytes * 4;
    this.tailer = new FileTailer(
      {
        patterns,
        startAt,
        pollIntervalMs: pollMs,
        maxLineBytes,
        maxBytesPerRead: Math.max(1024 * 1024, maxLineBytes),
      },
      {
        load: () => this.positions.load(source),
        save: (list) => this.positions.save(source, list),
        remove: (paths) => this.positions.remove(source, paths),
      },
      this,
      this.logger,
    );
    await this.tailer.start();
    this.lagTimer = setInterval(() => {
      for (const s of this.tailer?.stats() ?? []) {
        this.metrics.fileLag.set({ file: s.path }, s.lagBytes);
      }
    }, pollMs);
    this.lagTimer.unref();
    this.logger.log(`tailing ${patterns.join(', ')} as "${source}"`);
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.lagTimer);
    await this.tailer?.stop();
  }

  /** One poll now (tests and operators); the tailer keeps polling on its own. */
  async pollNow(): Promise<void> {
    await this.tailer?.pollOnce();
  }

  async deliver(lines: readonly TailedLine[]): Promise<void> {
    const records: IntakeRecord[] = [];
    const owner: TailedLine[] = [];
    const dead: { line: TailedLine; code: DeadLetterReason; reason: string }[] = [];
    for (const line of lines) {
      if (line.oversized) {
        dead.push({
          line,
          code: 'oversized',
          reason: `line of ${line.endOffset - line.offset} bytes exceeds the file intake limit`,
        });
        this.metrics.records.inc({ channel: 'file', outcome: 'rejected', reason: 'oversized' });
        continue;
      }
      let value: unknown;
      try {
        value = JSON.parse(line.text);
      } catch (error) {
        dead.push({ line, code: 'invalid_json', reason: `not JSON: ${(error as Error).message}` });
        this.metrics.records.inc({ channel: 'file', outcome: 'rejected', reason: 'invalid_json' });
        continue;
      }
      const items: unknown[] = Array.isArray(value) ? value : [value];
      for (const [i, item] of items.entries()) {
        const record =
          item !== null && typeof item === 'object' && !Array.isArray(item) && !('eventId' in item)
            ? { ...item, eventId: items.length === 1 ? lineId(line) : `${lineId(line)}:${i}` }
            : item;
        records.push({
          index: records.length,
          ...(line.lineNumber !== undefined && { line: line.lineNumber }),
          value: record,
          bytes: Buffer.byteLength(items.length === 1 ? line.text : JSON.stringify(item), 'utf8'),
        });
        owner.push(line);
      }
    }
    const result = await this.intake.accept(records, {
      channel: 'file',
      origin: lines[0]?.path ?? '',
      receivedAt: new Date(),
      tenant: { kind: 'bound', tenantId: this.config.files.tenant },
    });
    for (const error of result.errors) {
      const line = owner[error.index];
      if (line) {
        dead.push({
          line,
          code: DLQ_REASON[error.code],
          reason: error.issues.map((i) => `${i.path}: ${i.message}`).join('; '),
        });
      }
    }
    await this.deadLetter(dead);
  }

  private async deadLetter(
    dead: readonly { line: TailedLine; code: DeadLetterReason; reason: string }[],
  ): Promise<void> {
    if (dead.length === 0) {
      return;
    }
    const now = new Date();
    const group = `file-intake:${this.config.files.source}`;
    await this.producer.send(
      this.topics.topics.dlq.name,
      dead.map(({ line, code, reason }) => ({
        key: `file:${line.path}`,
        value: buildDeadLetter({
          message: {
            key: null,
            value: line.oversized ? null : Buffer.from(line.text, 'utf8'),
            offset: String(line.offset),
            timestamp: String(now.getTime()),
          },
          sourceTopic: `file:${line.path}`,
          partition: 0,
          consumerGroup: group,
          code,
          reason: line.lineNumber === undefined ? reason : `line ${line.lineNumber}: ${reason}`,
          now,
        }),
        headers: { 'ward-dlq-reason': code, 'ward-source-topic': `file:${line.path}` },
      })),
    );
  }
}
