import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  type AgentControl,
  agentKey,
  type BehavioralEvent,
  type ThreatAlert,
} from '@ward/contracts';
import {
  alertContextOf,
  type AgentProfile,
  deserializeProfile,
  deterministicId,
  METRICS,
  newProfile,
  ProfileEngine,
  serializeProfile,
  type TierChange,
} from '@ward/detectors';
import { type InboundMessage } from '@ward/messaging';
import {
  type ControlRow,
  DedupStore,
  MonitorStateRepository,
  type ProfileRow,
  type TierChangeRow,
} from '@ward/persistence';
import { agentControl, alertFromFinding } from '../alerts/alert-factory';
import { MONITOR_CONFIG, type MonitorConfig } from '../config/monitor.config';
import { ConfiguredTiers } from '../tiers/configured-tiers';
import { TenantSettingsService } from './tenant-settings.service';

interface AgentEntry {
  readonly tenantId: string;
  readonly agentId: string;
  readonly profile: AgentProfile;
  lastEventMs: number;
}

interface PartitionState {
  /** Next offset to apply; messages below it are already in the state. */
  nextOffset: bigint | null;
  readonly agents: Map<string, AgentEntry>;
}

export interface BatchResult {
  readonly alerts: ThreatAlert[];
  readonly controls: AgentControl[];
  readonly profiled: number;
  readonly late: number;
  readonly duplicates: number;
  readonly skipped: number;
  readonly windowsClosed: number;
  /** Writes the new state with the offsets; call once the alerts and controls are published. */
  readonly checkpoint: () => Promise<void>;
}

/**
 * Per-agent profiles for the partitions this instance owns. The state of a
 * partition is loaded from its checkpoint on first sight, updated in memory by
 * the pure ProfileEngine, and checkpointed with the partition's next offset in
 * one PostgreSQL transaction, so a restart or rebalance resumes exactly where
 * the state stands: nothing lost, nothing counted twice.
 */
@Injectable()
export class ProfilesService {
  private readonly logger = new Logger(ProfilesService.name);
  private readonly engine = new ProfileEngine();
  private readonly partitions = new Map<number, PartitionState>();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    @Inject(MONITOR_CONFIG) private readonly config: MonitorConfig,
    private readonly repo: MonitorStateRepository,
    private readonly settings: TenantSettingsService,
    private readonly configured: ConfiguredTiers,
    private readonly dedup: DedupStore,
  ) {}

  /** Agents in memory by effective tier (max of configured and behavior tier), for the tier gauge. */
  agentsByTier(): Map<number, number> {
    const counts = new Map<number, number>([
      [1, 0],
      [2, 0],
      [3, 0],
      [4, 0],
    ]);
    for (const p of this.partitions.values()) {
      for (const [key, entry] of p.agents) {
        const tier = Math.max(entry.profile.behaviorTier, this.configured.get(key) ?? 1);
        counts.set(tier, (counts.get(tier) ?? 0) + 1);
      }
    }
    return counts;
  }

  get trackedAgents(): number {
    let n = 0;
    for (const p of this.partitions.values()) {
      n += p.agents.size;
    }
    return n;
  }

  /** Forgets partitions this instance no longer owns; they are reloaded if they come back. */
  retain(partitions: readonly number[]): void {
    const owned = new Set(partitions);
    for (const p of [...this.partitions.keys()]) {
      if (!owned.has(p)) {
        this.partitions.delete(p);
      }
    }
  }

  /** Runs `work` after everything queued before it (batches and operator actions never interleave). */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  async process(
    topic: string,
    partition: number,
    firstOffset: string,
    lastOffset: string,
    messages: readonly InboundMessage<BehavioralEvent>[],
  ): Promise<BatchResult> {
    const state = await this.ensure(topic, partition, BigInt(firstOffset));
    try {
      return await this.apply(topic, partition, state, BigInt(lastOffset) + 1n, messages);
    } catch (error) {
      // The in-memory state may be half-updated: drop it, the retry reloads the checkpoint.
      this.partitions.delete(partition);
      throw error;
    }
  }

  /**
   * Drops what this instance holds for a partition, so the next batch reloads
   * it from the last checkpoint. For a batch that was applied in memory but
   * whose alerts, controls or checkpoint did not get through: retrying it on
   * the updated profiles would count its events twice.
   */
  discard(partition: number): void {
    this.partitions.delete(partition);
  }

  /** Applies an operator's baseline reset to an agent this instance holds, and checkpoints it. */
  async reset(tenantId: string, agentId: string, seq: number, topic: string): Promise<boolean> {
    const key = agentKey(tenantId, agentId);
    for (const [partition, state] of this.partitions) {
      const entry = state.agents.get(key);
      if (entry === undefined || entry.profile.resetSeq >= seq || state.nextOffset === null) {
        continue;
      }
      this.engine.reset(entry.profile, seq);
      await this.repo.checkpoint({
        group: this.config.consumerGroup,
        topic,
        partition,
        nextOffset: state.nextOffset.toString(),
        profiles: [this.row(entry)],
        tierChanges: [],
        controls: [],
      });
      return true;
    }
    return false;
  }

  /** Live view of an agent held here: open windows and baselines. */
  live(tenantId: string, agentId: string) {
    const key = agentKey(tenantId, agentId);
    for (const state of this.partitions.values()) {
      const entry = state.agents.get(key);
      if (entry !== undefined) {
        const open = entry.profile.windows.at(-1);
        return {
          openWindow:
            open === undefined
              ? null
              : {
                  start: new Date(open.start).toISOString(),
                  metrics: this.engine.metricValues(open),
                },
          baselines: this.baselines(entry.profile),
        };
      }
    }
    return null;
  }

  private async ensure(topic: string, partition: number, first: bigint): Promise<PartitionState> {
    const known = this.partitions.get(partition);
    if (known !== undefined && (known.nextOffset === null || first <= known.nextOffset)) {
      return known;
    }
    // First sight, or another replica moved the partition on while we did not own it.
    const loaded = await this.repo.loadPartition(this.config.consumerGroup, topic, partition);
    const agents = new Map<string, AgentEntry>();
    for (const row of loaded.profiles) {
      const profile = deserializeProfile(row.state);
      agents.set(agentKey(row.tenantId, row.agentId), {
        tenantId: row.tenantId,
        agentId: row.agentId,
        profile,
        lastEventMs: profile.maxTs,
      });
    }
    if (agents.size > 0) {
      // Baseline resets requested while no replica held these agents.
      const since = Math.min(...[...agents.values()].map((e) => e.profile.resetSeq));
      for (let after = since; ;) {
        const resets = await this.repo.operatorActionsAfter(after, 1000, 'reset_baseline');
        for (const r of resets) {
          const entry = agents.get(agentKey(r.tenantId, r.agentId));
          if (entry !== undefined && entry.profile.resetSeq < r.seq) {
            this.engine.reset(entry.profile, r.seq);
          }
        }
        if (resets.length < 1000) {
          break;
        }
        after = resets.at(-1)!.seq;
      }
    }
    const state: PartitionState = {
      nextOffset: loaded.nextOffset === null ? null : BigInt(loaded.nextOffset),
      agents,
    };
    this.partitions.set(partition, state);
    this.logger.log(
      `partition ${partition}: restored ${agents.size} agents, resuming at offset ${loaded.nextOffset ?? 'start'}`,
    );
    return state;
  }

  private async apply(
    topic: string,
    partition: number,
    state: PartitionState,
    nextOffset: bigint,
    messages: readonly InboundMessage<BehavioralEvent>[],
  ): Promise<BatchResult> {
    const from = state.nextOffset;
    const fresh = from === null ? messages : messages.filter((m) => BigInt(m.offset) >= from);
    const skipped = messages.length - fresh.length;
    const owned =
      this.config.dedupWindowMs > 0
        ? await this.dedup.claim(
            `monitor:${this.config.consumerGroup}`,
            fresh.map((m) => ({
              id: `${m.value.tenantId}/${m.value.eventId}`,
              owner: `${m.topic}:${m.partition}:${m.offset}`,
            })),
            this.config.dedupWindowMs,
          )
        : fresh.map(() => true);

    const alerts: ThreatAlert[] = [];
    const controls: AgentControl[] = [];
    const tierRows: TierChangeRow[] = [];
    const dirty = new Map<string, AgentEntry>();
    let late = 0;
    let duplicates = 0;
    let windowsClosed = 0;
    for (let i = 0; i < fresh.length; i++) {
      if (!owned[i]) {
        duplicates += 1;
        continue;
      }
      const event = fresh[i]!.value;
      const key = agentKey(event.tenantId, event.agentId);
      let entry = state.agents.get(key);
      if (entry === undefined) {
        entry = {
          tenantId: event.tenantId,
          agentId: event.agentId,
          profile: newProfile(),
          lastEventMs: 0,
        };
        state.agents.set(key, entry);
      }
      const timestampMs = Date.parse(event.timestamp);
      const result = this.engine.observe(
        entry.profile,
        {
          eventId: event.eventId,
          timestampMs,
          action: event.action,
          outcome: event.outcome,
          parameterEntropy: event.parameterEntropy,
          ...(event.sessionId !== undefined && { sessionId: event.sessionId }),
          ...(event.resource !== undefined && { resource: event.resource }),
          ...(event.bytesOut !== undefined && { bytesOut: event.bytesOut }),
          ...(event.parameters !== undefined && { parameters: event.parameters }),
          ...(event.policyViolations !== undefined && {
            policyViolations: event.policyViolations,
          }),
        },
        this.settings.settingsFor(event.tenantId),
      );
      entry.lastEventMs = Math.max(entry.lastEventMs, timestampMs);
      dirty.set(key, entry);
      late += result.late ? 1 : 0;
      windowsClosed += result.windowsClosed;
      const causes = new Map(
        result.tierChanges.filter((t) => t.cause).map((t) => [t.cause!, t] as const),
      );
      const alertOf = new Map<unknown, ThreatAlert>();
      for (const finding of result.findings) {
        const context = finding.sampleEventIds.includes(event.eventId) ? alertContextOf(event) : {};
        const alert = alertFromFinding(
          entry.tenantId,
          entry.agentId,
          finding,
          causes.get(finding),
          context,
        );
        alertOf.set(finding, alert);
        alerts.push(alert);
      }
      for (const change of result.tierChanges) {
        this.tierChange(entry, change, alertOf.get(change.cause)?.alertId, controls, tierRows);
      }
    }

    const group = this.config.consumerGroup;
    const profiles = [...dirty.values()].map((e) => this.row(e));
    const controlRows: ControlRow[] = controls.map((c) => ({
      tenantId: c.tenantId,
      agentId: c.agentId,
      tier: c.tier,
      behaviorTier: c.behaviorTier,
      reason: c.reason,
    }));
    return {
      alerts,
      controls,
      profiled: fresh.length - duplicates,
      late,
      duplicates,
      skipped,
      windowsClosed,
      checkpoint: async () => {
        await this.repo.checkpoint({
          group,
          topic,
          partition,
          nextOffset: nextOffset.toString(),
          profiles,
          tierChanges: tierRows,
          controls: controlRows,
        });
        state.nextOffset = nextOffset;
      },
    };
  }

  private tierChange(
    entry: AgentEntry,
    change: TierChange,
    alertId: string | undefined,
    controls: AgentControl[],
    rows: TierChangeRow[],
  ): void {
    const configured = this.configured.get(agentKey(entry.tenantId, entry.agentId));
    const before = Math.max(change.from, configured ?? 1);
    rows.push({
      changeId: deterministicId(
        entry.tenantId,
        entry.agentId,
        'monitor',
        change.from,
        change.to,
        change.atMs,
      ),
      tenantId: entry.tenantId,
      agentId: entry.agentId,
      fromTier: change.from,
      toTier: change.to,
      source: 'monitor',
      reason: change.reason,
      ...(alertId !== undefined && { alertId }),
      changedAt: new Date(change.atMs),
    });
    // One record per change, so the sequence is the same however the stream is batched.
    controls.push(
      agentControl({
        tenantId: entry.tenantId,
        agentId: entry.agentId,
        behaviorTier: change.to,
        configuredTier: configured,
        previousTier: before,
        source: 'monitor',
        reason: change.reason,
        atMs: change.atMs,
        ...(alertId !== undefined && { alertId }),
      }),
    );
  }

  private row(entry: AgentEntry): ProfileRow {
    const p = entry.profile;
    return {
      tenantId: entry.tenantId,
      agentId: entry.agentId,
      state: serializeProfile(p),
      behaviorTier: p.behaviorTier,
      riskScore: Math.round(Math.min(1, Math.max(0, p.risk)) * 100),
      windowsClosed: p.windowsClosed,
      lateEvents: p.lateEvents,
      lastEventAt: new Date(Number.isFinite(entry.lastEventMs) ? entry.lastEventMs : 0),
      baselines: this.baselines(p),
    };
  }

  private baselines(p: AgentProfile) {
    return Object.fromEntries(
      METRICS.map((m, i) => {
        const b = p.baselines[i]!;
        return [
          m,
          { mean: b.mean, stddev: Math.sqrt(Math.max(0, b.variance)), windows: b.windows },
        ];
      }),
    );
  }
}
