import { type MigrationInterface, type QueryRunner } from 'typeorm';

/** The tenant's event-time clock for policy expiry (max observed_at) without scanning its evidence. */
export class PolicyEvidenceClockIndex1764600000001 implements MigrationInterface {
  name = 'PolicyEvidenceClockIndex1764600000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX IF NOT EXISTS policy_evidence_clock_idx ON policy_evidence (tenant_id, observed_at DESC)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX IF EXISTS policy_evidence_clock_idx`);
  }
}
