import { Injectable } from '@nestjs/common';
import { type BehavioralEvent, BehavioralEventContract } from '@ward/contracts';
import { type BatchOutcome, type InboundMessage, type TopicHandler } from '@ward/messaging';
import { DURATION_BUCKETS_SECONDS, MetricsService } from '@ward/observability';
import { type Counter, type Gauge, type Histogram } from 'prom-client';
import { AlertsService } from '../alerts/alerts.service';
import { ProfilesService } from './profiles.service';

/** `ward.behavioral-events.v1` → profiles → alerts. Thin: decode is done, call the domain, return. */
@Injectable()
export class EventsConsumer implements TopicHandler<typeof BehavioralEventContract.schema> {
  readonly topic = 'behavioralEvents' as const;
  readonly contract = BehavioralEventContract;
  private readonly events: Counter;
  private readonly late: Counter;
  private readonly agents: Gauge;
  private readonly latency: Histogram;

  constructor(
    private readonly profiles: ProfilesService,
    private readonly alerts: AlertsService,
    metrics: MetricsService,
  ) {
    this.events = metrics.counter({
      name: 'ward_monitor_events_total',
      help: 'BehavioralEvents profiled.',
    });
    this.late = metrics.counter({
      name: 'ward_monitor_late_events_total',
      help: 'Events that arrived after their window closed (counted, not profiled).',
    });
    this.agents = metrics.gauge({
      name: 'ward_monitor_tracked_agents',
      help: 'Agents with a profile on this instance.',
    });
    this.latency = metrics.histogram({
      name: 'ward_monitor_event_to_alert_seconds',
      help: 'From the triggering event reaching Kafka to its alert being published.',
      buckets: [...DURATION_BUCKETS_SECONDS],
    });
  }

  async handleBatch(messages: readonly InboundMessage<BehavioralEvent>[]): Promise<BatchOutcome> {
    const { alerts, late } = this.profiles.observe(messages.map((m) => m.value));
    const emitted = await this.alerts.emit(alerts);
    this.events.inc(messages.length);
    this.late.inc(late);
    this.agents.set(this.profiles.trackedAgents);
    if (emitted.length > 0) {
      const byEvent = new Map(messages.map((m) => [m.value.eventId, m.timestamp]));
      const now = Date.now();
      for (const alert of emitted) {
        const trigger = byEvent.get(alert.evidence.sampleEventIds.at(-1) ?? '');
        if (trigger !== undefined) {
          this.latency.observe((now - trigger) / 1000);
        }
      }
    }
    return {};
  }
}
