import { type MigrationInterface, type QueryRunner } from 'typeorm';

export class CreateMonitorState1764200000000 implements MigrationInterface {
  name = 'CreateMonitorState1764200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // Checkpointed per-agent state of a monitor consumer group, written in the
    // same transaction as the partition offsets below.
    await queryRunner.query(`
      CREATE TABLE agent_profiles (
        consumer_group  text        NOT NULL,
        tenant_id       text        NOT NULL,
        agent_id        text        NOT NULL,
        topic           text        NOT NULL,
        partition       integer     NOT NULL,
        state           text        NOT NULL,
        behavior_tier   smallint    NOT NULL CHECK (behavior_tier BETWEEN 1 AND 4),
        risk_score      smallint    NOT NULL CHECK (risk_score BETWEEN 0 AND 100),
        windows_closed  bigint      NOT NULL,
        late_events     bigint      NOT NULL,
        last_event_at   timestamptz NOT NULL,
        baselines       jsonb       NOT NULL,
        updated_at      timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (consumer_group, tenant_id, agent_id)
      )`);
    await queryRunner.query(
      `CREATE INDEX agent_profiles_partition_idx ON agent_profiles (consumer_group, topic, partition)`,
    );
    await queryRunner.query(
      `CREATE INDEX agent_profiles_tenant_risk_idx ON agent_profiles (tenant_id, risk_score DESC)`,
    );
    await queryRunner.query(`
      CREATE TABLE monitor_offsets (
        consumer_group  text        NOT NULL,
        topic           text        NOT NULL,
        partition       integer     NOT NULL,
        next_offset     bigint      NOT NULL CHECK (next_offset >= 0),
        updated_at      timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (consumer_group, topic, partition)
      )`);
    // Current control state per agent: what enforcement points are told.
    await queryRunner.query(`
      CREATE TABLE agent_controls (
        tenant_id          text        NOT NULL,
        agent_id           text        NOT NULL,
        tier               smallint    NOT NULL CHECK (tier BETWEEN 1 AND 4),
        behavior_tier      smallint    NOT NULL CHECK (behavior_tier BETWEEN 1 AND 4),
        configured_tier    smallint    CHECK (configured_tier BETWEEN 1 AND 4),
        configured_reason  text,
        configured_by      text,
        configured_at      timestamptz,
        reason             text        NOT NULL,
        updated_at         timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, agent_id)
      )`);
    await queryRunner.query(
      `CREATE INDEX agent_controls_tier_idx ON agent_controls (tenant_id, tier)`,
    );
    // Every tier change, with why and who: deterministic ids so replays add nothing.
    await queryRunner.query(`
      CREATE TABLE agent_tier_changes (
        change_id   char(32)    PRIMARY KEY,
        tenant_id   text        NOT NULL,
        agent_id    text        NOT NULL,
        from_tier   smallint    NOT NULL,
        to_tier     smallint    NOT NULL,
        source      text        NOT NULL CHECK (source IN ('monitor', 'operator', 'response-engine')),
        actor       text,
        reason      text        NOT NULL,
        alert_id    char(32),
        changed_at  timestamptz NOT NULL,
        recorded_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(
      `CREATE INDEX agent_tier_changes_agent_idx ON agent_tier_changes (tenant_id, agent_id, changed_at)`,
    );
    // Operator requests (set tier, reset baseline) every monitor replica applies in order.
    await queryRunner.query(`
      CREATE TABLE agent_operator_actions (
        seq         bigserial   PRIMARY KEY,
        tenant_id   text        NOT NULL,
        agent_id    text        NOT NULL,
        kind        text        NOT NULL CHECK (kind IN ('set_tier', 'clear_tier', 'reset_baseline')),
        tier        smallint    CHECK (tier BETWEEN 1 AND 4),
        reason      text        NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
        actor       text        NOT NULL,
        created_at  timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(
      `CREATE INDEX agent_operator_actions_agent_idx ON agent_operator_actions (tenant_id, agent_id, seq)`,
    );
    await queryRunner.query(`
      CREATE TABLE tenant_detector_settings (
        tenant_id   text        PRIMARY KEY,
        overrides   jsonb       NOT NULL,
        reason      text        NOT NULL,
        updated_by  text        NOT NULL,
        updated_at  timestamptz NOT NULL DEFAULT now(),
        version     bigint      NOT NULL DEFAULT 1
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of [
      'tenant_detector_settings',
      'agent_operator_actions',
      'agent_tier_changes',
      'agent_controls',
      'monitor_offsets',
      'agent_profiles',
    ]) {
      await queryRunner.query(`DROP TABLE ${table}`);
    }
  }
}
