import { ConflictException, Inject, Injectable, Logger, NotFoundException } from '@nestjs/common';
import {
  type Incident,
  type Policy,
  type PolicyKind,
  PolicyContract,
  type PolicyStatus,
  type ResponseAction,
  type Severity,
  type ThreatAlert,
} from '@ward/contracts';
import {
  confidenceOf,
  draftPolicy,
  type EvidenceSource,
  maxSeverity,
  observationsFromAction,
  observationsFromAlert,
  type PatternObservation,
  renderRego,
} from '@ward/detectors';
import { MessageProducer, TopicAdmin } from '@ward/messaging';
import { MetricsService } from '@ward/observability';
import {
  AuditRepository,
  type EvidenceRow,
  PolicyRepository,
  type PolicyRow,
} from '@ward/persistence';
import { type Counter, type Histogram } from 'prom-client';
import { type EntityManager } from 'typeorm';
import { POLICY_CONFIG, type PolicyConfig } from '../config/policy.config';

const OUTBOX_PAGE = 200;
const EVIDENCE_LIMIT = 5000;
const LISTED_IDS = 50;
const SYSTEM_ACTOR = 'policy-generator';

type Transition = 'approve' | 'reject' | 'retire';

const TRANSITIONS: Readonly<Record<Transition, { from: PolicyStatus[]; to: PolicyStatus }>> = {
  approve: { from: ['proposed'], to: 'active' },
  reject: { from: ['proposed'], to: 'rejected' },
  retire: { from: ['proposed', 'active'], to: 'retired' },
};

const toObservation = (r: EvidenceRow): PatternObservation => ({
  tenantId: r.tenantId,
  policyId: r.policyId,
  kind: r.kind as PolicyKind,
  subject: r.subject,
  sourceId: r.sourceId,
  source: r.source as EvidenceSource,
  occurrence: r.occurrence,
  detector: r.detector,
  severity: r.severity as Severity,
  observedAtMs: r.observedAt.getTime(),
  ...(r.alertId !== undefined && { alertId: r.alertId }),
  ...(r.incidentId !== undefined && { incidentId: r.incidentId }),
  ...(r.runId !== undefined && { runId: r.runId }),
  facts: r.facts as PatternObservation['facts'],
});

const toRow = (o: PatternObservation): EvidenceRow => ({
  tenantId: o.tenantId,
  policyId: o.policyId,
  sourceId: o.sourceId,
  kind: o.kind,
  subject: o.subject,
  source: o.source,
  occurrence: o.occurrence,
  detector: o.detector,
  severity: o.severity,
  observedAt: new Date(o.observedAtMs),
  ...(o.alertId !== undefined && { alertId: o.alertId }),
  ...(o.incidentId !== undefined && { incidentId: o.incidentId }),
  ...(o.runId !== undefined && { runId: o.runId }),
  facts: o.facts,
});

/** A policy version without what changes on every write, to tell real changes apart. */
const essence = (p: Policy) => {
  const { version: _v, updatedAt: _u, rego: _r, ...rest } = p;
  return JSON.stringify(rest);
};

/**
 * Transport-free orchestration of policy mining: evidence from alerts,
 * incidents and response actions is stored per pattern inside one
 * transaction holding the tenant's lock; each touched pattern is re-scored,
 * becomes or updates its policy, auto-activates above the tenant's
 * threshold, and every new version is published from the outbox to
 * `ward.policies.v1` (a tombstone once rejected or retired).
 */
@Injectable()
export class PolicyService {
  private readonly logger = new Logger(PolicyService.name);
  private readonly activations: Counter<'mode'>;
  private readonly transitions: Counter<'kind' | 'to'>;
  private readonly evidence: Counter<'source'>;
  private readonly confidence: Histogram<'kind'>;
  private flushing: Promise<void> | undefined;

  constructor(
    private readonly repo: PolicyRepository,
    private readonly audit: AuditRepository,
    private readonly producer: MessageProducer,
    private readonly admin: TopicAdmin,
    @Inject(POLICY_CONFIG) private readonly config: PolicyConfig,
    metrics: MetricsService,
  ) {
    this.activations = metrics.counter({
      name: 'ward_policy_activations_total',
      help: 'Policies activated, automatically (confidence at the tenant threshold) or by a person.',
      labelNames: ['mode'],
    });
    this.transitions = metrics.counter({
      name: 'ward_policy_transitions_total',
      help: 'Policy status changes, by kind and new status (proposed counts new proposals).',
      labelNames: ['kind', 'to'],
    });
    this.evidence = metrics.counter({
      name: 'ward_policy_evidence_total',
      help: 'New pieces of pattern evidence stored, by source (monitor, ingest, response).',
      labelNames: ['source'],
    });
    this.confidence = metrics.histogram({
      name: 'ward_policy_confidence',
      help: 'Confidence of each policy version written, by kind.',
      labelNames: ['kind'],
      buckets: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1],
    });
  }

  async ingestAlerts(alerts: readonly ThreatAlert[]): Promise<void> {
    await this.byTenant(
      alerts,
      (a) => a.tenantId,
      async (tx, tenant, batch) => {
        const observations = batch.flatMap(observationsFromAlert);
        await this.absorb(tx, tenant, observations);
      },
    );
  }

  async ingestActions(actions: readonly ResponseAction[]): Promise<void> {
    await this.byTenant(
      actions,
      (a) => a.tenantId,
      async (tx, tenant, batch) => {
        // Actions happen on the wall clock, patterns in event time: an action's
        // evidence is placed no later than the tenant's event-time clock, so a
        // tenant whose alerts carry old event times (a replay, a backfill) does
        // not see its window jump to now, its evidence fall out of the window,
        // and its other policies retired as quiet.
        const clock = (await this.repo.watermark(tx, tenant))?.getTime();
        const observations: PatternObservation[] = [];
        for (const action of batch) {
          const { observations: direct, corroborates } = observationsFromAction(action);
          observations.push(...direct);
          for (const { agentId, observation } of corroborates) {
            for (const p of await this.repo.patternsOf(tx, tenant, `agent:${agentId}`)) {
              observations.push({
                ...observation,
                policyId: p.policyId,
                kind: p.kind as PolicyKind,
                subject: p.subject,
              });
            }
          }
        }
        await this.absorb(
          tx,
          tenant,
          clock === undefined
            ? observations
            : observations.map((o) => ({ ...o, observedAtMs: Math.min(o.observedAtMs, clock) })),
        );
      },
    );
  }

  /** Incident versions: which alerts ended up together, and analysts' verdicts. */
  async ingestIncidents(incidents: readonly Incident[]): Promise<void> {
    await this.byTenant(
      incidents,
      (i) => i.tenantId,
      async (tx, tenant, batch) => {
        const touched = new Set<string>();
        for (const incident of batch) {
          const changed = await this.repo.upsertIncident(
            tx,
            tenant,
            incident.incidentId,
            incident.version,
            incident.status,
            incident.alertIds,
          );
          if (changed) {
            for (const id of await this.repo.patternsOfAlerts(tx, tenant, incident.alertIds)) {
              touched.add(id);
            }
          }
        }
        for (const id of [...touched].sort()) {
          await this.reassess(tx, tenant, id);
        }
      },
    );
  }

  private async byTenant<T>(
    items: readonly T[],
    tenantOf: (item: T) => string,
    work: (tx: EntityManager, tenant: string, batch: T[]) => Promise<void>,
  ): Promise<void> {
    const groups = new Map<string, T[]>();
    for (const item of items) {
      const list = groups.get(tenantOf(item)) ?? [];
      list.push(item);
      groups.set(tenantOf(item), list);
    }
    for (const [tenant, batch] of groups) {
      await this.repo.withTenant(tenant, async (tx) => {
        await work(tx, tenant, batch);
        await this.expire(tx, tenant);
      });
    }
    await this.flush();
  }

  private async absorb(
    tx: EntityManager,
    tenant: string,
    observations: readonly PatternObservation[],
  ): Promise<void> {
    if (observations.length === 0) {
      return;
    }
    const changed = await this.repo.addEvidence(tx, observations.map(toRow));
    const fresh = new Set(changed);
    for (const o of observations) {
      if (fresh.has(o.policyId)) {
        this.evidence.inc({ source: o.source });
      }
    }
    for (const id of [...fresh].sort()) {
      await this.reassess(tx, tenant, id);
    }
  }

  /** Re-scores one pattern from its evidence in the window and writes its policy's next version if anything changed. */
  private async reassess(tx: EntityManager, tenant: string, policyId: string): Promise<void> {
    const latest = await this.repo.latestEvidence(tx, tenant, policyId);
    if (latest === undefined) {
      return;
    }
    const since = new Date(latest.observedAt.getTime() - this.config.windowMs);
    const rows = await this.repo.evidence(tx, tenant, policyId, since, EVIDENCE_LIMIT);
    const observations = rows.map(toObservation);
    const kind = latest.kind as PolicyKind;
    const occurrences = rows.filter((r) => r.occurrence);
    const alertIds = [...new Set(rows.flatMap((r) => (r.alertId ? [r.alertId] : [])))];
    const { incidentIds, falsePositives } = await this.repo.incidentsOfAlerts(tx, tenant, alertIds);
    const allIncidents = [
      ...new Set([...incidentIds, ...rows.flatMap((r) => (r.incidentId ? [r.incidentId] : []))]),
    ];
    const score = confidenceOf({
      occurrences: occurrences.length,
      maxSeverity: maxSeverity(occurrences.map((r) => r.severity as Severity)),
      detectors: occurrences.map((r) => r.detector),
      sources: rows.map((r) => r.source as EvidenceSource),
      incidents: allIncidents.length,
      falsePositives,
    });
    const draft = draftPolicy(kind, latest.subject, observations);
    const existing = await this.repo.get(tx, tenant, policyId, true);
    const before = existing?.payload as Policy | undefined;
    if (draft === undefined) {
      return;
    }
    let status: PolicyStatus;
    if (before === undefined) {
      if (score.suppressed || score.confidence < this.config.minConfidence) {
        return;
      }
      status = 'proposed';
    } else if (before.status === 'rejected') {
      return;
    } else if (before.status === 'retired') {
      const automatic = before.statusActor === SYSTEM_ACTOR;
      const renewed = latest.observedAt.getTime() > Date.parse(before.evidence.windowEnd);
      if (
        !automatic ||
        !renewed ||
        score.suppressed ||
        score.confidence < this.config.minConfidence
      ) {
        return;
      }
      status = 'proposed';
    } else {
      status = before.status;
    }
    const now = new Date().toISOString();
    const frozen = before?.status === 'active';
    const windowStart = new Date(
      Math.max(since.getTime(), Math.min(...rows.map((r) => r.observedAt.getTime()))),
    );
    let next: Policy = {
      schemaVersion: 1,
      policyId,
      version: (before?.version ?? 0) + 1,
      tenantId: tenant,
      kind,
      status,
      title: frozen ? before.title : draft.title,
      subject: latest.subject,
      scope: frozen ? before.scope : draft.scope,
      rule: frozen ? before.rule : draft.rule,
      rego: '',
      confidence: score.confidence,
      suppressed: score.suppressed,
      evidence: {
        occurrences: occurrences.length,
        windowStart: windowStart.toISOString(),
        windowEnd: latest.observedAt.toISOString(),
        detectors: [...new Set(rows.map((r) => r.detector))].sort(),
        sources: [...new Set(rows.map((r) => r.source))].sort(),
        maxSeverity: maxSeverity(occurrences.map((r) => r.severity as Severity)),
        alertIds: alertIds.slice(0, LISTED_IDS),
        incidentIds: allIncidents.slice(0, LISTED_IDS),
        runIds: [...new Set(rows.flatMap((r) => (r.runId ? [r.runId] : [])))].slice(0, LISTED_IDS),
        falsePositives,
        factors: score.factors,
      },
      ...(status === before?.status && carryActivation(before)),
      createdAt: before?.createdAt ?? now,
      updatedAt: now,
    };
    let change: { to: PolicyStatus; actor: string; reason: string } | undefined =
      status !== before?.status
        ? {
            to: status,
            actor: SYSTEM_ACTOR,
            reason: `confidence ${score.confidence} from ${occurrences.length} occurrence(s)`,
          }
        : undefined;
    const threshold = await this.thresholdOf(tx, tenant);
    if (
      next.status === 'proposed' &&
      !score.suppressed &&
      threshold !== undefined &&
      score.confidence >= threshold
    ) {
      next = {
        ...next,
        status: 'active',
        activation: 'automatic',
        activatedBy: SYSTEM_ACTOR,
        activatedAt: now,
        statusActor: SYSTEM_ACTOR,
        statusReason: `confidence ${score.confidence} reached the tenant's auto-activation threshold ${threshold}`,
      };
      change = { to: 'active', actor: SYSTEM_ACTOR, reason: next.statusReason! };
    } else if (next.status === 'active' && score.suppressed && next.activation === 'automatic') {
      const reason = `suppressed: analysts marked ${falsePositives} of ${allIncidents.length} incident(s) false positive`;
      next = { ...next, status: 'retired', statusActor: SYSTEM_ACTOR, statusReason: reason };
      change = { to: 'retired', actor: SYSTEM_ACTOR, reason };
    } else if (change !== undefined) {
      next = { ...next, statusActor: change.actor, statusReason: change.reason };
    }
    if (before !== undefined && change === undefined && essence(before) === essence(next)) {
      return;
    }
    await this.write(tx, next, before?.status ?? null, change, latest.observedAt);
  }

  private async thresholdOf(
    tx: EntityManager | undefined,
    tenant: string,
  ): Promise<number | undefined> {
    const stored = await this.repo.autoActivateThreshold(tx, tenant);
    return stored === undefined ? this.config.autoActivate.get(tenant) : (stored ?? undefined);
  }

  /** The auto-activation threshold in force for a tenant (the settings API's, else POLICY_AUTO_ACTIVATE's). */
  thresholdFor(tenant: string): Promise<number | undefined> {
    return this.thresholdOf(undefined, tenant);
  }

  /** Stores a tenant's threshold and activates the proposals that already reach it. */
  async setThreshold(tenant: string, threshold: number | null, actor: string): Promise<void> {
    await this.repo.withTenant(tenant, async (tx) => {
      await this.repo.setAutoActivateThreshold(tx, tenant, threshold, actor);
      if (threshold === null) {
        return;
      }
      for (const policyId of await this.repo.proposedAtLeast(tx, tenant, threshold)) {
        const row = await this.repo.get(tx, tenant, policyId, true);
        const current = row?.payload as Policy | undefined;
        if (row === undefined || current === undefined) {
          continue;
        }
        const now = new Date().toISOString();
        const reason = `confidence ${current.confidence} reached the tenant's auto-activation threshold ${threshold} (set by ${actor})`;
        await this.write(
          tx,
          {
            ...current,
            status: 'active',
            version: current.version + 1,
            activation: 'automatic',
            activatedBy: SYSTEM_ACTOR,
            activatedAt: now,
            statusActor: SYSTEM_ACTOR,
            statusReason: reason,
            updatedAt: now,
          },
          current.status,
          { to: 'active', actor: SYSTEM_ACTOR, reason },
          row.lastEvidenceAt,
        );
      }
    });
    await this.flush();
  }

  /** Stores a version (its Rego rendered now), with its status change in the history and the audit log. */
  private async write(
    tx: EntityManager,
    policy: Policy,
    from: PolicyStatus | null,
    change: { to: PolicyStatus; actor: string; reason: string } | undefined,
    lastEvidenceAt: Date,
  ): Promise<Policy> {
    const rendered: Policy = { ...policy, rego: renderRego(policy) };
    const checked = PolicyContract.validate(rendered);
    if (!checked.ok) {
      throw new Error(
        `policy ${policy.policyId} would break its contract: ${checked.issues.map((i) => `${i.path} ${i.message}`).join('; ')}`,
      );
    }
    await this.repo.save(tx, {
      tenantId: rendered.tenantId,
      policyId: rendered.policyId,
      kind: rendered.kind,
      subject: rendered.subject,
      status: rendered.status,
      version: rendered.version,
      confidence: rendered.confidence,
      suppressed: rendered.suppressed,
      lastEvidenceAt,
      payload: rendered,
    });
    this.confidence.observe({ kind: rendered.kind }, rendered.confidence);
    if (change !== undefined) {
      await this.repo.recordStatus(tx, rendered.tenantId, rendered.policyId, {
        fromStatus: from,
        toStatus: change.to,
        version: rendered.version,
        actor: change.actor,
        reason: change.reason,
      });
      await this.audit.append(
        [
          {
            tenantId: rendered.tenantId,
            kind: 'policy.status',
            body: {
              policyId: rendered.policyId,
              version: rendered.version,
              kind: rendered.kind,
              from,
              to: change.to,
              actor: change.actor,
              reason: change.reason,
              confidence: rendered.confidence,
              rule: rendered.rule,
            },
          },
        ],
        tx,
      );
      this.transitions.inc({ kind: rendered.kind, to: change.to });
      if (change.to === 'active') {
        this.activations.inc({ mode: rendered.activation ?? 'manual' });
      }
      this.logger.log(
        `policy ${rendered.policyId} (${rendered.kind}, tenant ${rendered.tenantId}) ${from ?? 'new'} → ${change.to} by ${change.actor}: ${change.reason}`,
      );
    }
    return rendered;
  }

  /** Retires the tenant's proposed and active policies whose pattern went quiet (event time). */
  private async expire(tx: EntityManager, tenant: string): Promise<void> {
    const watermark = await this.repo.watermark(tx, tenant);
    if (watermark === undefined) {
      return;
    }
    const before = new Date(watermark.getTime() - this.config.expiryMs);
    for (const policyId of await this.repo.stale(tx, tenant, before)) {
      const row = await this.repo.get(tx, tenant, policyId, true);
      const policy = row?.payload as Policy | undefined;
      if (row === undefined || policy === undefined) {
        continue;
      }
      const reason = `expired: no evidence since ${row.lastEvidenceAt.toISOString()} (tenant event time ${watermark.toISOString()})`;
      await this.write(
        tx,
        {
          ...policy,
          status: 'retired',
          version: policy.version + 1,
          statusActor: SYSTEM_ACTOR,
          statusReason: reason,
          updatedAt: new Date().toISOString(),
        },
        policy.status,
        { to: 'retired', actor: SYSTEM_ACTOR, reason },
        row.lastEvidenceAt,
      );
    }
  }

  /** A person's decision: approve (activate), reject or retire, with a reason. */
  async decide(
    tenantId: string,
    policyId: string,
    transition: Transition,
    actor: string,
    reason: string,
  ): Promise<Policy> {
    const { from, to } = TRANSITIONS[transition];
    const policy = await this.repo.withTenant(tenantId, async (tx) => {
      const row = await this.repo.get(tx, tenantId, policyId, true);
      if (row === undefined) {
        throw new NotFoundException('no such policy');
      }
      const current = row.payload as Policy;
      if (!from.includes(current.status)) {
        throw new ConflictException(
          `cannot ${transition} a policy that is ${current.status} (only ${from.join(' or ')})`,
        );
      }
      const now = new Date().toISOString();
      const next: Policy = {
        ...current,
        status: to,
        version: current.version + 1,
        statusActor: actor,
        statusReason: reason,
        updatedAt: now,
        ...(to === 'active' && { activation: 'manual', activatedBy: actor, activatedAt: now }),
      };
      return this.write(tx, next, current.status, { to, actor, reason }, row.lastEvidenceAt);
    });
    await this.flush();
    return policy;
  }

  /** Publishes every policy version not yet on the topic: the policy, or a tombstone once it is rejected or retired. */
  async flush(): Promise<void> {
    while (this.flushing !== undefined) {
      await this.flushing;
    }
    this.flushing = this.flushOutbox().finally(() => {
      this.flushing = undefined;
    });
    await this.flushing;
  }

  private async flushOutbox(): Promise<void> {
    const topic = this.admin.topics.policies.name;
    for (;;) {
      const pending = await this.repo.unpublished(OUTBOX_PAGE);
      if (pending.length === 0) {
        return;
      }
      await this.producer.sendRaw(
        topic,
        pending.map((p: PolicyRow) => ({
          key: p.policyId,
          value:
            p.status === 'proposed' || p.status === 'active' ? JSON.stringify(p.payload) : null,
        })),
      );
      for (const p of pending) {
        await this.repo.markPublished(p.tenantId, p.policyId, p.version);
      }
      if (pending.length < OUTBOX_PAGE) {
        return;
      }
    }
  }
}

function carryActivation(p: Policy): Partial<Policy> {
  return {
    ...(p.activation !== undefined && { activation: p.activation }),
    ...(p.activatedBy !== undefined && { activatedBy: p.activatedBy }),
    ...(p.activatedAt !== undefined && { activatedAt: p.activatedAt }),
    ...(p.statusActor !== undefined && { statusActor: p.statusActor }),
    ...(p.statusReason !== undefined && { statusReason: p.statusReason }),
  };
}
