import { Injectable } from '@nestjs/common';
import { type IntakeChannel } from '@ward/contracts';
import { DURATION_BUCKETS_SECONDS, MetricsService } from '@ward/observability';
import { type Counter, type Gauge, type Histogram } from 'prom-client';
import { type RejectCode } from './intake.types';

/** Every sentinel-ingest metric, named in one place. Never labelled by agent or tenant. */
@Injectable()
export class IngestMetrics {
  readonly records: Counter<'channel' | 'outcome' | 'reason'>;
  readonly bytes: Counter<'channel'>;
  readonly httpDuration: Histogram<'route' | 'method' | 'status'>;
  readonly rateLimited: Counter;
  readonly authFailures: Counter<'reason'>;
  readonly fileLag: Gauge<'file'>;
  readonly inlineAlerts: Counter<'detector'>;

  constructor(metrics: MetricsService) {
    this.records = metrics.counter({
      name: 'ward_ingest_records_total',
      help: 'Records received by sentinel-ingest by channel and outcome (accepted, rejected, duplicate); rejections by reason.',
      labelNames: ['channel', 'outcome', 'reason'],
    });
    this.bytes = metrics.counter({
      name: 'ward_ingest_bytes_total',
      help: 'Bytes of records received, by channel (decompressed).',
      labelNames: ['channel'],
    });
    this.httpDuration = metrics.histogram({
      name: 'ward_http_request_duration_seconds',
      help: 'HTTP request duration by route, method and status class.',
      labelNames: ['route', 'method', 'status'],
      buckets: [...DURATION_BUCKETS_SECONDS],
    });
    this.rateLimited = metrics.counter({
      name: 'ward_ingest_rate_limited_total',
      help: 'HTTP requests refused with 429 by the per-tenant rate limit.',
    });
    this.authFailures = metrics.counter({
      name: 'ward_ingest_auth_failures_total',
      help: 'HTTP requests refused for a missing, malformed, unknown or revoked API key.',
      labelNames: ['reason'],
    });
    this.fileLag = metrics.gauge({
      name: 'ward_ingest_file_lag_bytes',
      help: 'Bytes of a tailed file not yet read.',
      labelNames: ['file'],
    });
    this.inlineAlerts = metrics.counter({
      name: 'ward_ingest_inline_alerts_total',
      help: 'Alerts raised by the inline detectors (secrets, personal data, prompt injection).',
      labelNames: ['detector'],
    });
  }

  recordIntake(
    channel: IntakeChannel,
    counts: {
      accepted: number;
      duplicates: number;
      bytes: number;
      rejected: readonly RejectCode[];
    },
  ): void {
    this.records.inc({ channel, outcome: 'accepted', reason: 'none' }, counts.accepted);
    this.records.inc({ channel, outcome: 'duplicate', reason: 'none' }, counts.duplicates);
    for (const reason of counts.rejected) {
      this.records.inc({ channel, outcome: 'rejected', reason });
    }
    this.bytes.inc({ channel }, counts.bytes);
  }
}
