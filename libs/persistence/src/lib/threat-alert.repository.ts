import { Injectable } from '@nestjs/common';
import { type ThreatAlert } from '@ward/contracts';
import { DataSource, type Repository } from 'typeorm';
import { ThreatAlertEntity } from './threat-alert.entity';

@Injectable()
export class ThreatAlertRepository {
  private readonly repo: Repository<ThreatAlertEntity>;

  constructor(dataSource: DataSource) {
    this.repo = dataSource.getRepository(ThreatAlertEntity);
  }

  /** Inserts alerts that are not stored yet; returns the ids that were new. */
  async saveNew(alerts: readonly ThreatAlert[]): Promise<string[]> {
    if (alerts.length === 0) {
      return [];
    }
    const result = await this.repo
      .createQueryBuilder()
      .insert()
      .values(alerts.map(toEntity))
      .orIgnore()
      .returning(['alertId'])
      .execute();
    return (result.raw as { alert_id: string }[]).map((row) => row.alert_id);
  }

  async findById(tenantId: string, alertId: string): Promise<ThreatAlert | null> {
    const row = await this.repo.findOneBy({ tenantId, alertId });
    return row?.payload ?? null;
  }

  async listForAgent(tenantId: string, agentId: string, limit = 100): Promise<ThreatAlert[]> {
    const rows = await this.repo.find({
      where: { tenantId, agentId },
      order: { observedAt: 'DESC' },
      take: limit,
    });
    return rows.map((r) => r.payload);
  }

  async listForTenant(tenantId: string, limit = 100): Promise<ThreatAlert[]> {
    const rows = await this.repo.find({
      where: { tenantId },
      order: { observedAt: 'DESC' },
      take: limit,
    });
    return rows.map((r) => r.payload);
  }
}

function toEntity(alert: ThreatAlert): Partial<ThreatAlertEntity> {
  return {
    alertId: alert.alertId,
    tenantId: alert.tenantId,
    agentId: alert.agentId,
    sessionId: alert.sessionId ?? null,
    detector: alert.detector,
    severity: alert.severity,
    score: alert.score,
    riskScore: alert.riskScore,
    windowStart: new Date(alert.window.start),
    windowEnd: new Date(alert.window.end),
    observedAt: new Date(alert.observedAt),
    payload: alert,
  };
}
