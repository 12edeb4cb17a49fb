import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { type AgentControl, agentKey } from '@ward/contracts';
import { deterministicId } from '@ward/detectors';
import { MessageProducer, TopicAdmin } from '@ward/messaging';
import { MonitorStateRepository, type OperatorAction } from '@ward/persistence';
import { agentControl } from '../alerts/alert-factory';
import { MONITOR_CONFIG, type MonitorConfig } from '../config/monitor.config';
import { ProfilesService } from '../profiles/profiles.service';
import { ConfiguredTiers } from './configured-tiers';

/**
 * Operator actions (set or clear a configured tier, reset a baseline): the API
 * records them in PostgreSQL in order; every replica applies them within
 * MONITOR_REFRESH_SECONDS: configured tiers everywhere, resets where the
 * agent's partition lives. A partition restored later applies the resets it
 * missed, since each profile remembers the last reset it applied.
 */
@Injectable()
export class OperatorActionsService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(OperatorActionsService.name);
  private lastSeq = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    @Inject(MONITOR_CONFIG) private readonly config: MonitorConfig,
    private readonly repo: MonitorStateRepository,
    private readonly configured: ConfiguredTiers,
    private readonly profiles: ProfilesService,
    private readonly producer: MessageProducer,
    private readonly admin: TopicAdmin,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const { seq, tiers } = await this.repo.configuredTiers();
    this.configured.replaceAll(tiers);
    // Resets for partitions loaded later are applied when they load (ProfilesService.ensure).
    this.lastSeq = seq;
    await this.poll();
    this.timer = setInterval(() => {
      this.poll().catch((error: unknown) =>
        this.logger.warn(`applying operator actions failed: ${String(error)}`),
      );
    }, this.config.refreshMs);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  /** Records a tier action, publishes the resulting control state, returns it. */
  async setTier(input: {
    tenantId: string;
    agentId: string;
    tier: number | null;
    reason: string;
    actor: string;
    /** Who asked: an operator over the API (default) or a response playbook. */
    source?: 'operator' | 'response-engine';
  }): Promise<AgentControl> {
    const source = input.source ?? 'operator';
    const key = agentKey(input.tenantId, input.agentId);
    const summary = await this.repo.getAgent(
      this.config.consumerGroup,
      input.tenantId,
      input.agentId,
    );
    const behaviorTier = summary?.behaviorTier ?? 1;
    const previous = Math.max(behaviorTier, summary?.configuredTier ?? 1);
    const next = Math.max(behaviorTier, input.tier ?? 1);
    const action = await this.repo.addOperatorAction(
      {
        tenantId: input.tenantId,
        agentId: input.agentId,
        kind: input.tier === null ? 'clear_tier' : 'set_tier',
        tier: input.tier,
        reason: input.reason,
        actor: input.actor,
      },
      {
        tenantId: input.tenantId,
        agentId: input.agentId,
        fromTier: previous,
        toTier: next,
        source,
        reason: input.reason,
        changeIdOf: (seq) => deterministicId(input.tenantId, input.agentId, source, seq),
      },
    );
    this.configured.set(key, input.tier);
    const control = agentControl({
      tenantId: input.tenantId,
      agentId: input.agentId,
      behaviorTier,
      configuredTier: input.tier ?? undefined,
      previousTier: previous,
      source,
      actor: input.actor,
      reason: input.reason,
      atMs: action.createdAt.getTime(),
    });
    await this.producer.send(this.admin.topics.agentControl.name, [{ key, value: control }]);
    return control;
  }

  /**
   * A tier set by a response playbook (set_tier, quarantine) is kept as a
   * configured tier, so it survives the monitor's own later records. It only
   * ever raises the configured tier, and a replay changes nothing. A rate
   * limit alone (tier 2 with rateLimitPerMinute) is left to its own record:
   * configured tiers do not carry rate limits yet.
   */
  async applyPlaybookControl(control: AgentControl): Promise<boolean> {
    if (control.rateLimitPerMinute !== undefined && control.tier < 4) {
      return false;
    }
    // The database, not this replica's copy: one agent's records arrive on one
    // partition, so the check and the change are never raced by another replica.
    const summary = await this.repo.getAgent(
      this.config.consumerGroup,
      control.tenantId,
      control.agentId,
    );
    // What the playbook asked for is its configured tier. The record this
    // monitor publishes after applying it carries the same configured tier
    // (and the effective tier, which can be higher): comparing `tier` would
    // read that record as a new, higher request and apply it a second time.
    const requested = control.configuredTier ?? control.tier;
    const current = summary?.configuredTier ?? 1;
    if (requested <= current) {
      return false;
    }
    await this.setTier({
      tenantId: control.tenantId,
      agentId: control.agentId,
      tier: requested,
      reason: control.reason,
      actor: control.actor ?? 'response-engine',
      source: 'response-engine',
    });
    return true;
  }

  async resetBaseline(input: {
    tenantId: string;
    agentId: string;
    reason: string;
    actor: string;
  }): Promise<OperatorAction> {
    const action = await this.repo.addOperatorAction({
      ...input,
      kind: 'reset_baseline',
      tier: null,
    });
    await this.poll();
    return action;
  }

  async poll(): Promise<void> {
    for (;;) {
      const actions = await this.repo.operatorActionsAfter(this.lastSeq);
      if (actions.length === 0) {
        return;
      }
      for (const action of actions) {
        await this.apply(action);
        this.lastSeq = action.seq;
      }
    }
  }

  private async apply(action: OperatorAction): Promise<void> {
    const key = agentKey(action.tenantId, action.agentId);
    if (action.kind === 'reset_baseline') {
      await this.profiles.reset(action.tenantId, action.agentId, action.seq);
      return;
    }
    this.configured.set(key, action.kind === 'clear_tier' ? null : action.tier);
  }
}
