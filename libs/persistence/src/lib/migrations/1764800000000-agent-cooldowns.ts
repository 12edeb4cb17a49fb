import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * An agent's open alert cooldowns are checkpointed with its profile (and the
 * partition offset, in one transaction) instead of living in Redis, so a
 * replay decides every alert as the first pass did. `[[detector:severity,
 * startMs, untilMs], …]`, or null when none is open.
 */
export class AgentCooldowns1764800000000 implements MigrationInterface {
  name = 'AgentCooldowns1764800000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE agent_profiles ADD COLUMN cooldowns jsonb CHECK (cooldowns IS NULL OR jsonb_typeof(cooldowns) = 'array')`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE agent_profiles DROP COLUMN cooldowns`);
  }
}
