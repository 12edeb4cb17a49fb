import { Injectable } from '@nestjs/common';
import { type AgentControl, agentKey, type ThreatAlert } from '@ward/contracts';
import { MessageProducer, TopicAdmin } from '@ward/messaging';
import { MetricsService } from '@ward/observability';
import { ThreatAlertRepository } from '@ward/persistence';
import { type Counter } from 'prom-client';

/**
 * Emits alerts: stores them in PostgreSQL and publishes them, with the tier
 * changes of the same events, in one produce request. Which alerts get here
 * is decided with the agent's profile (its cooldowns, ProfilesService).
 * Everything is keyed by the deterministic alertId, so reprocessing after a
 * crash re-publishes the same ids and inserts nothing twice; downstream
 * consumers deduplicate by alertId.
 */
@Injectable()
export class AlertsService {
  private readonly emitted: Counter<'detector' | 'severity'>;
  private readonly withheld: Counter<'detector'>;

  constructor(
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
    this.withheld = metrics.counter({
      name: 'ward_alerts_suppressed_total',
      help: 'ThreatAlerts withheld because the agent and detector were in cooldown.',
      labelNames: ['detector'],
    });
  }

  /** Counts an alert its agent's cooldown held back. */
  suppressed(alert: ThreatAlert): void {
    this.withheld.inc({ detector: alert.detector });
  }

  async emit(
    alerts: readonly ThreatAlert[],
    controls: readonly AgentControl[] = [],
  ): Promise<ThreatAlert[]> {
    if (alerts.length === 0 && controls.length === 0) {
      return [];
    }
    await this.alerts.saveNew(alerts);
    await this.producer.sendMany([
      {
        topic: this.topics.topics.threatAlerts.name,
        messages: alerts.map((alert) => ({
          key: agentKey(alert.tenantId, alert.agentId),
          value: alert,
        })),
      },
      {
        topic: this.topics.topics.agentControl.name,
        messages: controls.map((c) => ({ key: agentKey(c.tenantId, c.agentId), value: c })),
      },
    ]);
    for (const alert of alerts) {
      this.emitted.inc({ detector: alert.detector, severity: alert.severity });
    }
    return [...alerts];
  }
}
