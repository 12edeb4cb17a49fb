import { type ThreatAlert } from '@ward/contracts';
import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

@Entity({ name: 'threat_alerts' })
@Index('threat_alerts_tenant_observed_idx', ['tenantId', 'observedAt'])
@Index('threat_alerts_tenant_agent_observed_idx', ['tenantId', 'agentId', 'observedAt'])
export class ThreatAlertEntity {
  @PrimaryColumn({ name: 'alert_id', type: 'char', length: 32 })
  alertId!: string;

  @Column({ name: 'tenant_id', type: 'text' })
  tenantId!: string;

  @Column({ name: 'agent_id', type: 'text' })
  agentId!: string;

  @Column({ name: 'session_id', type: 'text', nullable: true })
  sessionId!: string | null;

  @Column({ type: 'text' })
  detector!: string;

  @Column({ type: 'text' })
  severity!: string;

  @Column({ type: 'double precision' })
  score!: number;

  @Column({ name: 'risk_score', type: 'smallint' })
  riskScore!: number;

  @Column({ name: 'window_start', type: 'timestamptz' })
  windowStart!: Date;

  @Column({ name: 'window_end', type: 'timestamptz' })
  windowEnd!: Date;

  @Column({ name: 'observed_at', type: 'timestamptz' })
  observedAt!: Date;

  @Column({ type: 'jsonb' })
  payload!: ThreatAlert;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
