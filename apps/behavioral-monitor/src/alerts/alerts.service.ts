import { Inject, Injectable } from '@nestjs/common';
import { type AgentControl, agentKey, type ThreatAlert } from '@ward/contracts';
import { MessageProducer, TopicAdmin } from '@ward/messaging';
import { MetricsService } from '@ward/observability';
import { CooldownStore, ThreatAlertRepository } from '@ward/persistence';
import { type Counter } from 'prom-client';
import { MONITOR_CONFIG, type MonitorConfig } from '../config/monitor.config';

// Redis keeps a cooldown key this much longer (wall clock) than its event-time
// span, so a consumer catching up on old data still sees it.
const COOLDOWN_RETENTION_FACTOR = 4;

/**
 * Emits alerts: suppresses those inside their agent's cooldown, stores the rest
 * in PostgreSQL and publishes them, with the tier changes of the same events,
 * in one produce request. Everything is keyed by the deterministic alertId, so
 * reprocessing after a crash re-publishes the same ids and inserts nothing
 * twice; downstream consumers deduplicate by alertId.
 */
@Injectable()
export class AlertsService {
  private readonly emitted: Counter<'detector' | 'severity'>;
  private readonly suppressed: Counter<'detector'>;

  constructor(
    @Inject(MONITOR_CONFIG) private readonly config: MonitorConfig,
    private readonly cooldowns: CooldownStore,
    private readonly alerts: ThreatAlertRepository,
    private readonly producer: MessageProducer,
    private readonly topics: TopicAdmin,
    metrics: MetricsService,
  ) {
    this.emitted = metrics.counter({
      name: 'ward_alerts_emitted_total',
      help: 'ThreatAlerts published, by detector and severity.',
      labelNames: ['detector', 'severity'],
    });
    this.suppressed = metrics.counter({
      name: 'ward_alerts_suppressed_total',
      help: 'ThreatAlerts withheld because the agent and detector were in cooldown.',
      labelNames: ['detector'],
    });
  }

  async emit(
    candidates: readonly ThreatAlert[],
    controls: readonly AgentControl[] = [],
  ): Promise<ThreatAlert[]> {
    if (candidates.length === 0 && controls.length === 0) {
      return [];
    }
    const verdicts =
      this.config.cooldownMs === 0
        ? candidates.map(() => true)
        : await this.cooldowns.claimAll(
            candidates.map((alert) => ({
              tenantId: alert.tenantId,
              agentId: alert.agentId,
              // Per severity, so an escalation (medium, then high, then critical) is never held back.
              detector: `${alert.detector}:${alert.severity}`,
              alertId: alert.alertId,
              eventTimeMs: Date.parse(alert.window.start),
              cooldownMs: this.config.cooldownMs,
              retainMs: this.config.cooldownMs * COOLDOWN_RETENTION_FACTOR,
            })),
          );
    const allowed: ThreatAlert[] = [];
    candidates.forEach((alert, i) => {
      if (verdicts[i]) {
        allowed.push(alert);
      } else {
        this.suppressed.inc({ detector: alert.detector });
      }
    });
    await this.alerts.saveNew(allowed);
    await this.producer.sendMany([
      {
        topic: this.topics.topics.threatAlerts.name,
        messages: allowed.map((alert) => ({
          key: agentKey(alert.tenantId, alert.agentId),
          value: alert,
        })),
      },
      {
        topic: this.topics.topics.agentControl.name,
        messages: controls.map((c) => ({ key: agentKey(c.tenantId, c.agentId), value: c })),
      },
    ]);
    for (const alert of allowed) {
      this.emitted.inc({ detector: alert.detector, severity: alert.severity });
    }
    return allowed;
  }
}
