import { type MigrationInterface, type QueryRunner } from 'typeorm';

export class CreatePolicies1764600000000 implements MigrationInterface {
  name = 'CreatePolicies1764600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // One row per pattern that became a policy: the latest version as
    // published (payload), and the version already on ward.policies.v1 (the
    // outbox: published_version < version means publish).
    await queryRunner.query(`
      CREATE TABLE policies (
        tenant_id          text          NOT NULL,
        policy_id          char(32)      NOT NULL,
        kind               text          NOT NULL,
        subject            text          NOT NULL,
        status             text          NOT NULL CHECK (status IN ('proposed', 'active', 'rejected', 'retired')),
        version            integer       NOT NULL,
        published_version  integer       NOT NULL DEFAULT 0,
        confidence         numeric(4, 3) NOT NULL,
        suppressed         boolean       NOT NULL DEFAULT false,
        last_evidence_at   timestamptz   NOT NULL,
        payload            jsonb         NOT NULL,
        created_at         timestamptz   NOT NULL DEFAULT now(),
        updated_at         timestamptz   NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, policy_id)
      )`);
    await queryRunner.query(
      `CREATE INDEX policies_status_idx ON policies (tenant_id, status, updated_at DESC)`,
    );
    await queryRunner.query(
      `CREATE INDEX policies_outbox_idx ON policies (updated_at) WHERE published_version < version`,
    );
    // Evidence per pattern, idempotent on (pattern, source): a redelivered
    // alert or action adds nothing.
    await queryRunner.query(`
      CREATE TABLE policy_evidence (
        tenant_id     text        NOT NULL,
        policy_id     char(32)    NOT NULL,
        source_id     text        NOT NULL,
        kind          text        NOT NULL,
        subject       text        NOT NULL,
        source        text        NOT NULL,
        occurrence    boolean     NOT NULL,
        detector      text        NOT NULL,
        severity      text        NOT NULL,
        observed_at   timestamptz NOT NULL,
        alert_id      char(32),
        incident_id   char(32),
        run_id        char(32),
        facts         jsonb       NOT NULL,
        recorded_at   timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, policy_id, source_id)
      )`);
    await queryRunner.query(
      `CREATE INDEX policy_evidence_window_idx ON policy_evidence (tenant_id, policy_id, observed_at DESC)`,
    );
    await queryRunner.query(
      `CREATE INDEX policy_evidence_alert_idx ON policy_evidence (tenant_id, alert_id) WHERE alert_id IS NOT NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX policy_evidence_subject_idx ON policy_evidence (tenant_id, subject)`,
    );
    // The incidents alerts ended up in, and their latest status, for
    // corroboration and false-positive verdicts.
    await queryRunner.query(`
      CREATE TABLE policy_incidents (
        tenant_id    text     NOT NULL,
        incident_id  char(32) NOT NULL,
        version      integer  NOT NULL,
        status       text     NOT NULL,
        PRIMARY KEY (tenant_id, incident_id)
      )`);
    await queryRunner.query(`
      CREATE TABLE policy_incident_alerts (
        tenant_id    text     NOT NULL,
        alert_id     char(32) NOT NULL,
        incident_id  char(32) NOT NULL,
        PRIMARY KEY (tenant_id, alert_id, incident_id)
      )`);
    await queryRunner.query(
      `CREATE INDEX policy_incident_alerts_incident_idx ON policy_incident_alerts (tenant_id, incident_id)`,
    );
    // Every status change, who made it and why.
    await queryRunner.query(`
      CREATE TABLE policy_status_history (
        id           bigserial   PRIMARY KEY,
        tenant_id    text        NOT NULL,
        policy_id    char(32)    NOT NULL,
        from_status  text,
        to_status    text        NOT NULL,
        version      integer     NOT NULL,
        actor        text        NOT NULL,
        reason       text        NOT NULL,
        changed_at   timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(
      `CREATE INDEX policy_status_history_idx ON policy_status_history (tenant_id, policy_id, id)`,
    );
    // Per-tenant auto-activation threshold (NULL or no row: never automatic).
    await queryRunner.query(`
      CREATE TABLE policy_tenant_settings (
        tenant_id                  text          PRIMARY KEY,
        auto_activate_threshold    numeric(4, 3) CHECK (auto_activate_threshold BETWEEN 0 AND 1),
        updated_by                 text          NOT NULL,
        updated_at                 timestamptz   NOT NULL DEFAULT now()
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of [
      'policy_tenant_settings',
      'policy_status_history',
      'policy_incident_alerts',
      'policy_incidents',
      'policy_evidence',
      'policies',
    ]) {
      await queryRunner.query(`DROP TABLE IF EXISTS ${table}`);
    }
  }
}
