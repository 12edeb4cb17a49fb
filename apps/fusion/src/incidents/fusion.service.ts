import {
  ConflictException,
  Inject,
  Injectable,
  Logger,
  NotFoundException,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { type Incident, type IncidentStatus, type ThreatAlert } from '@ward/contracts';
import {
  changeStatus,
  correlationKeys,
  decide,
  digest,
  fold,
  type IncidentCore,
  keysOf,
  merge,
  newIncident,
  render,
} from '@ward/detectors';
import { MessageProducer, TopicAdmin } from '@ward/messaging';
import { DURATION_BUCKETS_SECONDS, MetricsService } from '@ward/observability';
import { IncidentRepository } from '@ward/persistence';
import { type EntityManager } from 'typeorm';
import { type Counter, type Histogram } from 'prom-client';
import { FUSION_CONFIG, type FusionConfig } from '../config/fusion.config';
import { IntelService } from '../intel/intel.service';

const OUTBOX_PAGE = 200;
const REASSESS_LIMIT = 5000;

const takesAlerts = (status: IncidentStatus) => status === 'open' || status === 'contained';

/**
 * Transport-free orchestration of the fusion domain: each alert is folded
 * into its incident inside one transaction holding the tenant's lock; every
 * changed incident version is stored with its payload, then published from
 * that outbox to `ward.incidents.v1`, so a crash between the two only delays
 * the publication.
 */
@Injectable()
export class FusionService implements OnApplicationBootstrap {
  private readonly logger = new Logger(FusionService.name);
  private readonly opened: Counter<'severity'>;
  private readonly updated: Counter<'severity'>;
  private readonly duplicates: Counter;
  private readonly intelMatches: Counter;
  private readonly alertsPerIncident: Histogram;
  private readonly latency: Histogram;
  private flushing: Promise<void> | undefined;

  constructor(
    private readonly repo: IncidentRepository,
    private readonly intel: IntelService,
    private readonly producer: MessageProducer,
    private readonly admin: TopicAdmin,
    @Inject(FUSION_CONFIG) private readonly config: FusionConfig,
    metrics: MetricsService,
  ) {
    this.opened = metrics.counter({
      name: 'ward_fusion_incidents_opened_total',
      help: 'Incidents opened, by severity at opening.',
      labelNames: ['severity'],
    });
    this.updated = metrics.counter({
      name: 'ward_fusion_incidents_updated_total',
      help: 'Incident versions after the first (new alerts, merges, status changes, intel), by severity.',
      labelNames: ['severity'],
    });
    this.duplicates = metrics.counter({
      name: 'ward_fusion_duplicate_alerts_total',
      help: 'Alerts already folded into an incident (replays, redeliveries).',
    });
    this.intelMatches = metrics.counter({
      name: 'ward_fusion_intel_matches_total',
      help: 'Threat-intel matches newly found on incidents.',
    });
    this.alertsPerIncident = metrics.histogram({
      name: 'ward_fusion_alerts_per_incident',
      help: 'Alerts in an incident, observed at each of its versions.',
      buckets: [1, 2, 3, 5, 10, 20, 50, 100, 250, 1000],
    });
    const incidents = metrics.gauge({
      name: 'ward_fusion_incidents',
      help: 'Incidents by status and severity across tenants, counted in PostgreSQL at each scrape.',
      labelNames: ['status', 'severity'],
      collect: async () => {
        incidents.reset();
        for (const { status, severity, count } of await this.repo.countsByStatusAndSeverity()) {
          incidents.set({ status, severity }, count);
        }
      },
    });
    this.latency = metrics.histogram({
      name: 'ward_fusion_correlation_seconds',
      help: 'From an alert reaching Kafka to its incident version being published.',
      buckets: [...DURATION_BUCKETS_SECONDS],
    });
  }

  onApplicationBootstrap(): void {
    this.intel.onChange(() => this.reassess());
  }

  /** Folds alerts (in order) into incidents and publishes what changed. */
  async ingest(alerts: readonly { alert: ThreatAlert; kafkaTimestampMs: number }[]): Promise<void> {
    const published: number[] = [];
    for (const { alert, kafkaTimestampMs } of alerts) {
      const changed = await this.repo.withTenant(alert.tenantId, (tx) => this.correlate(tx, alert));
      if (changed) {
        published.push(kafkaTimestampMs);
      }
    }
    await this.flush();
    const now = Date.now();
    for (const t of published) {
      this.latency.observe(Math.max(0, now - t) / 1000);
    }
  }

  private async correlate(tx: EntityManager, alert: ThreatAlert): Promise<boolean> {
    const tenant = alert.tenantId;
    if ((await this.repo.incidentOfAlert(tx, tenant, alert.alertId)) !== undefined) {
      this.duplicates.inc();
      return false;
    }
    const candidates = await this.repo.candidates(tx, tenant, correlationKeys(alert));
    const decision = decide(tenant, alert, candidates, this.config.correlation);
    const ids =
      decision.kind === 'open'
        ? []
        : [decision.incidentId, ...(decision.kind === 'merge' ? decision.absorbed : [])];
    const cores = await this.loadCores(tx, tenant, ids);
    const survivor = cores.get(decision.incidentId) ?? newIncident(tenant, decision.incidentId);
    const before =
      survivor.version === 0
        ? undefined
        : render(survivor, this.intel.current, this.config.correlation, 0);
    if (decision.kind === 'merge') {
      for (const id of decision.absorbed) {
        const absorbed = cores.get(id);
        if (absorbed === undefined) {
          continue;
        }
        merge(survivor, absorbed);
        await this.write(tx, absorbed, []);
        await this.repo.moveAlerts(tx, tenant, id, survivor.incidentId);
        this.logger.log(`incident ${id} merged into ${survivor.incidentId}`);
      }
    }
    fold(survivor, [digest(alert)]);
    const incident = await this.write(tx, survivor, [
      { alertId: alert.alertId, observedAt: alert.observedAt, payload: alert },
    ]);
    if (before === undefined) {
      this.opened.inc({ severity: incident.severity });
    }
    const newMatches = incident.intelMatches.length - (before?.intelMatches.length ?? 0);
    if (newMatches > 0) {
      this.intelMatches.inc(newMatches);
    }
    return true;
  }

  /** Stores the next version of an incident (its payload rendered now) with its keys and new alert links. */
  private async write(
    tx: EntityManager,
    core: IncidentCore,
    links: { alertId: string; observedAt: string; payload: unknown }[],
  ): Promise<Incident> {
    core.version += 1;
    const incident = render(core, this.intel.current, this.config.correlation, Date.now());
    await this.repo.save(
      tx,
      {
        tenantId: core.tenantId,
        incidentId: core.incidentId,
        version: core.version,
        status: core.status,
        severity: incident.severity,
        score: incident.score,
        ...(core.mergedInto !== undefined && { mergedInto: core.mergedInto }),
        alertCount: incident.alertCount,
        agents: incident.agents,
        detectors: incident.detectors,
        firstSeen: incident.firstSeen,
        lastSeen: incident.lastSeen,
        core,
        payload: incident,
        keys: takesAlerts(core.status) ? keysOf(core) : [],
      },
      links,
    );
    if (core.version > 1) {
      this.updated.inc({ severity: incident.severity });
    }
    this.alertsPerIncident.observe(incident.alertCount);
    return incident;
  }

  private async loadCores(
    tx: EntityManager | undefined,
    tenant: string,
    ids: readonly string[],
  ): Promise<Map<string, IncidentCore>> {
    if (ids.length === 0) {
      return new Map();
    }
    const raw = await this.repo.cores(tx, tenant, ids);
    return new Map([...raw].map(([id, core]) => [id, core as IncidentCore]));
  }

  /** An analyst's verdict: a new version with the status, reason and actor, published. */
  async changeStatus(
    tenantId: string,
    incidentId: string,
    status: IncidentStatus,
    reason: string,
    actor: string,
  ): Promise<Incident> {
    const incident = await this.repo.withTenant(tenantId, async (tx) => {
      const core = (await this.loadCores(tx, tenantId, [incidentId])).get(incidentId);
      if (core === undefined) {
        throw new NotFoundException(`no incident ${incidentId}`);
      }
      const from = core.status;
      const refused = changeStatus(core, status, reason, actor);
      if (refused !== undefined) {
        throw new ConflictException(refused);
      }
      const next = await this.write(tx, core, []);
      await this.repo.recordStatus(tx, tenantId, incidentId, {
        fromStatus: from,
        toStatus: status,
        reason,
        actor,
        version: core.version,
      });
      return next;
    });
    await this.flush();
    return incident;
  }

  /** After a feed change: re-renders active incidents and versions those whose assessment changed. */
  async reassess(): Promise<void> {
    let changed = 0;
    for (const { tenantId, incidentId } of await this.repo.active(REASSESS_LIMIT)) {
      const did = await this.repo.withTenant(tenantId, async (tx) => {
        const core = (await this.loadCores(tx, tenantId, [incidentId])).get(incidentId);
        if (core === undefined || !takesAlerts(core.status)) {
          return false;
        }
        const stored = (await this.repo.get(tenantId, incidentId)) as Incident | undefined;
        const now = render(core, this.intel.current, this.config.correlation, 0);
        const same =
          stored !== undefined &&
          stored.severity === now.severity &&
          JSON.stringify(stored.intelMatches) === JSON.stringify(now.intelMatches) &&
          JSON.stringify(stored.escalations) === JSON.stringify(now.escalations);
        if (same) {
          return false;
        }
        const next = await this.write(tx, core, []);
        const added = next.intelMatches.length - (stored?.intelMatches.length ?? 0);
        if (added > 0) {
          this.intelMatches.inc(added);
        }
        return true;
      });
      changed += did ? 1 : 0;
    }
    if (changed > 0) {
      this.logger.log(`threat intel changed: ${changed} incidents re-assessed`);
    }
    await this.flush();
  }

  /** Publishes every stored version not yet on the incidents topic. */
  async flush(): Promise<void> {
    if (this.flushing !== undefined) {
      await this.flushing;
    }
    this.flushing = this.flushOutbox().finally(() => {
      this.flushing = undefined;
    });
    await this.flushing;
  }

  private async flushOutbox(): Promise<void> {
    for (;;) {
      const pending = await this.repo.unpublished(OUTBOX_PAGE);
      if (pending.length === 0) {
        return;
      }
      await this.producer.send(
        this.admin.topics.incidents.name,
        pending.map((p) => ({ key: p.incidentId, value: p.payload })),
      );
      await this.repo.markPublished(pending);
      if (pending.length < OUTBOX_PAGE) {
        return;
      }
    }
  }
}
