import { type MigrationInterface, type QueryRunner } from 'typeorm';

export class CreateFusion1764300000000 implements MigrationInterface {
  name = 'CreateFusion1764300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // One row per incident: fusion's working state (core) and the published
    // form (payload) of its latest version; published_version trails version
    // until the record is on ward.incidents.v1 (an outbox).
    await queryRunner.query(`
      CREATE TABLE incidents (
        tenant_id          text        NOT NULL,
        incident_id        char(32)    NOT NULL,
        version            integer     NOT NULL CHECK (version >= 1),
        published_version  integer     NOT NULL DEFAULT 0,
        status             text        NOT NULL CHECK (status IN ('open', 'contained', 'resolved', 'false_positive', 'merged')),
        severity           text        NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
        score              real        NOT NULL,
        merged_into        char(32),
        alert_count        integer     NOT NULL,
        agents             text[]      NOT NULL,
        detectors          text[]      NOT NULL,
        first_seen         timestamptz NOT NULL,
        last_seen          timestamptz NOT NULL,
        core               jsonb       NOT NULL,
        payload            jsonb       NOT NULL,
        created_at         timestamptz NOT NULL DEFAULT now(),
        updated_at         timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, incident_id)
      )`);
    await queryRunner.query(
      `CREATE INDEX incidents_tenant_seen_idx ON incidents (tenant_id, last_seen DESC, incident_id)`,
    );
    await queryRunner.query(
      `CREATE INDEX incidents_unpublished_idx ON incidents (updated_at) WHERE published_version < version`,
    );
    // Correlation keys (agent:, session:, requester:, ip:, domain:, url:, hash:)
    // of incidents that still take alerts.
    await queryRunner.query(`
      CREATE TABLE incident_keys (
        tenant_id    text     NOT NULL,
        key          text     NOT NULL,
        incident_id  char(32) NOT NULL,
        PRIMARY KEY (tenant_id, key, incident_id)
      )`);
    await queryRunner.query(
      `CREATE INDEX incident_keys_incident_idx ON incident_keys (tenant_id, incident_id)`,
    );
    // Which incident each alert belongs to: a replayed alert is found here and changes nothing.
    await queryRunner.query(`
      CREATE TABLE incident_alerts (
        tenant_id    text        NOT NULL,
        alert_id     char(32)    NOT NULL,
        incident_id  char(32)    NOT NULL,
        observed_at  timestamptz NOT NULL,
        payload      jsonb       NOT NULL,
        PRIMARY KEY (tenant_id, alert_id)
      )`);
    await queryRunner.query(
      `CREATE INDEX incident_alerts_incident_idx ON incident_alerts (tenant_id, incident_id, observed_at)`,
    );
    await queryRunner.query(`
      CREATE TABLE incident_status_changes (
        seq          bigserial   PRIMARY KEY,
        tenant_id    text        NOT NULL,
        incident_id  char(32)    NOT NULL,
        from_status  text        NOT NULL,
        to_status    text        NOT NULL,
        reason       text        NOT NULL,
        actor        text        NOT NULL,
        version      integer     NOT NULL,
        changed_at   timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(
      `CREATE INDEX incident_status_changes_idx ON incident_status_changes (tenant_id, incident_id, seq)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE incident_status_changes');
    await queryRunner.query('DROP TABLE incident_alerts');
    await queryRunner.query('DROP TABLE incident_keys');
    await queryRunner.query('DROP TABLE incidents');
  }
}
