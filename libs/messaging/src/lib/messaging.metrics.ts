import { Injectable } from '@nestjs/common';
import { DURATION_BUCKETS_SECONDS, MetricsService } from '@ward/observability';
import { type Counter, type Gauge, type Histogram } from 'prom-client';

/** Every Kafka metric of a service, named in one place. Never labelled by agent. */
@Injectable()
export class MessagingMetrics {
  readonly consumed: Counter<'topic'>;
  readonly produced: Counter<'topic'>;
  readonly deadLettered: Counter<'topic' | 'reason'>;
  readonly batchDuration: Histogram<'topic'>;
  readonly lag: Gauge<'topic' | 'partition'>;
  readonly transientFailures: Counter<'topic'>;

  constructor(metrics: MetricsService) {
    this.consumed = metrics.counter({
      name: 'ward_kafka_messages_consumed_total',
      help: 'Messages read from Kafka, valid or not.',
      labelNames: ['topic'],
    });
    this.produced = metrics.counter({
      name: 'ward_kafka_messages_produced_total',
      help: 'Messages acknowledged by Kafka.',
      labelNames: ['topic'],
    });
    this.deadLettered = metrics.counter({
      name: 'ward_kafka_messages_dead_lettered_total',
      help: 'Poison messages sent to the dead-letter topic, by source topic and reason.',
      labelNames: ['topic', 'reason'],
    });
    this.batchDuration = metrics.histogram({
      name: 'ward_kafka_batch_duration_seconds',
      help: 'Time to decode, handle, dead-letter and commit one batch.',
      labelNames: ['topic'],
      buckets: [...DURATION_BUCKETS_SECONDS],
    });
    this.lag = metrics.gauge({
      name: 'ward_kafka_consumer_lag',
      help: 'Messages between the last processed offset and the high watermark.',
      labelNames: ['topic', 'partition'],
    });
    this.transientFailures = metrics.counter({
      name: 'ward_kafka_transient_failures_total',
      help: 'Batches that failed transiently and were retried.',
      labelNames: ['topic'],
    });
  }
}
