import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';

/** One piece of evidence as stored; `facts` is opaque here. */
export interface EvidenceRow {
  readonly tenantId: string;
  readonly policyId: string;
  readonly sourceId: string;
  readonly kind: string;
  readonly subject: string;
  readonly source: string;
  readonly occurrence: boolean;
  readonly detector: string;
  readonly severity: string;
  readonly observedAt: Date;
  readonly alertId?: string;
  readonly incidentId?: string;
  readonly runId?: string;
  readonly facts: unknown;
}

export interface PolicyRow {
  readonly tenantId: string;
  readonly policyId: string;
  readonly kind: string;
  readonly subject: string;
  readonly status: string;
  readonly version: number;
  readonly publishedVersion: number;
  readonly confidence: number;
  readonly suppressed: boolean;
  readonly lastEvidenceAt: Date;
  readonly payload: unknown;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export type PolicyWrite = Omit<PolicyRow, 'publishedVersion' | 'createdAt' | 'updatedAt'>;

export interface PolicyFilter {
  readonly status?: string;
  readonly kind?: string;
  readonly limit: number;
}

export interface PolicyStatusRow {
  readonly fromStatus: string | null;
  readonly toStatus: string;
  readonly version: number;
  readonly actor: string;
  readonly reason: string;
  readonly changedAt: Date;
}

interface RawPolicy {
  tenant_id: string;
  policy_id: string;
  kind: string;
  subject: string;
  status: string;
  version: number;
  published_version: number;
  confidence: string;
  suppressed: boolean;
  last_evidence_at: Date;
  payload: unknown;
  created_at: Date;
  updated_at: Date;
}

const toPolicy = (r: RawPolicy): PolicyRow => ({
  tenantId: r.tenant_id,
  policyId: r.policy_id,
  kind: r.kind,
  subject: r.subject,
  status: r.status,
  version: r.version,
  publishedVersion: r.published_version,
  confidence: Number(r.confidence),
  suppressed: r.suppressed,
  lastEvidenceAt: r.last_evidence_at,
  payload: r.payload,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

interface RawEvidence {
  tenant_id: string;
  policy_id: string;
  source_id: string;
  kind: string;
  subject: string;
  source: string;
  occurrence: boolean;
  detector: string;
  severity: string;
  observed_at: Date;
  alert_id: string | null;
  incident_id: string | null;
  run_id: string | null;
  facts: unknown;
}

const toEvidence = (r: RawEvidence): EvidenceRow => ({
  tenantId: r.tenant_id,
  policyId: r.policy_id,
  sourceId: r.source_id,
  kind: r.kind,
  subject: r.subject,
  source: r.source,
  occurrence: r.occurrence,
  detector: r.detector,
  severity: r.severity,
  observedAt: r.observed_at,
  ...(r.alert_id !== null && { alertId: r.alert_id }),
  ...(r.incident_id !== null && { incidentId: r.incident_id }),
  ...(r.run_id !== null && { runId: r.run_id }),
  facts: r.facts,
});

/**
 * policy-generator's store. Changes to one tenant's patterns run in
 * `withTenant` (one transaction holding the tenant's advisory lock), so
 * replicas and partitions never score the same pattern concurrently.
 */
@Injectable()
export class PolicyRepository {
  constructor(private readonly dataSource: DataSource) {}

  async withTenant<T>(tenantId: string, work: (tx: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(async (tx) => {
      await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [
        `policy:${tenantId}`,
      ]);
      return work(tx);
    });
  }

  /** Stores evidence; returns the policy ids that gained something new. */
  async addEvidence(tx: EntityManager, rows: readonly EvidenceRow[]): Promise<string[]> {
    const changed = new Set<string>();
    for (const r of rows) {
      const inserted = await tx.query<{ policy_id: string }[]>(
        `INSERT INTO policy_evidence (tenant_id, policy_id, source_id, kind, subject, source, occurrence,
                                      detector, severity, observed_at, alert_id, incident_id, run_id, facts)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
         ON CONFLICT DO NOTHING
         RETURNING policy_id`,
        [
          r.tenantId,
          r.policyId,
          r.sourceId,
          r.kind,
          r.subject,
          r.source,
          r.occurrence,
          r.detector,
          r.severity,
          r.observedAt,
          r.alertId ?? null,
          r.incidentId ?? null,
          r.runId ?? null,
          JSON.stringify(r.facts),
        ],
      );
      if (inserted.length > 0) {
        changed.add(r.policyId);
      }
    }
    return [...changed];
  }

  /** Evidence of a pattern observed at or after `since`, newest first. */
  async evidence(
    tx: EntityManager | undefined,
    tenantId: string,
    policyId: string,
    since: Date,
    limit: number,
  ): Promise<EvidenceRow[]> {
    const rows = await (tx ?? this.dataSource).query<RawEvidence[]>(
      `SELECT * FROM policy_evidence
        WHERE tenant_id = $1 AND policy_id = $2 AND observed_at >= $3
        ORDER BY observed_at DESC, source_id LIMIT $4`,
      [tenantId, policyId, since, limit],
    );
    return rows.map(toEvidence);
  }

  /** The latest evidence of a pattern, whatever its age. */
  async latestEvidence(
    tx: EntityManager,
    tenantId: string,
    policyId: string,
  ): Promise<EvidenceRow | undefined> {
    const rows = await tx.query<RawEvidence[]>(
      `SELECT * FROM policy_evidence WHERE tenant_id = $1 AND policy_id = $2
        ORDER BY observed_at DESC, source_id LIMIT 1`,
      [tenantId, policyId],
    );
    return rows[0] === undefined ? undefined : toEvidence(rows[0]);
  }

  /** Patterns with evidence about `subject` (e.g. every pattern of one agent). */
  async patternsOf(
    tx: EntityManager,
    tenantId: string,
    subject: string,
  ): Promise<{ policyId: string; kind: string; subject: string }[]> {
    const rows = await tx.query<{ policy_id: string; kind: string; subject: string }[]>(
      `SELECT DISTINCT policy_id, kind, subject FROM policy_evidence
        WHERE tenant_id = $1 AND subject = $2 AND occurrence`,
      [tenantId, subject],
    );
    return rows.map((r) => ({ policyId: r.policy_id, kind: r.kind, subject: r.subject }));
  }

  /** Patterns with evidence from any of these alerts. */
  async patternsOfAlerts(
    tx: EntityManager,
    tenantId: string,
    alertIds: readonly string[],
  ): Promise<string[]> {
    if (alertIds.length === 0) {
      return [];
    }
    const rows = await tx.query<{ policy_id: string }[]>(
      `SELECT DISTINCT policy_id FROM policy_evidence WHERE tenant_id = $1 AND alert_id = ANY($2)`,
      [tenantId, alertIds],
    );
    return rows.map((r) => r.policy_id);
  }

  /** The incidents these alerts belong to, and how many an analyst called false positives. */
  async incidentsOfAlerts(
    tx: EntityManager,
    tenantId: string,
    alertIds: readonly string[],
  ): Promise<{ incidentIds: string[]; falsePositives: number }> {
    if (alertIds.length === 0) {
      return { incidentIds: [], falsePositives: 0 };
    }
    const rows = await tx.query<{ incident_id: string; status: string }[]>(
      `SELECT DISTINCT i.incident_id, i.status
         FROM policy_incident_alerts a
         JOIN policy_incidents i ON i.tenant_id = a.tenant_id AND i.incident_id = a.incident_id
        WHERE a.tenant_id = $1 AND a.alert_id = ANY($2) AND i.status <> 'merged'
        ORDER BY i.incident_id`,
      [tenantId, alertIds],
    );
    return {
      incidentIds: rows.map((r) => r.incident_id),
      falsePositives: rows.filter((r) => r.status === 'false_positive').length,
    };
  }

  /** Records an incident version unless a newer one is known; true when it changed. */
  async upsertIncident(
    tx: EntityManager,
    tenantId: string,
    incidentId: string,
    version: number,
    status: string,
    alertIds: readonly string[],
  ): Promise<boolean> {
    const changed = await tx.query<unknown[]>(
      `INSERT INTO policy_incidents (tenant_id, incident_id, version, status)
       VALUES ($1, $2, $3, $4)
       ON CONFLICT (tenant_id, incident_id) DO UPDATE SET version = EXCLUDED.version, status = EXCLUDED.status
        WHERE policy_incidents.version < EXCLUDED.version
       RETURNING incident_id`,
      [tenantId, incidentId, version, status],
    );
    if (changed.length === 0) {
      return false;
    }
    if (alertIds.length > 0) {
      await tx.query(
        `INSERT INTO policy_incident_alerts (tenant_id, alert_id, incident_id)
         SELECT $1, unnest($2::char(32)[]), $3
         ON CONFLICT DO NOTHING`,
        [tenantId, alertIds, incidentId],
      );
    }
    return true;
  }

  async get(
    tx: EntityManager | undefined,
    tenantId: string,
    policyId: string,
    forUpdate = false,
  ): Promise<PolicyRow | undefined> {
    const rows = await (tx ?? this.dataSource).query<RawPolicy[]>(
      `SELECT * FROM policies WHERE tenant_id = $1 AND policy_id = $2${forUpdate ? ' FOR UPDATE' : ''}`,
      [tenantId, policyId],
    );
    return rows[0] === undefined ? undefined : toPolicy(rows[0]);
  }

  async save(tx: EntityManager, p: PolicyWrite): Promise<void> {
    await tx.query(
      `INSERT INTO policies (tenant_id, policy_id, kind, subject, status, version, confidence, suppressed,
                             last_evidence_at, payload)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
       ON CONFLICT (tenant_id, policy_id) DO UPDATE SET
         status = EXCLUDED.status, version = EXCLUDED.version, confidence = EXCLUDED.confidence,
         suppressed = EXCLUDED.suppressed, last_evidence_at = EXCLUDED.last_evidence_at,
         payload = EXCLUDED.payload, updated_at = now()`,
      [
        p.tenantId,
        p.policyId,
        p.kind,
        p.subject,
        p.status,
        p.version,
        p.confidence,
        p.suppressed,
        p.lastEvidenceAt,
        JSON.stringify(p.payload),
      ],
    );
  }

  async recordStatus(
    tx: EntityManager,
    tenantId: string,
    policyId: string,
    change: Omit<PolicyStatusRow, 'changedAt'>,
  ): Promise<void> {
    await tx.query(
      `INSERT INTO policy_status_history (tenant_id, policy_id, from_status, to_status, version, actor, reason)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [
        tenantId,
        policyId,
        change.fromStatus,
        change.toStatus,
        change.version,
        change.actor,
        change.reason,
      ],
    );
  }

  async history(tenantId: string, policyId: string): Promise<PolicyStatusRow[]> {
    const rows = await this.dataSource.query<
      {
        from_status: string | null;
        to_status: string;
        version: number;
        actor: string;
        reason: string;
        changed_at: Date;
      }[]
    >(
      `SELECT from_status, to_status, version, actor, reason, changed_at FROM policy_status_history
        WHERE tenant_id = $1 AND policy_id = $2 ORDER BY id`,
      [tenantId, policyId],
    );
    return rows.map((r) => ({
      fromStatus: r.from_status,
      toStatus: r.to_status,
      version: r.version,
      actor: r.actor,
      reason: r.reason,
      changedAt: r.changed_at,
    }));
  }

  async list(tenantId: string, filter: PolicyFilter): Promise<PolicyRow[]> {
    const where = ['tenant_id = $1'];
    const params: unknown[] = [tenantId];
    if (filter.status !== undefined) {
      params.push(filter.status);
      where.push(`status = $${params.length}`);
    }
    if (filter.kind !== undefined) {
      params.push(filter.kind);
      where.push(`kind = $${params.length}`);
    }
    params.push(filter.limit);
    const rows = await this.dataSource.query<RawPolicy[]>(
      `SELECT * FROM policies WHERE ${where.join(' AND ')}
        ORDER BY confidence DESC, updated_at DESC, policy_id LIMIT $${params.length}`,
      params,
    );
    return rows.map(toPolicy);
  }

  /** Active policies of a tenant, for its OPA bundle. */
  async active(tenantId: string): Promise<PolicyRow[]> {
    const rows = await this.dataSource.query<RawPolicy[]>(
      `SELECT * FROM policies WHERE tenant_id = $1 AND status = 'active' ORDER BY policy_id`,
      [tenantId],
    );
    return rows.map(toPolicy);
  }

  /** Proposed policies of a tenant at or above a confidence, unsuppressed. */
  async proposedAtLeast(
    tx: EntityManager,
    tenantId: string,
    confidence: number,
  ): Promise<string[]> {
    const rows = await tx.query<{ policy_id: string }[]>(
      `SELECT policy_id FROM policies
        WHERE tenant_id = $1 AND status = 'proposed' AND NOT suppressed AND confidence >= $2
        ORDER BY policy_id`,
      [tenantId, confidence],
    );
    return rows.map((r) => r.policy_id);
  }

  /** Proposed or active policies whose latest evidence is older than `before` (event time). */
  async stale(tx: EntityManager, tenantId: string, before: Date): Promise<string[]> {
    const rows = await tx.query<{ policy_id: string }[]>(
      `SELECT policy_id FROM policies
        WHERE tenant_id = $1 AND status IN ('proposed', 'active') AND last_evidence_at < $2
        ORDER BY policy_id`,
      [tenantId, before],
    );
    return rows.map((r) => r.policy_id);
  }

  /**
   * The tenant's clock for expiry: the latest event time of its alert
   * evidence. Response evidence (wall-clock action times) never moves it.
   */
  async watermark(tx: EntityManager, tenantId: string): Promise<Date | undefined> {
    const rows = await tx.query<{ w: Date | null }[]>(
      `SELECT max(observed_at) AS w FROM policy_evidence WHERE tenant_id = $1 AND source <> 'response'`,
      [tenantId],
    );
    return rows[0]?.w ?? undefined;
  }

  /** Versions not yet on the policies topic, oldest change first. */
  async unpublished(limit: number): Promise<PolicyRow[]> {
    const rows = await this.dataSource.query<RawPolicy[]>(
      `SELECT * FROM policies WHERE published_version < version ORDER BY updated_at, policy_id LIMIT $1`,
      [limit],
    );
    return rows.map(toPolicy);
  }

  async markPublished(tenantId: string, policyId: string, version: number): Promise<void> {
    await this.dataSource.query(
      `UPDATE policies SET published_version = GREATEST(published_version, $3)
        WHERE tenant_id = $1 AND policy_id = $2`,
      [tenantId, policyId, version],
    );
  }

  /** The tenant's stored threshold: a number, null (set to off), or undefined (never set). */
  async autoActivateThreshold(
    tx: EntityManager | undefined,
    tenantId: string,
  ): Promise<number | null | undefined> {
    const rows = await (tx ?? this.dataSource).query<{ t: string | null }[]>(
      `SELECT auto_activate_threshold AS t FROM policy_tenant_settings WHERE tenant_id = $1`,
      [tenantId],
    );
    if (rows[0] === undefined) {
      return undefined;
    }
    return rows[0].t === null ? null : Number(rows[0].t);
  }

  async setAutoActivateThreshold(
    tx: EntityManager,
    tenantId: string,
    threshold: number | null,
    actor: string,
  ): Promise<void> {
    await tx.query(
      `INSERT INTO policy_tenant_settings (tenant_id, auto_activate_threshold, updated_by)
       VALUES ($1, $2, $3)
       ON CONFLICT (tenant_id) DO UPDATE SET auto_activate_threshold = EXCLUDED.auto_activate_threshold,
         updated_by = EXCLUDED.updated_by, updated_at = now()`,
      [tenantId, threshold, actor],
    );
  }

  /** Policies per kind and status over every tenant, for the gauge. */
  async countsByKindAndStatus(): Promise<{ kind: string; status: string; count: number }[]> {
    const rows = await this.dataSource.query<{ kind: string; status: string; n: number }[]>(
      `SELECT kind, status, count(*)::int AS n FROM policies GROUP BY kind, status`,
    );
    return rows.map((r) => ({ kind: r.kind, status: r.status, count: r.n }));
  }
}
