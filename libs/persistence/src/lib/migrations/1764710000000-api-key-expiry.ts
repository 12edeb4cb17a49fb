import { type MigrationInterface, type QueryRunner } from 'typeorm';

/** API keys can expire, and record who created them (issue 11). */
export class ApiKeyExpiry1764710000000 implements MigrationInterface {
  name = 'ApiKeyExpiry1764710000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE api_keys ADD COLUMN expires_at timestamptz`);
    await queryRunner.query(
      `ALTER TABLE api_keys ADD COLUMN created_by text NOT NULL DEFAULT 'unknown' CHECK (length(created_by) BETWEEN 1 AND 300)`,
    );
    await queryRunner.query(
      `ALTER TABLE api_keys ADD CONSTRAINT api_keys_expiry_after_creation CHECK (expires_at IS NULL OR expires_at > created_at)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE api_keys DROP CONSTRAINT api_keys_expiry_after_creation`);
    await queryRunner.query(`ALTER TABLE api_keys DROP COLUMN created_by`);
    await queryRunner.query(`ALTER TABLE api_keys DROP COLUMN expires_at`);
  }
}
