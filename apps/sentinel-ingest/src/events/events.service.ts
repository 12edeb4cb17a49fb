import { Inject, Injectable } from '@nestjs/common';
import { agentKey, type BehavioralEvent, type IntakeChannel } from '@ward/contracts';
import { MessageProducer, TopicAdmin } from '@ward/messaging';
import { MetricsService } from '@ward/observability';
import { type Counter } from 'prom-client';
import { INGEST_CONFIG, type IngestConfig } from '../config/ingest.config';
import { type BodyRecord } from './body-records';
import { type IngestResultDto, type RecordErrorDto } from './events.dto';
import { normalizeRawEvent } from './normalize';

export interface IngestSource {
  readonly channel: IntakeChannel;
  readonly origin?: string;
  readonly receivedAt: Date;
}

/** Normalizes records into BehavioralEvents and publishes the valid ones, keyed by tenant/agent. */
@Injectable()
export class EventsService {
  private readonly records: Counter<'channel' | 'outcome'>;

  constructor(
    @Inject(INGEST_CONFIG) private readonly config: IngestConfig,
    private readonly producer: MessageProducer,
    private readonly topics: TopicAdmin,
    metrics: MetricsService,
  ) {
    this.records = metrics.counter({
      name: 'ward_ingest_records_total',
      help: 'Records received by sentinel-ingest, by channel and outcome (accepted, rejected, duplicate).',
      labelNames: ['channel', 'outcome'],
    });
  }

  async ingest(records: readonly BodyRecord[], source: IngestSource): Promise<IngestResultDto> {
    const { maxRecordBytes, maxFutureSkewMs } = this.config.limits;
    const errors: RecordErrorDto[] = [];
    const events: BehavioralEvent[] = [];
    const seen = new Set<string>();
    let duplicates = 0;

    for (const record of records) {
      const base = { index: record.index, ...(record.line !== undefined && { line: record.line }) };
      if (record.error !== undefined) {
        errors.push({ ...base, issues: [{ path: '/', message: record.error }] });
        continue;
      }
      if (record.bytes > maxRecordBytes) {
        errors.push({
          ...base,
          issues: [
            { path: '/', message: `record of ${record.bytes} bytes exceeds ${maxRecordBytes}` },
          ],
        });
        continue;
      }
      const result = normalizeRawEvent(record.value, {
        receivedAt: source.receivedAt,
        channel: source.channel,
        ...(source.origin !== undefined && { origin: source.origin }),
        defaultTenant: this.config.defaultTenant,
        maxFutureSkewMs,
      });
      if (!result.ok) {
        errors.push({ ...base, issues: [...result.issues] });
        continue;
      }
      const dedupKey = `${result.event.tenantId}\u001f${result.event.eventId}`;
      if (seen.has(dedupKey)) {
        duplicates += 1;
        continue;
      }
      seen.add(dedupKey);
      events.push(result.event);
    }

    await this.producer.send(
      this.topics.topics.behavioralEvents.name,
      events.map((event) => ({ key: agentKey(event.tenantId, event.agentId), value: event })),
    );
    this.records.inc({ channel: source.channel, outcome: 'accepted' }, events.length);
    this.records.inc({ channel: source.channel, outcome: 'rejected' }, errors.length);
    this.records.inc({ channel: source.channel, outcome: 'duplicate' }, duplicates);
    return {
      accepted: events.length,
      rejected: errors.length,
      duplicates,
      eventIds: events.map((e) => e.eventId),
      errors,
    };
  }
}
