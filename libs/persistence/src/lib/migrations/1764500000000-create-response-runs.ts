import { type MigrationInterface, type QueryRunner } from 'typeorm';

export class CreateResponseRuns1764500000000 implements MigrationInterface {
  name = 'CreateResponseRuns1764500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // One run per (incident, playbook version): the playbook and incident as
    // they were when it started, so a reload or a new incident version does
    // not change a run in flight. next_check_at is when a waiting run must be
    // looked at again (approval deadline, retry time).
    await queryRunner.query(`
      CREATE TABLE response_runs (
        run_id            char(32)    PRIMARY KEY,
        tenant_id         text        NOT NULL,
        incident_id       char(32)    NOT NULL,
        playbook_id       text        NOT NULL,
        playbook_version  integer     NOT NULL,
        status            text        NOT NULL CHECK (status IN ('running', 'waiting', 'succeeded', 'failed')),
        dry_run           boolean     NOT NULL,
        playbook          jsonb       NOT NULL,
        incident          jsonb       NOT NULL,
        next_check_at     timestamptz,
        created_at        timestamptz NOT NULL DEFAULT now(),
        updated_at        timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(
      `CREATE INDEX response_runs_due_idx ON response_runs (next_check_at) WHERE status IN ('waiting', 'running')`,
    );
    await queryRunner.query(
      `CREATE INDEX response_runs_incident_idx ON response_runs (tenant_id, incident_id)`,
    );
    await queryRunner.query(`
      CREATE TABLE response_steps (
        run_id                 char(32)    NOT NULL REFERENCES response_runs (run_id),
        step_id                text        NOT NULL,
        position               integer     NOT NULL,
        action                 text        NOT NULL,
        status                 text        NOT NULL,
        attempts               integer     NOT NULL DEFAULT 0,
        parameters             jsonb,
        output                 jsonb,
        error                  text,
        approval_requested_at  timestamptz,
        approval_deadline      timestamptz,
        retry_at               timestamptz,
        approver               text,
        reason                 text,
        updated_at             timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (run_id, step_id)
      )`);
    await queryRunner.query(
      `CREATE INDEX response_steps_pending_idx ON response_steps (status) WHERE status = 'pending_approval'`,
    );
    // Health of each named destination, shared by every replica: consecutive
    // failed deliveries, and when it was disabled for reaching the limit.
    await queryRunner.query(`
      CREATE TABLE response_destinations (
        name                  text        PRIMARY KEY,
        consecutive_failures  integer     NOT NULL DEFAULT 0,
        last_error            text,
        disabled_at           timestamptz,
        updated_at            timestamptz NOT NULL DEFAULT now()
      )`);
    // Deliveries refused because their destination was disabled, kept until a
    // person retries or discards them.
    await queryRunner.query(`
      CREATE TABLE response_parked_deliveries (
        run_id       char(32)    NOT NULL REFERENCES response_runs (run_id),
        step_id      text        NOT NULL,
        destination  text        NOT NULL,
        tenant_id    text        NOT NULL,
        action       text        NOT NULL,
        parked_at    timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (run_id, step_id)
      )`);
    await queryRunner.query(
      `CREATE INDEX response_parked_destination_idx ON response_parked_deliveries (destination, parked_at)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE response_parked_deliveries');
    await queryRunner.query('DROP TABLE response_destinations');
    await queryRunner.query('DROP TABLE response_steps');
    await queryRunner.query('DROP TABLE response_runs');
  }
}
