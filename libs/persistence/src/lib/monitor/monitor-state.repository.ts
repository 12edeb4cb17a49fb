import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

export interface ProfileRow {
  readonly tenantId: string;
  readonly agentId: string;
  /** Serialized detector state (opaque here). */
  readonly state: string;
  readonly behaviorTier: number;
  readonly riskScore: number;
  readonly windowsClosed: number;
  readonly lateEvents: number;
  readonly lastEventAt: Date;
  readonly baselines: unknown;
  /** The agent's open alert cooldowns (libs/detectors serializeCooldowns), or null. */
  readonly cooldowns: unknown;
}

/** A checkpointed agent, as a partition is restored from. */
export interface StoredProfile {
  readonly tenantId: string;
  readonly agentId: string;
  readonly state: string;
  readonly cooldowns: unknown;
}

export interface TierChangeRow {
  readonly changeId: string;
  readonly tenantId: string;
  readonly agentId: string;
  readonly fromTier: number;
  readonly toTier: number;
  readonly source: 'monitor' | 'operator' | 'response-engine';
  readonly actor?: string;
  readonly reason: string;
  readonly alertId?: string;
  readonly changedAt: Date;
}

export interface ControlRow {
  readonly tenantId: string;
  readonly agentId: string;
  readonly tier: number;
  readonly behaviorTier: number;
  readonly reason: string;
}

export interface Checkpoint {
  readonly group: string;
  readonly topic: string;
  readonly partition: number;
  readonly nextOffset: string;
  readonly profiles: readonly ProfileRow[];
  readonly tierChanges: readonly TierChangeRow[];
  readonly controls: readonly ControlRow[];
}

export type OperatorActionKind = 'set_tier' | 'clear_tier' | 'reset_baseline';

export interface OperatorAction {
  readonly seq: number;
  readonly tenantId: string;
  readonly agentId: string;
  readonly kind: OperatorActionKind;
  readonly tier: number | null;
  readonly reason: string;
  readonly actor: string;
  readonly createdAt: Date;
}

export interface AgentSummary {
  readonly tenantId: string;
  readonly agentId: string;
  readonly tier: number;
  readonly behaviorTier: number;
  readonly configuredTier: number | null;
  readonly configuredReason: string | null;
  readonly configuredBy: string | null;
  readonly riskScore: number;
  readonly windowsClosed: number;
  readonly lateEvents: number;
  readonly lastEventAt: Date | null;
  readonly baselines: unknown;
  readonly tierReason: string | null;
}

export interface TenantSettingsRow {
  readonly tenantId: string;
  readonly overrides: Record<string, unknown>;
  readonly reason: string;
  readonly updatedBy: string;
  readonly updatedAt: Date;
  readonly version: number;
}

/** Profiles upserted per statement of a checkpoint (one transaction whatever the count). */
export const PROFILES_PER_STATEMENT = 50;

const AGENT_COLUMNS = `
  coalesce(p.tenant_id, c.tenant_id) AS tenant_id,
  coalesce(p.agent_id, c.agent_id) AS agent_id,
  greatest(coalesce(p.behavior_tier, 1), coalesce(c.configured_tier, 1)) AS tier,
  coalesce(p.behavior_tier, c.behavior_tier, 1) AS behavior_tier,
  c.configured_tier, c.configured_reason, c.configured_by, c.reason AS tier_reason,
  coalesce(p.risk_score, 0) AS risk_score,
  coalesce(p.windows_closed, 0) AS windows_closed,
  coalesce(p.late_events, 0) AS late_events,
  p.last_event_at, coalesce(p.baselines, '{}'::jsonb) AS baselines`;

interface AgentDbRow {
  tenant_id: string;
  agent_id: string;
  tier: number;
  behavior_tier: number;
  configured_tier: number | null;
  configured_reason: string | null;
  configured_by: string | null;
  tier_reason: string | null;
  risk_score: number;
  windows_closed: string;
  late_events: string;
  last_event_at: Date | null;
  baselines: unknown;
}

const toSummary = (r: AgentDbRow): AgentSummary => ({
  tenantId: r.tenant_id,
  agentId: r.agent_id,
  tier: Number(r.tier),
  behaviorTier: Number(r.behavior_tier),
  configuredTier: r.configured_tier === null ? null : Number(r.configured_tier),
  configuredReason: r.configured_reason,
  configuredBy: r.configured_by,
  riskScore: Number(r.risk_score),
  windowsClosed: Number(r.windows_closed),
  lateEvents: Number(r.late_events),
  lastEventAt: r.last_event_at,
  baselines: r.baselines,
  tierReason: r.tier_reason,
});

/**
 * The behavioral monitor's durable state: per-agent checkpoints written with
 * the partition offsets in one transaction, control state, tier history,
 * operator actions and per-tenant detector settings.
 */
@Injectable()
export class MonitorStateRepository {
  constructor(private readonly dataSource: DataSource) {}

  async loadPartition(
    group: string,
    topic: string,
    partition: number,
  ): Promise<{
    nextOffset: string | null;
    profiles: StoredProfile[];
  }> {
    const offsets = await this.dataSource.query<{ next_offset: string }[]>(
      `SELECT next_offset FROM monitor_offsets WHERE consumer_group = $1 AND topic = $2 AND partition = $3`,
      [group, topic, partition],
    );
    const rows = await this.dataSource.query<
      { tenant_id: string; agent_id: string; state: string; cooldowns: unknown }[]
    >(
      `SELECT tenant_id, agent_id, state, cooldowns FROM agent_profiles
        WHERE consumer_group = $1 AND topic = $2 AND partition = $3`,
      [group, topic, partition],
    );
    return {
      nextOffset: offsets[0]?.next_offset ?? null,
      profiles: rows.map((r) => ({
        tenantId: r.tenant_id,
        agentId: r.agent_id,
        state: r.state,
        cooldowns: r.cooldowns,
      })),
    };
  }

  /**
   * Forgets a partition's checkpoint (its offset and the profiles stored with
   * it): for a checkpoint past the end of its partition, left by a topic that
   * was deleted and created again.
   */
  async forgetPartition(group: string, topic: string, partition: number): Promise<void> {
    await this.dataSource.transaction(async (tx) => {
      await tx.query(
        `DELETE FROM agent_profiles WHERE consumer_group = $1 AND topic = $2 AND partition = $3`,
        [group, topic, partition],
      );
      await tx.query(
        `DELETE FROM monitor_offsets WHERE consumer_group = $1 AND topic = $2 AND partition = $3`,
        [group, topic, partition],
      );
    });
  }

  /** State, tier history, control state and the partition's next offset: all or nothing. */
  async checkpoint(c: Checkpoint): Promise<void> {
    await this.dataSource.transaction(async (tx) => {
      // In statements of PROFILES_PER_STATEMENT rows: the driver encodes each
      // statement's parameters in one go on the event loop, so a large
      // checkpoint is sent in pieces with the loop free between them.
      for (let from = 0; from < c.profiles.length; from += PROFILES_PER_STATEMENT) {
        const p = c.profiles.slice(from, from + PROFILES_PER_STATEMENT);
        await tx.query(
          `INSERT INTO agent_profiles AS t (consumer_group, tenant_id, agent_id, topic, partition, state,
             behavior_tier, risk_score, windows_closed, late_events, last_event_at, baselines,
             cooldowns, updated_at)
           SELECT $1, u.tenant_id, u.agent_id, $2, $3, u.state, u.behavior_tier, u.risk_score,
                  u.windows_closed, u.late_events, u.last_event_at, u.baselines::jsonb,
                  u.cooldowns::jsonb, now()
             FROM json_to_recordset($4::json)
               AS u(tenant_id text, agent_id text, state text, behavior_tier smallint,
                    risk_score smallint, windows_closed bigint, late_events bigint,
                    last_event_at timestamptz, baselines json, cooldowns json)
           ON CONFLICT (consumer_group, tenant_id, agent_id) DO UPDATE SET
             topic = excluded.topic, partition = excluded.partition, state = excluded.state,
             behavior_tier = excluded.behavior_tier, risk_score = excluded.risk_score,
             windows_closed = excluded.windows_closed, late_events = excluded.late_events,
             last_event_at = excluded.last_event_at, baselines = excluded.baselines,
             cooldowns = excluded.cooldowns, updated_at = now()`,
          [
            c.group,
            c.topic,
            c.partition,
            // One JSON text (native JSON.stringify) rather than nine arrays the
            // driver would escape element by element on the event loop.
            JSON.stringify(
              p.map((r) => ({
                tenant_id: r.tenantId,
                agent_id: r.agentId,
                state: r.state,
                behavior_tier: r.behaviorTier,
                risk_score: r.riskScore,
                windows_closed: r.windowsClosed,
                late_events: r.lateEvents,
                last_event_at: r.lastEventAt.toISOString(),
                baselines: r.baselines,
                // Left out when there is none: a JSON null would be stored as jsonb 'null'.
                ...(r.cooldowns !== null && { cooldowns: r.cooldowns }),
              })),
            ),
          ],
        );
      }
      for (const t of c.tierChanges) {
        await tx.query(
          `INSERT INTO agent_tier_changes (change_id, tenant_id, agent_id, from_tier, to_tier, source,
             actor, reason, alert_id, changed_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (change_id) DO NOTHING`,
          [
            t.changeId,
            t.tenantId,
            t.agentId,
            t.fromTier,
            t.toTier,
            t.source,
            t.actor ?? null,
            t.reason,
            t.alertId ?? null,
            t.changedAt.toISOString(),
          ],
        );
      }
      for (const k of c.controls) {
        await tx.query(
          `INSERT INTO agent_controls (tenant_id, agent_id, tier, behavior_tier, reason, updated_at)
           VALUES ($1, $2, $3, $4, $5, now())
           ON CONFLICT (tenant_id, agent_id) DO UPDATE SET
             tier = greatest(excluded.behavior_tier, coalesce(agent_controls.configured_tier, 1)),
             behavior_tier = excluded.behavior_tier, reason = excluded.reason, updated_at = now()`,
          [k.tenantId, k.agentId, k.tier, k.behaviorTier, k.reason],
        );
      }
      await tx.query(
        `INSERT INTO monitor_offsets (consumer_group, topic, partition, next_offset, updated_at)
         VALUES ($1, $2, $3, $4, now())
         ON CONFLICT (consumer_group, topic, partition) DO UPDATE SET
           next_offset = excluded.next_offset, updated_at = now()`,
        [c.group, c.topic, c.partition, c.nextOffset],
      );
    });
  }

  async getAgent(group: string, tenantId: string, agentId: string): Promise<AgentSummary | null> {
    const rows = await this.dataSource.query<AgentDbRow[]>(
      `SELECT ${AGENT_COLUMNS}
         FROM (SELECT * FROM agent_profiles WHERE consumer_group = $1 AND tenant_id = $2 AND agent_id = $3) p
         FULL OUTER JOIN (SELECT * FROM agent_controls WHERE tenant_id = $2 AND agent_id = $3) c
           ON c.tenant_id = p.tenant_id AND c.agent_id = p.agent_id`,
      [group, tenantId, agentId],
    );
    return rows[0] ? toSummary(rows[0]) : null;
  }

  /** Agents of a tenant by descending risk, filtered by tier and minimum risk. */
  async listAgents(
    group: string,
    tenantId: string,
    filter: { tier?: number; minRisk?: number; limit: number; offset: number },
  ): Promise<AgentSummary[]> {
    const rows = await this.dataSource.query<AgentDbRow[]>(
      `SELECT * FROM (
         SELECT ${AGENT_COLUMNS}
           FROM (SELECT * FROM agent_profiles WHERE consumer_group = $1 AND tenant_id = $2) p
           FULL OUTER JOIN (SELECT * FROM agent_controls WHERE tenant_id = $2) c
             ON c.tenant_id = p.tenant_id AND c.agent_id = p.agent_id) a
        WHERE ($3::int IS NULL OR a.tier = $3) AND a.risk_score >= $4
        ORDER BY a.risk_score DESC, a.tier DESC, a.agent_id
        LIMIT $5 OFFSET $6`,
      [group, tenantId, filter.tier ?? null, filter.minRisk ?? 0, filter.limit, filter.offset],
    );
    return rows.map(toSummary);
  }

  async tierChanges(tenantId: string, agentId: string, limit = 50): Promise<TierChangeRow[]> {
    const rows = await this.dataSource.query<
      {
        change_id: string;
        from_tier: number;
        to_tier: number;
        source: TierChangeRow['source'];
        actor: string | null;
        reason: string;
        alert_id: string | null;
        changed_at: Date;
      }[]
    >(
      `SELECT change_id, from_tier, to_tier, source, actor, reason, alert_id, changed_at
         FROM agent_tier_changes WHERE tenant_id = $1 AND agent_id = $2
        ORDER BY changed_at DESC, recorded_at DESC LIMIT $3`,
      [tenantId, agentId, limit],
    );
    return rows.map((r) => ({
      changeId: r.change_id,
      tenantId,
      agentId,
      fromTier: Number(r.from_tier),
      toTier: Number(r.to_tier),
      source: r.source,
      ...(r.actor !== null && { actor: r.actor }),
      reason: r.reason,
      ...(r.alert_id !== null && { alertId: r.alert_id }),
      changedAt: r.changed_at,
    }));
  }

  /**
   * Records an operator action and, for tier actions, the configured tier, in
   * one transaction. Returns the action with its sequence number.
   */
  async addOperatorAction(
    a: Omit<OperatorAction, 'seq' | 'createdAt'>,
    tierChange?: Omit<TierChangeRow, 'changeId' | 'changedAt'> & {
      readonly changeIdOf: (seq: number) => string;
    },
  ): Promise<OperatorAction> {
    return this.dataSource.transaction(async (tx) => {
      const [row] = await tx.query<{ seq: string; created_at: Date }[]>(
        `INSERT INTO agent_operator_actions (tenant_id, agent_id, kind, tier, reason, actor)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING seq, created_at`,
        [a.tenantId, a.agentId, a.kind, a.tier, a.reason, a.actor],
      );
      const seq = Number(row!.seq);
      if (a.kind !== 'reset_baseline') {
        await tx.query(
          `INSERT INTO agent_controls (tenant_id, agent_id, tier, behavior_tier, configured_tier,
             configured_reason, configured_by, configured_at, reason, updated_at)
           VALUES ($1, $2, coalesce($3, 1), 1, $3, $4, $5, now(), $4, now())
           ON CONFLICT (tenant_id, agent_id) DO UPDATE SET
             configured_tier = $3, configured_reason = $4, configured_by = $5, configured_at = now(),
             tier = greatest(agent_controls.behavior_tier, coalesce($3, 1)), reason = $4, updated_at = now()`,
          [a.tenantId, a.agentId, a.tier, a.reason, a.actor],
        );
      }
      if (tierChange !== undefined) {
        await tx.query(
          `INSERT INTO agent_tier_changes (change_id, tenant_id, agent_id, from_tier, to_tier, source,
             actor, reason, changed_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (change_id) DO NOTHING`,
          [
            tierChange.changeIdOf(seq),
            a.tenantId,
            a.agentId,
            tierChange.fromTier,
            tierChange.toTier,
            tierChange.source,
            a.actor,
            a.reason,
            row!.created_at,
          ],
        );
      }
      return { ...a, seq, createdAt: row!.created_at };
    });
  }

  async operatorActionsAfter(
    seq: number,
    limit = 1000,
    kind?: OperatorActionKind,
  ): Promise<OperatorAction[]> {
    const rows = await this.dataSource.query<
      {
        seq: string;
        tenant_id: string;
        agent_id: string;
        kind: OperatorActionKind;
        tier: number | null;
        reason: string;
        actor: string;
        created_at: Date;
      }[]
    >(
      `SELECT seq, tenant_id, agent_id, kind, tier, reason, actor, created_at
         FROM agent_operator_actions WHERE seq > $1 AND ($3::text IS NULL OR kind = $3)
        ORDER BY seq LIMIT $2`,
      [seq, limit, kind ?? null],
    );
    return rows.map((r) => ({
      seq: Number(r.seq),
      tenantId: r.tenant_id,
      agentId: r.agent_id,
      kind: r.kind,
      tier: r.tier === null ? null : Number(r.tier),
      reason: r.reason,
      actor: r.actor,
      createdAt: r.created_at,
    }));
  }

  /** Configured tiers of every agent that has one, and the last action sequence they reflect. */
  async configuredTiers(): Promise<{ seq: number; tiers: Map<string, number> }> {
    return this.dataSource.transaction('REPEATABLE READ', async (tx) => {
      const [max] = await tx.query<{ seq: string }[]>(
        `SELECT coalesce(max(seq), 0) AS seq FROM agent_operator_actions`,
      );
      const rows = await tx.query<
        { tenant_id: string; agent_id: string; configured_tier: number }[]
      >(
        `SELECT tenant_id, agent_id, configured_tier FROM agent_controls WHERE configured_tier IS NOT NULL`,
      );
      return {
        seq: Number(max!.seq),
        tiers: new Map(
          rows.map((r) => [`${r.tenant_id}/${r.agent_id}`, Number(r.configured_tier)]),
        ),
      };
    });
  }

  async getTenantSettings(tenantId: string): Promise<TenantSettingsRow | null> {
    const rows = await this.tenantSettingsWhere('tenant_id = $1', [tenantId]);
    return rows[0] ?? null;
  }

  async tenantSettingsSince(since: Date | null): Promise<TenantSettingsRow[]> {
    return since === null
      ? this.tenantSettingsWhere('true', [])
      : this.tenantSettingsWhere('updated_at > $1', [since.toISOString()]);
  }

  async putTenantSettings(
    tenantId: string,
    overrides: Record<string, unknown>,
    reason: string,
    actor: string,
  ): Promise<TenantSettingsRow> {
    await this.dataSource.query(
      `INSERT INTO tenant_detector_settings (tenant_id, overrides, reason, updated_by, updated_at)
       VALUES ($1, $2::jsonb, $3, $4, clock_timestamp())
       ON CONFLICT (tenant_id) DO UPDATE SET overrides = excluded.overrides, reason = excluded.reason,
         updated_by = excluded.updated_by, updated_at = clock_timestamp(),
         version = tenant_detector_settings.version + 1`,
      [tenantId, JSON.stringify(overrides), reason, actor],
    );
    return (await this.getTenantSettings(tenantId))!;
  }

  private async tenantSettingsWhere(
    where: string,
    params: unknown[],
  ): Promise<TenantSettingsRow[]> {
    const rows = await this.dataSource.query<
      {
        tenant_id: string;
        overrides: Record<string, unknown>;
        reason: string;
        updated_by: string;
        updated_at: Date;
        version: string;
      }[]
    >(
      `SELECT tenant_id, overrides, reason, updated_by, updated_at, version
         FROM tenant_detector_settings WHERE ${where} ORDER BY updated_at`,
      params,
    );
    return rows.map((r) => ({
      tenantId: r.tenant_id,
      overrides: r.overrides,
      reason: r.reason,
      updatedBy: r.updated_by,
      updatedAt: r.updated_at,
      version: Number(r.version),
    }));
  }
}
