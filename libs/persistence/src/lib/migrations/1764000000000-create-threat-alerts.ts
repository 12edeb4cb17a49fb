import { type MigrationInterface, type QueryRunner } from 'typeorm';

export class CreateThreatAlerts1764000000000 implements MigrationInterface {
  name = 'CreateThreatAlerts1764000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE threat_alerts (
        alert_id      char(32)         PRIMARY KEY,
        tenant_id     text             NOT NULL,
        agent_id      text             NOT NULL,
        session_id    text,
        detector      text             NOT NULL,
        severity      text             NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
        score         double precision NOT NULL CHECK (score BETWEEN 0 AND 1),
        risk_score    smallint         NOT NULL CHECK (risk_score BETWEEN 0 AND 100),
        window_start  timestamptz      NOT NULL,
        window_end    timestamptz      NOT NULL,
        observed_at   timestamptz      NOT NULL,
        payload       jsonb            NOT NULL,
        created_at    timestamptz      NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(
      `CREATE INDEX threat_alerts_tenant_observed_idx ON threat_alerts (tenant_id, observed_at)`,
    );
    await queryRunner.query(
      `CREATE INDEX threat_alerts_tenant_agent_observed_idx ON threat_alerts (tenant_id, agent_id, observed_at)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE threat_alerts`);
  }
}
