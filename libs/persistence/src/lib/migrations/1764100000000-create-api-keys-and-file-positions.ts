import { type MigrationInterface, type QueryRunner } from 'typeorm';

export class CreateApiKeysAndFilePositions1764100000000 implements MigrationInterface {
  name = 'CreateApiKeysAndFilePositions1764100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE api_keys (
        id            uuid        PRIMARY KEY,
        tenant_id     text        NOT NULL,
        name          text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
        prefix        text        NOT NULL,
        key_hash      char(64)    NOT NULL,
        roles         text[]      NOT NULL CHECK (roles <@ ARRAY['ingest', 'analyst', 'approver', 'admin']::text[] AND cardinality(roles) > 0),
        created_at    timestamptz NOT NULL DEFAULT now(),
        revoked_at    timestamptz,
        last_used_at  timestamptz
      )`);
    await queryRunner.query(`CREATE UNIQUE INDEX api_keys_hash_uq ON api_keys (key_hash)`);
    await queryRunner.query(`CREATE INDEX api_keys_tenant_idx ON api_keys (tenant_id)`);
    await queryRunner.query(`
      CREATE TABLE file_positions (
        source      text        NOT NULL,
        path        text        NOT NULL,
        dev         bigint      NOT NULL,
        ino         bigint      NOT NULL,
        "offset"    bigint      NOT NULL CHECK ("offset" >= 0),
        updated_at  timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (source, path)
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE file_positions`);
    await queryRunner.query(`DROP TABLE api_keys`);
  }
}
