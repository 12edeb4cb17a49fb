import { Injectable } from '@nestjs/common';
import { agentKey, type BehavioralEvent, BehavioralEventContract } from '@ward/contracts';
import {
  type BatchContext,
  type BatchOutcome,
  type InboundMessage,
  MessageProducer,
  TopicAdmin,
  type TopicHandler,
} from '@ward/messaging';
import { DURATION_BUCKETS_SECONDS, MetricsService } from '@ward/observability';
import { type Counter, type Gauge, type Histogram } from 'prom-client';
import { AlertsService } from '../alerts/alerts.service';
import { ProfilesService } from './profiles.service';

/**
 * `ward.behavioral-events.v1` → profiles → alerts and tier changes →
 * checkpoint. Thin: the domain is ProfileEngine behind ProfilesService.
 */
@Injectable()
export class EventsConsumer implements TopicHandler<typeof BehavioralEventContract.schema> {
  readonly topic = 'behavioralEvents' as const;
  readonly contract = BehavioralEventContract;
  private readonly events: Counter;
  private readonly late: Counter;
  private readonly duplicates: Counter;
  private readonly windows: Counter;
  private readonly agents: Gauge;
  private readonly latency: Histogram;
  private readonly checkpointDuration: Histogram;
  private readonly checkpointFailures: Counter;
  private readonly controls: Counter<'tier'>;
  private readonly violations: Counter<'effect'>;

  constructor(
    private readonly profiles: ProfilesService,
    private readonly alerts: AlertsService,
    private readonly producer: MessageProducer,
    private readonly admin: TopicAdmin,
    metrics: MetricsService,
  ) {
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
    this.checkpointDuration = metrics.histogram({
      name: 'ward_monitor_checkpoint_seconds',
      help: 'Time to write a partition checkpoint (state and offsets, one transaction).',
      buckets: [...DURATION_BUCKETS_SECONDS],
    });
    this.checkpointFailures = metrics.counter({
      name: 'ward_monitor_checkpoint_failures_total',
      help: 'Partition checkpoints that failed to commit (the batch is retried).',
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
    await this.profiles.exclusive(async () => {
      const result = await this.profiles.process(
        topic,
        context.partition,
        context.firstOffset,
        context.lastOffset,
        messages,
      );
      let emitted: Awaited<ReturnType<AlertsService['emit']>>;
      try {
        emitted = await this.alerts.emit(result.alerts);
        await this.producer.send(
          this.admin.topics.agentControl.name,
          result.controls.map((c) => ({ key: agentKey(c.tenantId, c.agentId), value: c })),
        );
        const end = this.checkpointDuration.startTimer();
        try {
          await result.checkpoint();
        } catch (error) {
          this.checkpointFailures.inc();
          throw error;
        }
        end();
      } catch (error) {
        // Applied in memory, not checkpointed: the retry starts from the checkpoint.
        this.profiles.discard(context.partition);
        throw error;
      }

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
      if (emitted.length > 0) {
        const byEvent = new Map(messages.map((m) => [m.value.eventId, m.timestamp]));
        const now = Date.now();
        for (const alert of emitted) {
          const trigger = byEvent.get(alert.evidence.sampleEventIds.at(-1) ?? '');
          if (trigger !== undefined) {
            this.latency.observe(Math.max(0, now - trigger) / 1000);
          }
        }
      }
    });
    return {};
  }
}
