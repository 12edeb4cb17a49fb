import { Inject, Injectable } from '@nestjs/common';
import { Type } from '@sinclair/typebox';
import { Contract, type DeadLetterReason } from '@ward/contracts';
import {
  type BatchOutcome,
  type InboundMessage,
  type RejectedMessage,
  type TopicHandler,
} from '@ward/messaging';
import { INGEST_CONFIG, type IngestConfig } from '../config/ingest.config';
import { IngestMetrics } from '../intake/ingest.metrics';
import { IntakeService } from '../intake/intake.service';
import { DLQ_REASON, type IntakeRecord } from '../intake/intake.types';
import { adaptRaw } from './adapt';

/** The raw topic takes any JSON; which shapes are accepted is the adapters' call. */
export const RawTelemetryContract = new Contract('RawTelemetry', 1, Type.Unknown());

/**
 * `ward.telemetry.raw.v1` → adapters (native, OTLP/JSON, MCP) → the shared
 * intake path. A message that cannot be read, or any of whose records is
 * refused, goes to the DLQ whole (its original bytes) with every reason; its
 * valid records are still published.
 */
@Injectable()
export class RawTelemetryConsumer implements TopicHandler<typeof RawTelemetryContract.schema> {
  readonly topic = 'telemetryRaw' as const;
  readonly contract = RawTelemetryContract;

  constructor(
    private readonly intake: IntakeService,
    private readonly metrics: IngestMetrics,
    @Inject(INGEST_CONFIG) private readonly config: IngestConfig,
  ) {}

  async handleBatch(messages: readonly InboundMessage<unknown>[]): Promise<BatchOutcome> {
    const rejected = new Map<string, { code: DeadLetterReason; reasons: string[] }>();
    const reject = (offset: string, code: DeadLetterReason, reason: string) => {
      const entry = rejected.get(offset) ?? { code, reasons: [] };
      entry.reasons.push(reason);
      rejected.set(offset, entry);
    };
    const records: IntakeRecord[] = [];
    const owner: string[] = [];
    for (const message of messages) {
      const adapted = adaptRaw(message.value);
      if (!adapted.ok) {
        reject(message.offset, adapted.code, `${adapted.shape}: ${adapted.reason}`);
        this.metrics.records.inc({ channel: 'kafka', outcome: 'rejected', reason: adapted.code });
        continue;
      }
      if (adapted.skipped > 0 && adapted.records.length === 0) {
        this.metrics.records.inc(
          { channel: 'kafka', outcome: 'skipped', reason: adapted.shape },
          adapted.skipped,
        );
      }
      for (const record of adapted.records) {
        records.push({
          index: records.length,
          value: record,
          bytes: Buffer.byteLength(JSON.stringify(record), 'utf8'),
        });
        owner.push(message.offset);
      }
    }
    const result = await this.intake.accept(records, {
      channel: 'kafka',
      receivedAt: new Date(),
      tenant: { kind: 'default', tenantId: this.config.defaultTenant },
    });
    for (const error of result.errors) {
      const offset = owner[error.index];
      if (offset !== undefined) {
        const issues = error.issues.map((i) => `${i.path}: ${i.message}`).join('; ');
        reject(offset, DLQ_REASON[error.code], `record ${error.index}: ${issues}`);
      }
    }
    const out: RejectedMessage[] = [...rejected].map(([offset, r]) => ({
      offset,
      code: r.code,
      reason: r.reasons.join(' | '),
    }));
    return { rejected: out };
  }
}
