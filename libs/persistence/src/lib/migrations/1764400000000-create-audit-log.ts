import { type MigrationInterface, type QueryRunner } from 'typeorm';

export class CreateAuditLog1764400000000 implements MigrationInterface {
  name = 'CreateAuditLog1764400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // Append-only, hash-chained: body is the entry's canonical JSON text, hash
    // = sha256(prev_hash "\n" body). Written under one advisory lock.
    await queryRunner.query(`
      CREATE TABLE audit_log (
        seq          bigint      PRIMARY KEY CHECK (seq >= 1),
        recorded_at  timestamptz NOT NULL DEFAULT now(),
        tenant_id    text,
        kind         text        NOT NULL,
        body         text        NOT NULL,
        prev_hash    char(64)    NOT NULL,
        hash         char(64)    NOT NULL UNIQUE
      )`);
    await queryRunner.query(`CREATE INDEX audit_log_tenant_idx ON audit_log (tenant_id, seq)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE audit_log');
  }
}
