import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  type AgentControl,
  agentKey,
  type BehavioralEvent,
  replaceNul,
  type ThreatAlert,
} from '@ward/contracts';
import {
  admitAlert,
  type AgentCooldowns,
  alertContextOf,
  type AgentProfile,
  cooldownKey,
  type CooldownSpan,
  copyProfile,
  deserializeCooldowns,
  deserializeProfile,
  deterministicId,
  METRICS,
  newProfile,
  ProfileEngine,
  pruneCooldowns,
  serializeCooldowns,
  serializeProfile,
  type TierChange,
} from '@ward/detectors';
import { type DurablePosition, type InboundMessage, RewindError } from '@ward/messaging';
import {
  type ControlRow,
  DedupStore,
  MonitorStateRepository,
  type ProfileRow,
  type TierChangeRow,
} from '@ward/persistence';
import { agentControl, alertFromFinding } from '../alerts/alert-factory';
import { AlertsService } from '../alerts/alerts.service';
import { MONITOR_CONFIG, type MonitorConfig } from '../config/monitor.config';
import { ConfiguredTiers } from '../tiers/configured-tiers';
import { TenantSettingsService } from './tenant-settings.service';
import { DURATION_BUCKETS_SECONDS, MetricsService } from '@ward/observability';
import { type Counter, type Histogram } from 'prom-client';

/** Longest stretch a checkpoint serializes before giving the event loop back. */
const SERIALIZE_SLICE_MS = 4;

/** Cooldown spans that ended this long before an agent's latest event (event time) are dropped. */
const COOLDOWN_KEEP_MS = 24 * 60 * 60 * 1000;

interface AgentEntry {
  readonly tenantId: string;
  readonly agentId: string;
  readonly profile: AgentProfile;
  lastEventMs: number;
}

/** What a checkpoint writes of an agent: copies taken at once, serialized later. */
interface TakenAgent {
  readonly entry: AgentEntry;
  readonly cooldowns: AgentCooldowns | null;
}

interface PartitionState {
  readonly topic: string;
  /** Next offset to apply; messages below it are already in memory. */
  applied: bigint | null;
  /** Next offset of the last checkpoint: where a restart resumes. */
  durable: bigint | null;
  /** Where this state started when there was no checkpoint: the resume point until one exists. */
  readonly origin: bigint;
  readonly agents: Map<string, AgentEntry>;
  /**
   * Open alert cooldowns by agent key, for the agents that have any (most
   * never alert, so they hold nothing for it); checkpointed with the profile.
   */
  readonly cooldowns: Map<string, AgentCooldowns>;
  /** Agents changed since the last checkpoint, and the tier history and control state to write with them. */
  readonly dirty: Map<string, AgentEntry>;
  tierRows: TierChangeRow[];
  controlRows: ControlRow[];
  /** Alerts and tier changes of applied events not yet published (a failed publish is retried). */
  outbox: { alerts: ThreatAlert[]; controls: AgentControl[] };
  lastCheckpointMs: number;
  /** The checkpoint being written, if any: one at a time per partition, in order. */
  writing?: Promise<void>;
  /** Left half-updated by a failure: reloaded from the checkpoint before its next batch. */
  broken: boolean;
  /** Where the partition was last read again from after a failure. */
  rewoundTo?: bigint;
}

export interface BatchResult {
  /** Alerts published for this batch (those its cooldowns allowed). */
  readonly alerts: ThreatAlert[];
  readonly controls: AgentControl[];
  readonly profiled: number;
  readonly late: number;
  readonly duplicates: number;
  readonly skipped: number;
  readonly windowsClosed: number;
  /** Next offset of the partition's last checkpoint (null: none yet). */
  readonly durableOffset: string | null;
}

/**
 * Per-agent profiles for the partitions this instance owns. The state of a
 * partition is loaded from its checkpoint on first sight and updated in memory
 * by the pure ProfileEngine; the alerts and tier changes of each batch are
 * published before anything else happens to the partition, and the changed
 * profiles are checkpointed with the partition's next offset in one
 * PostgreSQL transaction every MONITOR_CHECKPOINT_INTERVAL_MS. Only offsets
 * up to the checkpoint are committed to Kafka, so a restart or rebalance
 * replays from the checkpoint onto the checkpointed state: nothing lost,
 * nothing counted twice, and the replayed alerts carry the same ids.
 * Partitions are independent: each has its own lock, so their batches run
 * concurrently.
 */
@Injectable()
export class ProfilesService {
  private readonly logger = new Logger(ProfilesService.name);
  private readonly engine = new ProfileEngine();
  private readonly partitions = new Map<number, PartitionState>();
  private readonly locks = new Map<number, Promise<unknown>>();
  private readonly checkpointDuration: Histogram;
  private readonly checkpointFailures: Counter;

  constructor(
    @Inject(MONITOR_CONFIG) private readonly config: MonitorConfig,
    private readonly repo: MonitorStateRepository,
    private readonly settings: TenantSettingsService,
    private readonly configured: ConfiguredTiers,
    private readonly dedup: DedupStore,
    private readonly alerts: AlertsService,
    metrics: MetricsService,
  ) {
    this.checkpointDuration = metrics.histogram({
      name: 'ward_monitor_checkpoint_seconds',
      help: 'Time to write a partition checkpoint (changed profiles and offsets, one transaction).',
      buckets: [...DURATION_BUCKETS_SECONDS],
    });
    this.checkpointFailures = metrics.counter({
      name: 'ward_monitor_checkpoint_failures_total',
      help: 'Partition checkpoints that failed to commit (retried; the offsets stay behind them).',
    });
  }

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

  /**
   * Forgets partitions this instance no longer owns, with what was not yet
   * checkpointed: their next owner replays it from the checkpoint.
   */
  retain(partitions: readonly number[]): void {
    const owned = new Set(partitions);
    for (const p of [...this.partitions.keys()]) {
      if (!owned.has(p)) {
        this.partitions.delete(p);
      }
    }
  }

  /** Runs `work` on a partition after everything queued on it before (its batches, flushes and resets never interleave). */
  private writeQueue: Promise<void> = Promise.resolve();

  private exclusive<T>(partition: number, work: () => Promise<T>): Promise<T> {
    const run = (this.locks.get(partition) ?? Promise.resolve()).then(work, work);
    this.locks.set(
      partition,
      run.catch(() => undefined),
    );
    return run;
  }

  /**
   * Profiles a batch of one partition, publishes its alerts and tier changes,
   * and checkpoints when the interval is due. A failure leaves the applied
   * events applied and their publication pending: the retry of the same batch
   * applies nothing twice and publishes what is pending.
   */
  handle(
    topic: string,
    partition: number,
    batch: {
      readonly firstOffset: string;
      readonly lastOffset: string;
      readonly highWatermark: string;
    },
    messages: readonly InboundMessage<BehavioralEvent>[],
  ): Promise<BatchResult> {
    return this.exclusive(partition, async () => {
      const first = BigInt(batch.firstOffset);
      const state = await this.ensure(topic, partition, first, BigInt(batch.highWatermark));
      const counts = await this.apply(state, BigInt(batch.lastOffset) + 1n, messages);
      const published = await this.publish(state);
      if (this.config.checkpointIntervalMs === 0) {
        await this.checkpoint(partition, state);
      } else if (
        state.writing === undefined &&
        Date.now() - state.lastCheckpointMs >= this.config.checkpointIntervalMs
      ) {
        // Written while the next batches go on: the batch path never waits on PostgreSQL.
        this.checkpoint(partition, state).catch((error: unknown) =>
          this.logger.warn(`partition ${partition}: checkpoint failed: ${String(error)}`),
        );
      }
      return {
        ...counts,
        ...published,
        durableOffset: state.durable === null ? null : state.durable.toString(),
      };
    });
  }

  /**
   * Checkpoints every partition with changes (called on an interval and at
   * shutdown) and reports where each partition is durable. A partition whose
   * checkpoint fails keeps its changes for the next flush.
   */
  async flush(): Promise<DurablePosition[]> {
    const writes: {
      partition: number;
      state: PartitionState;
      failed: Promise<Error | undefined>;
    }[] = [];
    for (const partition of [...this.partitions.keys()]) {
      await this.exclusive(partition, async () => {
        const state = this.partitions.get(partition);
        if (state === undefined || state.broken) {
          return;
        }
        try {
          await this.publish(state);
        } catch (error) {
          this.logger.warn(`partition ${partition}: publishing alerts failed: ${String(error)}`);
          return;
        }
        // Taken under the lock (the changed profiles copied now), written outside it.
        const failed = this.checkpoint(partition, state).then(
          () => undefined,
          (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
        );
        writes.push({ partition, state, failed });
      });
    }
    const positions: DurablePosition[] = [];
    for (const { partition, state, failed } of writes) {
      const error = await failed;
      if (error !== undefined) {
        this.logger.warn(`partition ${partition}: checkpoint failed: ${error.message}`);
      }
      if (state.durable !== null && this.partitions.get(partition) === state) {
        positions.push({ partition, nextOffset: state.durable.toString() });
      }
    }
    return positions;
  }

  /** Applies an operator's baseline reset to an agent this instance holds, and checkpoints it. */
  async reset(tenantId: string, agentId: string, seq: number): Promise<boolean> {
    const key = agentKey(tenantId, agentId);
    for (const partition of [...this.partitions.keys()]) {
      const done = await this.exclusive(partition, async () => {
        const state = this.partitions.get(partition);
        const entry = state?.agents.get(key);
        if (
          state === undefined ||
          entry === undefined ||
          state.broken ||
          state.applied === null ||
          entry.profile.resetSeq >= seq
        ) {
          return false;
        }
        this.engine.reset(entry.profile, seq);
        state.dirty.set(key, entry);
        await this.publish(state);
        await this.checkpoint(partition, state);
        return true;
      });
      if (done) {
        return true;
      }
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

  /**
   * The partition's state for a batch starting at `first`: the one in memory
   * when it reaches that far, else the checkpoint. When the checkpoint resumes
   * before `first` (this instance lost its state after a failure), the
   * partition is read again from there.
   */
  private async ensure(
    topic: string,
    partition: number,
    first: bigint,
    end: bigint,
  ): Promise<PartitionState> {
    let known = this.partitions.get(partition);
    if (known !== undefined && known.applied !== null && known.applied > end) {
      // The topic was created again under this instance: what it holds is of the old one.
      this.partitions.delete(partition);
      known = undefined;
    }
    if (
      known !== undefined &&
      !known.broken &&
      (known.applied === null || first <= known.applied)
    ) {
      return known;
    }
    // First sight, a failure, or another replica moved the partition on while we did not own it.
    await known?.writing?.catch(() => undefined);
    let loaded = await this.repo.loadPartition(this.config.consumerGroup, topic, partition);
    if (loaded.nextOffset !== null && BigInt(loaded.nextOffset) > end) {
      // Past the partition's end: the topic was deleted and created again since.
      // Its events are new; profiling them after the old offset would skip them.
      this.logger.warn(
        `partition ${partition}: checkpoint at offset ${loaded.nextOffset} is past the partition's end (${end}): the topic was created again; starting this partition afresh`,
      );
      await this.repo.forgetPartition(this.config.consumerGroup, topic, partition);
      loaded = { nextOffset: null, profiles: [] };
    }
    const durable = loaded.nextOffset === null ? null : BigInt(loaded.nextOffset);
    const resume = durable ?? known?.origin;
    if (resume !== undefined && resume < first) {
      if (known !== undefined && known.rewoundTo !== resume) {
        known.broken = true;
        known.rewoundTo = resume;
        throw new RewindError(
          resume.toString(),
          `partition ${partition} resumes from its checkpoint at ${resume}, before this batch (${first})`,
        );
      }
      // Read again from there once already, or never held here: those events are gone
      // from the topic (retention) or the group's offsets were moved by hand.
      this.logger.warn(
        `partition ${partition}: offsets ${resume}..${first - 1n} cannot be read; profiles go on from ${first}`,
      );
    }
    const agents = new Map<string, AgentEntry>();
    const cooldowns = new Map<string, AgentCooldowns>();
    for (const row of loaded.profiles) {
      const profile = deserializeProfile(row.state);
      const key = agentKey(row.tenantId, row.agentId);
      agents.set(key, {
        tenantId: row.tenantId,
        agentId: row.agentId,
        profile,
        lastEventMs: profile.maxTs,
      });
      const open = this.restoredCooldowns(partition, row.cooldowns);
      if (open !== null) {
        cooldowns.set(key, open);
      }
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
      topic,
      applied: durable,
      durable,
      origin: durable ?? known?.origin ?? first,
      agents,
      cooldowns,
      dirty: new Map(),
      tierRows: [],
      controlRows: [],
      outbox: { alerts: [], controls: [] },
      lastCheckpointMs: Date.now(),
      broken: false,
    };
    this.partitions.set(partition, state);
    this.logger.log(
      `partition ${partition}: restored ${agents.size} agents, resuming at offset ${loaded.nextOffset ?? 'start'}`,
    );
    return state;
  }

  /** Publishes the partition's pending alerts and tier changes; what is published leaves the outbox. */
  private async publish(
    state: PartitionState,
  ): Promise<{ alerts: ThreatAlert[]; controls: AgentControl[] }> {
    const { alerts, controls } = state.outbox;
    if (alerts.length === 0 && controls.length === 0) {
      return { alerts: [], controls: [] };
    }
    const emitted = await this.alerts.emit(alerts, controls);
    state.outbox = { alerts: [], controls: [] };
    return { alerts: emitted, controls };
  }

  /**
   * Writes the changed profiles, tier history and control state with the
   * applied offset, all or nothing. What is written is taken at once (a copy
   * of each changed profile as it stands), so batches may go on while it is
   * serialized and written; checkpoints are written one at a time, across
   * partitions too. On failure what was taken is put back for the next
   * checkpoint.
   */
  private async checkpoint(partition: number, state: PartitionState): Promise<void> {
    while (state.writing !== undefined) {
      await state.writing.catch(() => undefined);
    }
    if (state.applied === null) {
      return;
    }
    if (state.outbox.alerts.length > 0 || state.outbox.controls.length > 0) {
      throw new Error(`partition ${partition}: alerts not yet published, not checkpointing`);
    }
    state.lastCheckpointMs = Date.now();
    if (state.applied === state.durable && state.dirty.size === 0) {
      return;
    }
    const entries = [...state.dirty];
    const tierRows = state.tierRows;
    const controlRows = state.controlRows;
    const nextOffset = state.applied;
    // Copies taken now (a memcpy each), serialized in slices while batches go on.
    const taken = entries.map(([key, e]): TakenAgent => {
      const open = state.cooldowns.get(key);
      return {
        entry: { ...e, profile: copyProfile(e.profile) },
        cooldowns: open === undefined ? null : new Map(open),
      };
    });
    state.dirty.clear();
    state.tierRows = [];
    state.controlRows = [];
    const end = this.checkpointDuration.startTimer();
    const write = this.oneAtATime(async () =>
      this.repo.checkpoint({
        group: this.config.consumerGroup,
        topic: state.topic,
        partition,
        nextOffset: nextOffset.toString(),
        profiles: await this.rows(taken),
        tierChanges: tierRows,
        controls: controlRows,
      }),
    )
      .then(
        () => {
          end();
          if (state.durable === null || nextOffset > state.durable) {
            state.durable = nextOffset;
          }
        },
        (error: unknown) => {
          this.checkpointFailures.inc();
          for (const [key, entry] of entries) {
            if (!state.dirty.has(key)) {
              state.dirty.set(key, entry);
            }
          }
          state.tierRows = [...tierRows, ...state.tierRows];
          state.controlRows = [...controlRows, ...state.controlRows];
          throw error;
        },
      )
      .finally(() => {
        state.writing = undefined;
      });
    state.writing = write;
    await write;
  }

  /**
   * Applies the batch's events the state has not seen to the profiles, and
   * queues their alerts and tier changes. Events already applied (a retried or
   * replayed batch) and duplicates of events profiled before are skipped.
   */
  private async apply(
    state: PartitionState,
    nextOffset: bigint,
    messages: readonly InboundMessage<BehavioralEvent>[],
  ): Promise<{
    profiled: number;
    late: number;
    duplicates: number;
    skipped: number;
    windowsClosed: number;
  }> {
    const from = state.applied;
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
    if (fresh.length === 0 && from !== null && from >= nextOffset) {
      return { profiled: 0, late: 0, duplicates: 0, skipped, windowsClosed: 0 };
    }
    try {
      return { ...this.profile(state, fresh, owned), skipped };
    } catch (error) {
      // Half-updated: the next batch reloads the checkpoint and reads again from there.
      state.broken = true;
      throw error;
    } finally {
      if (!state.broken) {
        state.applied = from === null || nextOffset > from ? nextOffset : from;
      }
    }
  }

  private profile(
    state: PartitionState,
    fresh: readonly InboundMessage<BehavioralEvent>[],
    owned: readonly boolean[],
  ): { profiled: number; late: number; duplicates: number; windowsClosed: number } {
    const { alerts, controls } = state.outbox;
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
      const open = state.cooldowns.get(key);
      if (open !== undefined) {
        // Spans the agent's own event time has long left: never consulted again.
        pruneCooldowns(open, entry.lastEventMs - COOLDOWN_KEEP_MS);
        if (open.size === 0) {
          state.cooldowns.delete(key);
        }
      }
      state.dirty.set(key, entry);
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
        if (this.admit(state, key, alert)) {
          alerts.push(alert);
        }
      }
      for (const change of result.tierChanges) {
        this.tierChange(state, entry, change, alertOf.get(change.cause)?.alertId, controls);
      }
    }
    return { profiled: fresh.length - duplicates, late, duplicates, windowsClosed };
  }

  /**
   * An agent's checkpointed cooldowns. One that cannot be read (written by
   * hand, say) is dropped with a warning rather than stalling the partition:
   * at worst the agent's next alert of a detector comes before its cooldown
   * would have ended.
   */
  private restoredCooldowns(partition: number, stored: unknown): AgentCooldowns | null {
    try {
      return deserializeCooldowns(stored);
    } catch (error) {
      this.logger.warn(
        `partition ${partition}: dropped the unreadable cooldowns of one agent (${(error as Error).message})`,
      );
      return null;
    }
  }

  /**
   * Whether the agent's cooldown lets the alert through (and opens it when it
   * does). Decided here, with the profile, so the verdict is checkpointed with
   * it and a replay decides it the same way.
   */
  private admit(state: PartitionState, key: string, alert: ThreatAlert): boolean {
    if (this.config.cooldownMs === 0) {
      return true;
    }
    const windowStartMs = Date.parse(alert.window.start);
    const cooldowns: AgentCooldowns = state.cooldowns.get(key) ?? new Map<string, CooldownSpan>();
    const admitted = admitAlert(
      cooldowns,
      cooldownKey(alert.detector, alert.severity),
      windowStartMs,
      this.config.cooldownMs,
    );
    if (cooldowns.size > 0) {
      state.cooldowns.set(key, cooldowns);
    }
    if (!admitted) {
      this.alerts.suppressed(alert);
    }
    return admitted;
  }

  private tierChange(
    state: PartitionState,
    entry: AgentEntry,
    change: TierChange,
    alertId: string | undefined,
    controls: AgentControl[],
  ): void {
    const configured = this.configured.get(agentKey(entry.tenantId, entry.agentId));
    const before = Math.max(change.from, configured ?? 1);
    state.tierRows.push({
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
      reason: replaceNul(change.reason),
      ...(alertId !== undefined && { alertId }),
      changedAt: new Date(change.atMs),
    });
    // One record per change, so the sequence is the same however the stream is batched.
    const control = agentControl({
      tenantId: entry.tenantId,
      agentId: entry.agentId,
      behaviorTier: change.to,
      configuredTier: configured,
      previousTier: before,
      source: 'monitor',
      reason: change.reason,
      atMs: change.atMs,
      ...(alertId !== undefined && { alertId }),
    });
    controls.push(control);
    state.controlRows.push({
      tenantId: control.tenantId,
      agentId: control.agentId,
      tier: control.tier,
      behaviorTier: control.behaviorTier,
      reason: control.reason,
    });
  }

  /**
   * Runs the partitions' checkpoint writes one after another, so the event
   * loop serializes and encodes one partition's profiles at a time between
   * batches, not all partitions' at once when the interval comes round.
   */
  private oneAtATime<T>(work: () => Promise<T>): Promise<T> {
    const run = this.writeQueue.then(work, work);
    this.writeQueue = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /**
   * Checkpoint rows of the copies, serialized a slice at a time: the event
   * loop is given back every few milliseconds, so a checkpoint of thousands of
   * profiles never holds up the batches (and their alerts) behind it.
   */
  private async rows(entries: readonly TakenAgent[]): Promise<ProfileRow[]> {
    const rows: ProfileRow[] = [];
    let sliceStart = performance.now();
    for (const taken of entries) {
      rows.push(this.row(taken.entry, taken.cooldowns));
      if (performance.now() - sliceStart >= SERIALIZE_SLICE_MS) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        sliceStart = performance.now();
      }
    }
    return rows;
  }

  private row(entry: AgentEntry, cooldowns: AgentCooldowns | null): ProfileRow {
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
      cooldowns: serializeCooldowns(cooldowns),
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
