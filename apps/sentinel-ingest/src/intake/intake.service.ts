import { Inject, Injectable } from '@nestjs/common';
import { agentKey, type BehavioralEvent, type ThreatAlert } from '@ward/contracts';
import { MessageProducer, TopicAdmin } from '@ward/messaging';
import { DedupStore, ThreatAlertRepository } from '@ward/persistence';
import { INGEST_CONFIG, type IngestConfig } from '../config/ingest.config';
import { normalizeRawEvent } from '../events/normalize';
import { PolicyEnforcer } from '../policies/policy-enforcer.service';
import { IngestMetrics } from './ingest.metrics';
import { inspectEvent } from './inline-inspector';
import {
  type IntakeRecord,
  type IntakeResult,
  type IntakeSource,
  type RecordError,
} from './intake.types';

/**
 * The one path every channel (HTTP, raw Kafka topic, files) takes: normalize,
 * refuse what is invalid with a reason, drop what was already published within
 * the dedup window, label what active policies say of the rest, publish it
 * keyed by tenant/agent, then remember it.
 * Remembering after publishing means a failed publish is retried by the
 * client, never silently lost.
 */
@Injectable()
export class IntakeService {
  constructor(
    @Inject(INGEST_CONFIG) private readonly config: IngestConfig,
    private readonly producer: MessageProducer,
    private readonly topics: TopicAdmin,
    private readonly dedup: DedupStore,
    private readonly alertStore: ThreatAlertRepository,
    private readonly metrics: IngestMetrics,
    private readonly enforcer: PolicyEnforcer,
  ) {}

  async accept(records: readonly IntakeRecord[], source: IntakeSource): Promise<IntakeResult> {
    const { maxRecordBytes, maxFutureSkewMs } = this.config.limits;
    const errors: RecordError[] = [];
    const candidates: BehavioralEvent[] = [];
    const inRequest = new Set<string>();
    let duplicates = 0;
    let bytes = 0;

    for (const record of records) {
      bytes += record.bytes;
      const base = { index: record.index, ...(record.line !== undefined && { line: record.line }) };
      if (record.error !== undefined) {
        errors.push({
          ...base,
          code: 'invalid_json',
          issues: [{ path: '/', message: record.error }],
        });
        continue;
      }
      if (record.bytes > maxRecordBytes) {
        errors.push({
          ...base,
          code: 'oversized',
          issues: [
            { path: '/', message: `record of ${record.bytes} bytes exceeds ${maxRecordBytes}` },
          ],
        });
        continue;
      }
      const named = namedTenant(record.value);
      if (
        source.tenant.kind === 'bound' &&
        named !== undefined &&
        named !== source.tenant.tenantId
      ) {
        errors.push({
          ...base,
          code: 'tenant_mismatch',
          issues: [
            { path: '/tenantId', message: 'tenantId differs from the tenant of the API key' },
          ],
        });
        continue;
      }
      const result = normalizeRawEvent(record.value, {
        receivedAt: source.receivedAt,
        channel: source.channel,
        ...(source.origin !== undefined && { origin: source.origin }),
        defaultTenant: source.tenant.tenantId,
        maxFutureSkewMs,
      });
      if (!result.ok) {
        errors.push({ ...base, code: 'schema_violation', issues: [...result.issues] });
        continue;
      }
      const key = `${result.event.tenantId}\u001f${result.event.eventId}`;
      if (inRequest.has(key)) {
        duplicates += 1;
        continue;
      }
      inRequest.add(key);
      candidates.push(result.event);
    }

    const { unseen, keys } = await this.dropPublished(candidates);
    duplicates += candidates.length - unseen.length;

    const alerts: ThreatAlert[] = [];
    const fresh = unseen.map((event) => {
      const inspection = inspectEvent(event, {
        redact: this.config.redact,
        injectionMinScore: this.config.injectionMinScore,
      });
      alerts.push(...inspection.alerts);
      return this.enforcer.label(inspection.event);
    });

    await this.producer.send(
      this.topics.topics.behavioralEvents.name,
      fresh.map((event) => ({ key: agentKey(event.tenantId, event.agentId), value: event })),
    );
    if (alerts.length > 0) {
      await this.alertStore.saveNew(alerts);
      await this.producer.send(
        this.topics.topics.threatAlerts.name,
        alerts.map((alert) => ({ key: agentKey(alert.tenantId, alert.agentId), value: alert })),
      );
      for (const alert of alerts) {
        this.metrics.inlineAlerts.inc({ detector: alert.detector });
      }
    }
    await this.remember(keys);

    this.metrics.recordIntake(source.channel, {
      accepted: fresh.length,
      duplicates,
      bytes,
      rejected: errors.map((e) => e.code),
    });
    return {
      accepted: fresh.length,
      rejected: errors.length,
      duplicates,
      eventIds: fresh.map((e) => e.eventId),
      errors,
      alerts: alerts.length,
    };
  }

  /**
   * The events not published within the dedup window, in order, and their
   * dedup keys (hashed once here, marked with the same keys after publishing).
   */
  private async dropPublished(
    events: readonly BehavioralEvent[],
  ): Promise<{ unseen: BehavioralEvent[]; keys: string[] }> {
    if (this.config.dedupWindowMs === 0 || events.length === 0) {
      return { unseen: [...events], keys: [] };
    }
    const keys = events.map((e) => DedupStore.key(e.tenantId, e.eventId));
    const seen = await this.dedup.seenKeys(keys);
    const unseen: BehavioralEvent[] = [];
    const unseenKeys: string[] = [];
    events.forEach((event, i) => {
      if (!seen[i]) {
        unseen.push(event);
        unseenKeys.push(keys[i]!);
      }
    });
    return { unseen, keys: unseenKeys };
  }

  private async remember(keys: readonly string[]): Promise<void> {
    if (this.config.dedupWindowMs === 0) {
      return;
    }
    await this.dedup.markKeys(keys, this.config.dedupWindowMs);
  }
}

function namedTenant(value: unknown): string | undefined {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const tenant = (value as Record<string, unknown>).tenantId;
    return typeof tenant === 'string' ? tenant : undefined;
  }
  return undefined;
}
