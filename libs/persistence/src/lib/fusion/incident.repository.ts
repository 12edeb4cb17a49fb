import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';

/** An open incident sharing a correlation key with an alert. */
export interface CandidateRow {
  readonly incidentId: string;
  readonly firstSeenMs: number;
  readonly lastSeenMs: number;
}

/** What fusion writes for one incident version. `core` and `payload` are opaque here. */
export interface IncidentWrite {
  readonly tenantId: string;
  readonly incidentId: string;
  readonly version: number;
  readonly status: string;
  readonly severity: string;
  readonly score: number;
  readonly mergedInto?: string;
  readonly alertCount: number;
  readonly agents: readonly string[];
  readonly detectors: readonly string[];
  readonly firstSeen: string;
  readonly lastSeen: string;
  readonly core: unknown;
  readonly payload: unknown;
  /** Correlation keys while it takes alerts; none once merged, resolved or a false positive. */
  readonly keys: readonly string[];
}

export interface AlertLink {
  readonly alertId: string;
  readonly observedAt: string;
  readonly payload: unknown;
}

export interface IncidentFilter {
  readonly status?: string;
  readonly severity?: string;
  readonly agentId?: string;
  readonly detector?: string;
  /** Incidents last seen at or after (event time). */
  readonly since?: Date;
  readonly until?: Date;
  readonly limit: number;
  /** Opaque cursor from the previous page: `<lastSeenIso>|<incidentId>`. */
  readonly before?: { readonly lastSeen: string; readonly incidentId: string };
}

export interface StatusChangeRow {
  readonly fromStatus: string;
  readonly toStatus: string;
  readonly reason: string;
  readonly actor: string;
  readonly version: number;
  readonly changedAt: Date;
}

/**
 * fusion's store. Every change of a tenant's incidents runs in `withTenant`,
 * one transaction holding the tenant's advisory lock, so replicas and
 * partitions never correlate the same tenant's alerts concurrently.
 */
@Injectable()
export class IncidentRepository {
  constructor(private readonly dataSource: DataSource) {}

  async withTenant<T>(tenantId: string, work: (tx: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(async (tx) => {
      await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [
        `fusion:${tenantId}`,
      ]);
      return work(tx);
    });
  }

  /** The incident an alert already belongs to, if any. */
  async incidentOfAlert(
    tx: EntityManager,
    tenantId: string,
    alertId: string,
  ): Promise<string | undefined> {
    const rows = await tx.query<{ incident_id: string }[]>(
      `SELECT incident_id FROM incident_alerts WHERE tenant_id = $1 AND alert_id = $2`,
      [tenantId, alertId],
    );
    return rows[0]?.incident_id;
  }

  async candidates(
    tx: EntityManager,
    tenantId: string,
    keys: readonly string[],
  ): Promise<CandidateRow[]> {
    const rows = await tx.query<{ incident_id: string; first_seen: Date; last_seen: Date }[]>(
      `SELECT DISTINCT i.incident_id, i.first_seen, i.last_seen
         FROM incident_keys k
         JOIN incidents i ON i.tenant_id = k.tenant_id AND i.incident_id = k.incident_id
        WHERE k.tenant_id = $1 AND k.key = ANY($2::text[]) AND i.status IN ('open', 'contained')`,
      [tenantId, keys],
    );
    return rows.map((r) => ({
      incidentId: r.incident_id,
      firstSeenMs: r.first_seen.getTime(),
      lastSeenMs: r.last_seen.getTime(),
    }));
  }

  async cores(
    tx: EntityManager | undefined,
    tenantId: string,
    incidentIds: readonly string[],
  ): Promise<Map<string, unknown>> {
    const rows = await (tx ?? this.dataSource).query<{ incident_id: string; core: unknown }[]>(
      `SELECT incident_id, core FROM incidents WHERE tenant_id = $1 AND incident_id = ANY($2::text[])`,
      [tenantId, incidentIds],
    );
    return new Map(rows.map((r) => [r.incident_id, r.core]));
  }

  /** Writes one incident version, its keys, and the alerts newly linked to it. */
  async save(tx: EntityManager, w: IncidentWrite, links: readonly AlertLink[]): Promise<void> {
    await tx.query(
      `INSERT INTO incidents AS t (tenant_id, incident_id, version, status, severity, score, merged_into,
         alert_count, agents, detectors, first_seen, last_seen, core, payload, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::text[], $10::text[], $11, $12, $13::jsonb, $14::jsonb, now())
       ON CONFLICT (tenant_id, incident_id) DO UPDATE SET
         version = excluded.version, status = excluded.status, severity = excluded.severity,
         score = excluded.score, merged_into = excluded.merged_into, alert_count = excluded.alert_count,
         agents = excluded.agents, detectors = excluded.detectors, first_seen = excluded.first_seen,
         last_seen = excluded.last_seen, core = excluded.core, payload = excluded.payload,
         updated_at = now()`,
      [
        w.tenantId,
        w.incidentId,
        w.version,
        w.status,
        w.severity,
        w.score,
        w.mergedInto ?? null,
        w.alertCount,
        w.agents,
        w.detectors,
        w.firstSeen,
        w.lastSeen,
        JSON.stringify(w.core),
        JSON.stringify(w.payload),
      ],
    );
    await tx.query(`DELETE FROM incident_keys WHERE tenant_id = $1 AND incident_id = $2`, [
      w.tenantId,
      w.incidentId,
    ]);
    if (w.keys.length > 0) {
      await tx.query(
        `INSERT INTO incident_keys (tenant_id, key, incident_id)
         SELECT $1, k, $2 FROM unnest($3::text[]) AS k ON CONFLICT DO NOTHING`,
        [w.tenantId, w.incidentId, w.keys],
      );
    }
    if (links.length > 0) {
      await tx.query(
        `INSERT INTO incident_alerts (tenant_id, alert_id, incident_id, observed_at, payload)
         SELECT $1, u.alert_id, $2, u.observed_at, u.payload::jsonb
           FROM unnest($3::text[], $4::timestamptz[], $5::text[]) AS u(alert_id, observed_at, payload)
         ON CONFLICT (tenant_id, alert_id) DO UPDATE SET incident_id = excluded.incident_id`,
        [
          w.tenantId,
          w.incidentId,
          links.map((l) => l.alertId),
          links.map((l) => l.observedAt),
          links.map((l) => JSON.stringify(l.payload)),
        ],
      );
    }
  }

  /** Points every alert of `from` at `to` (after a merge). */
  async moveAlerts(tx: EntityManager, tenantId: string, from: string, to: string): Promise<void> {
    await tx.query(
      `UPDATE incident_alerts SET incident_id = $3 WHERE tenant_id = $1 AND incident_id = $2`,
      [tenantId, from, to],
    );
  }

  async recordStatus(
    tx: EntityManager,
    tenantId: string,
    incidentId: string,
    change: Omit<StatusChangeRow, 'changedAt'>,
  ): Promise<void> {
    await tx.query(
      `INSERT INTO incident_status_changes (tenant_id, incident_id, from_status, to_status, reason, actor, version)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [
        tenantId,
        incidentId,
        change.fromStatus,
        change.toStatus,
        change.reason,
        change.actor,
        change.version,
      ],
    );
  }

  /** Versions written but not yet on the incidents topic (oldest first). */
  async unpublished(
    limit: number,
  ): Promise<{ tenantId: string; incidentId: string; version: number; payload: unknown }[]> {
    const rows = await this.dataSource.query<
      { tenant_id: string; incident_id: string; version: number; payload: unknown }[]
    >(
      `SELECT tenant_id, incident_id, version, payload FROM incidents
        WHERE published_version < version ORDER BY updated_at LIMIT $1`,
      [limit],
    );
    return rows.map((r) => ({
      tenantId: r.tenant_id,
      incidentId: r.incident_id,
      version: r.version,
      payload: r.payload,
    }));
  }

  async markPublished(
    items: readonly { tenantId: string; incidentId: string; version: number }[],
  ): Promise<void> {
    for (const i of items) {
      await this.dataSource.query(
        `UPDATE incidents SET published_version = GREATEST(published_version, $3)
          WHERE tenant_id = $1 AND incident_id = $2`,
        [i.tenantId, i.incidentId, i.version],
      );
    }
  }

  async list(tenantId: string, f: IncidentFilter): Promise<unknown[]> {
    const where = ['tenant_id = $1'];
    const params: unknown[] = [tenantId];
    const add = (clause: string, value: unknown) => {
      params.push(value);
      where.push(clause.replace('?', `$${params.length}`));
    };
    if (f.status !== undefined) {
      add('status = ?', f.status);
    }
    if (f.severity !== undefined) {
      add('severity = ?', f.severity);
    }
    if (f.agentId !== undefined) {
      add('? = ANY(agents)', f.agentId);
    }
    if (f.detector !== undefined) {
      add('? = ANY(detectors)', f.detector);
    }
    if (f.since !== undefined) {
      add('last_seen >= ?', f.since.toISOString());
    }
    if (f.until !== undefined) {
      add('first_seen <= ?', f.until.toISOString());
    }
    if (f.before !== undefined) {
      params.push(f.before.lastSeen, f.before.incidentId);
      where.push(
        `(last_seen, incident_id) < ($${params.length - 1}::timestamptz, $${params.length})`,
      );
    }
    params.push(f.limit);
    const rows = await this.dataSource.query<{ payload: unknown }[]>(
      `SELECT payload FROM incidents WHERE ${where.join(' AND ')}
        ORDER BY last_seen DESC, incident_id DESC LIMIT $${params.length}`,
      params,
    );
    return rows.map((r) => r.payload);
  }

  async get(tenantId: string, incidentId: string): Promise<unknown> {
    const rows = await this.dataSource.query<{ payload: unknown }[]>(
      `SELECT payload FROM incidents WHERE tenant_id = $1 AND incident_id = $2`,
      [tenantId, incidentId],
    );
    return rows[0]?.payload;
  }

  async alertsOf(tenantId: string, incidentId: string, limit: number): Promise<unknown[]> {
    const rows = await this.dataSource.query<{ payload: unknown }[]>(
      `SELECT payload FROM incident_alerts WHERE tenant_id = $1 AND incident_id = $2
        ORDER BY observed_at, alert_id LIMIT $3`,
      [tenantId, incidentId, limit],
    );
    return rows.map((r) => r.payload);
  }

  async statusHistory(tenantId: string, incidentId: string): Promise<StatusChangeRow[]> {
    const rows = await this.dataSource.query<
      {
        from_status: string;
        to_status: string;
        reason: string;
        actor: string;
        version: number;
        changed_at: Date;
      }[]
    >(
      `SELECT from_status, to_status, reason, actor, version, changed_at FROM incident_status_changes
        WHERE tenant_id = $1 AND incident_id = $2 ORDER BY seq`,
      [tenantId, incidentId],
    );
    return rows.map((r) => ({
      fromStatus: r.from_status,
      toStatus: r.to_status,
      reason: r.reason,
      actor: r.actor,
      version: r.version,
      changedAt: r.changed_at,
    }));
  }

  /** Open and contained incidents of every tenant, for re-assessment after an intel change. */
  async active(limit: number): Promise<{ tenantId: string; incidentId: string }[]> {
    const rows = await this.dataSource.query<{ tenant_id: string; incident_id: string }[]>(
      `SELECT tenant_id, incident_id FROM incidents WHERE status IN ('open', 'contained')
        ORDER BY last_seen DESC LIMIT $1`,
      [limit],
    );
    return rows.map((r) => ({ tenantId: r.tenant_id, incidentId: r.incident_id }));
  }

  /** Incidents by status and severity over every tenant (merged ones left out), for the gauge. */
  async countsByStatusAndSeverity(): Promise<
    { status: string; severity: string; count: number }[]
  > {
    const rows = await this.dataSource.query<{ status: string; severity: string; n: number }[]>(
      `SELECT status, severity, count(*)::int AS n FROM incidents WHERE status <> 'merged' GROUP BY status, severity`,
    );
    return rows.map((r) => ({ status: r.status, severity: r.severity, count: r.n }));
  }
}
