import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import {
  agentKey,
  type BehavioralEvent,
  type Policy,
  PolicyContract,
  type PolicyViolation,
} from '@ward/contracts';
import { CallRateCounter, type EnforcedPolicy, PolicySet } from '@ward/detectors';
import { CompactedTable, MessageProducer, MessagingMetrics, TopicAdmin } from '@ward/messaging';
import { MetricsService, ReadinessService } from '@ward/observability';
import { Kafka } from 'kafkajs';
import { type Counter, type Gauge } from 'prom-client';
import { INGEST_CONFIG, type IngestConfig } from '../config/ingest.config';

const MAX_VIOLATIONS = 16;

/**
 * Closes the loop inside Ward: follows `ward.policies.v1` (every instance its
 * own full copy) and evaluates the JSON form of each tenant's active policies
 * against every event before it is published, labelling violations on the
 * event (`policyViolations`) for the monitor to count and alert on. No OPA in
 * the hot path; the semantics are those of the tenant's OPA bundle.
 */
@Injectable()
export class PolicyEnforcer implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(PolicyEnforcer.name);
  private readonly table: CompactedTable<typeof PolicyContract.schema>;
  /** tenant → policy id → active policy. */
  private readonly active = new Map<string, Map<string, EnforcedPolicy>>();
  /** policy id → tenant, to apply tombstones. */
  private readonly tenantOf = new Map<string, string>();
  private readonly sets = new Map<string, PolicySet>();
  private readonly rates = new CallRateCounter();
  private readonly violations: Counter<'kind' | 'effect'>;
  private readonly activeGauge: Gauge;

  constructor(
    kafka: Kafka,
    admin: TopicAdmin,
    producer: MessageProducer,
    messagingMetrics: MessagingMetrics,
    metrics: MetricsService,
    private readonly readiness: ReadinessService,
    @Inject(INGEST_CONFIG) config: IngestConfig,
  ) {
    this.table = new CompactedTable(kafka, admin, producer, messagingMetrics, {
      topic: 'policies',
      contract: PolicyContract,
      groupPrefix: `${config.rawTopic.consumerGroup}-policies`,
      apply: (key, value) => this.apply(key, value),
    });
    this.violations = metrics.counter({
      name: 'ward_ingest_policy_violations_total',
      help: 'Policy violations labelled on events, by policy kind and effect (deny, escalate).',
      labelNames: ['kind', 'effect'],
    });
    this.activeGauge = metrics.gauge({
      name: 'ward_ingest_active_policies',
      help: 'Active policies this instance enforces, across tenants.',
      collect: () => {
        let n = 0;
        for (const m of this.active.values()) {
          n += m.size;
        }
        this.activeGauge.set(n);
      },
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    this.readiness.register('policies', () =>
      Promise.resolve(this.table.caughtUp ? true : 'still reading ward.policies.v1'),
    );
    await this.table.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.table.stop();
  }

  private apply(key: string, value: Policy | null): void {
    const previousTenant = this.tenantOf.get(key);
    if (previousTenant !== undefined) {
      this.active.get(previousTenant)?.delete(key);
      this.sets.delete(previousTenant);
      this.tenantOf.delete(key);
    }
    if (value === null || value.status !== 'active' || value.policyId !== key) {
      return;
    }
    const policies = this.active.get(value.tenantId) ?? new Map<string, EnforcedPolicy>();
    policies.set(key, {
      policyId: value.policyId,
      version: value.version,
      kind: value.kind,
      rule: value.rule,
    });
    this.active.set(value.tenantId, policies);
    this.tenantOf.set(key, value.tenantId);
    this.sets.delete(value.tenantId);
    this.logger.log(
      `enforcing policy ${key} v${value.version} (${value.kind}) for ${value.tenantId}`,
    );
  }

  private setOf(tenantId: string): PolicySet | undefined {
    const policies = this.active.get(tenantId);
    if (policies === undefined || policies.size === 0) {
      return undefined;
    }
    let set = this.sets.get(tenantId);
    if (set === undefined) {
      set = new PolicySet([...policies.values()]);
      this.sets.set(tenantId, set);
    }
    return set;
  }

  /** The event with the active policies it violates, if any. */
  label(event: BehavioralEvent): BehavioralEvent {
    const set = this.setOf(event.tenantId);
    if (set === undefined) {
      return event;
    }
    const callsPerMinute = set.needsCallRate
      ? this.rates.record(agentKey(event.tenantId, event.agentId), Date.parse(event.timestamp))
      : undefined;
    const verdict = set.evaluate({
      event,
      ...(callsPerMinute !== undefined && { context: { callsPerMinute } }),
    });
    if (verdict.violations.length === 0) {
      return event;
    }
    const violations: PolicyViolation[] = [
      ...verdict.violations.filter((v) => v.effect === 'deny'),
      ...verdict.violations.filter((v) => v.effect === 'escalate'),
    ].slice(0, MAX_VIOLATIONS);
    for (const v of violations) {
      this.violations.inc({ kind: v.kind, effect: v.effect });
    }
    return { ...event, policyViolations: violations };
  }
}
