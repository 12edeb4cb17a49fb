import { Inject, Injectable } from '@nestjs/common';
import { type BehavioralEvent, BehavioralEventContract } from '@ward/contracts';
import {
  type BatchContext,
  type BatchOutcome,
  type DurablePosition,
  type InboundMessage,
  TopicAdmin,
  type TopicHandler,
} from '@ward/messaging';
import { DURATION_BUCKETS_SECONDS, MetricsService } from '@ward/observability';
import { type Counter, type Gauge, type Histogram } from 'prom-client';
import { MONITOR_CONFIG, type MonitorConfig } from '../config/monitor.config';
import { ProfilesService } from './profiles.service';

/**
 * `ward.behavioral-events.v1` → profiles → alerts and tier changes →
 * checkpoint. Thin: the domain is ProfileEngine behind ProfilesService.
 */
@Injectable()
export class EventsConsumer implements TopicHandler<typeof BehavioralEventContract.schema> {
  readonly topic = 'behavioralEvents' as const;
  readonly contract = BehavioralEventContract;
  readonly flushIntervalMs: number;
  private readonly events: Counter;
  private readonly late: Counter;
  private readonly duplicates: Counter;
  private readonly windows: Counter;
  private readonly agents: Gauge;
  private readonly latency: Histogram;
  private readonly controls: Counter<'tier'>;
  private readonly violations: Counter<'effect'>;

  constructor(
    private readonly profiles: ProfilesService,
    private readonly admin: TopicAdmin,
    metrics: MetricsService,
    @Inject(MONITOR_CONFIG) config: MonitorConfig,
  ) {
    // With no interval (a checkpoint per batch) the flush only commits what is already durable.
    this.flushIntervalMs = Math.max(config.checkpointIntervalMs, 250);
    this.events = metrics.counter({
      name: 'ward_monitor_events_total',
      help: 'BehavioralEvents profiled.',
    });
    this.late = metrics.counter({
      name: 'ward_monitor_late_events_total',
      help: 'Events that arrived after their window and its allowed lateness closed (counted, not profiled).',
    });
    this.duplicates = metrics.counter({
      name: 'ward_monitor_duplicate_events_total',
      help: 'Events whose eventId was already profiled (within MONITOR_DEDUP_WINDOW_SECONDS).',
    });
    this.windows = metrics.counter({
      name: 'ward_monitor_windows_closed_total',
      help: 'Per-agent tumbling windows closed and folded into baselines.',
    });
    this.agents = metrics.gauge({
      name: 'ward_monitor_tracked_agents',
      help: 'Agents with a profile in memory on this instance.',
    });
    const byTier = metrics.gauge({
      name: 'ward_monitor_agents_by_tier',
      help: 'Agents with a profile in memory on this instance, by effective tier (1 normal … 4 quarantined).',
      labelNames: ['tier'],
      collect: () => {
        for (const [tier, n] of this.profiles.agentsByTier()) {
          byTier.set({ tier: String(tier) }, n);
        }
      },
    });
    this.latency = metrics.histogram({
      name: 'ward_monitor_event_to_alert_seconds',
      help: 'From the event that completed the evidence reaching Kafka to its alert being published.',
      buckets: [...DURATION_BUCKETS_SECONDS],
    });
    this.controls = metrics.counter({
      name: 'ward_monitor_tier_changes_total',
      help: 'AgentControl records published, by the new effective tier.',
      labelNames: ['tier'],
    });
    this.violations = metrics.counter({
      name: 'ward_monitor_policy_violations_total',
      help: 'Events labelled by sentinel-ingest as violating an active policy, by the strongest effect (deny, escalate).',
      labelNames: ['effect'],
    });
  }

  onAssignment(partitions: readonly number[]): void {
    this.profiles.retain(partitions);
    this.agents.set(this.profiles.trackedAgents);
  }

  async handleBatch(
    messages: readonly InboundMessage<BehavioralEvent>[],
    context: BatchContext,
  ): Promise<BatchOutcome> {
    const topic = messages[0]?.topic ?? this.admin.topics.behavioralEvents.name;
    const result = await this.profiles.handle(topic, context.partition, context, messages);
    this.events.inc(result.profiled);
    for (const m of messages) {
      const v = m.value.policyViolations;
      if (v !== undefined) {
        this.violations.inc({ effect: v.some((x) => x.effect === 'deny') ? 'deny' : 'escalate' });
      }
    }
    this.late.inc(result.late);
    this.duplicates.inc(result.duplicates);
    this.windows.inc(result.windowsClosed);
    for (const c of result.controls) {
      this.controls.inc({ tier: String(c.tier) });
    }
    this.agents.set(this.profiles.trackedAgents);
    if (result.alerts.length > 0) {
      const byEvent = new Map(messages.map((m) => [m.value.eventId, m.timestamp]));
      const now = Date.now();
      for (const alert of result.alerts) {
        const trigger = byEvent.get(alert.evidence.sampleEventIds.at(-1) ?? '');
        if (trigger !== undefined) {
          this.latency.observe(Math.max(0, now - trigger) / 1000);
        }
      }
    }
    return { durableOffset: result.durableOffset };
  }

  /** Checkpoints what changed since the last checkpoint; the consumer commits the offsets returned. */
  flush(): Promise<readonly DurablePosition[]> {
    return this.profiles.flush();
  }
}
