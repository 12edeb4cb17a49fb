import {
  ConflictException,
  Inject,
  Injectable,
  Logger,
  NotFoundException,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import {
  type Incident,
  type Playbook,
  type ResponseAction,
  type ResponseStatus,
} from '@ward/contracts';
import { MessageProducer, TopicAdmin } from '@ward/messaging';
import { DURATION_BUCKETS_SECONDS, MetricsService } from '@ward/observability';
import { AuditRepository, RunRepository, type RunRow, type StepRow } from '@ward/persistence';
import {
  afterFailure,
  nextDecision,
  type RunState,
  runIdFor,
  selectPlaybooks,
  type StepStatus,
} from '@ward/playbooks';
import Redis from 'ioredis';
import { type Counter, type Gauge, type Histogram } from 'prom-client';
import { type EntityManager } from 'typeorm';
import { ActionError, ActionRegistry } from '../actions/action.registry';
import { RESPONSE_CONFIG, type ResponseConfig } from '../config/response.config';
import { PlaybookRegistry } from '../playbooks/playbook.registry';

const MAX_STEPS_PER_ADVANCE = 100;
/** How long past its timeout a running step is left to the replica running it. */
const LEASE_MARGIN_MS = 15_000;
const SWEEP_LOCK_KEY = 'response:sweep-lock';
const WAKE_CHANNEL = 'response:wake';

type Transition = Omit<ResponseAction, 'schemaVersion' | 'at'> & { at?: string };

/**
 * Runs playbooks. Every state change is written to PostgreSQL (run and step
 * state, and an audit entry) in one transaction holding the run's lock,
 * before anything is done, and published to ward.response-actions.v1 after;
 * actions receive an idempotency key, so a crash resumes a run without
 * repeating a finished step. One replica at a time (a Redis lock) sweeps
 * approval deadlines and due retries; replicas wake each other through Redis
 * when an approval is decided.
 */
@Injectable()
export class RunService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(RunService.name);
  private timer: NodeJS.Timeout | undefined;
  private subscriber: Redis | undefined;
  /** Advances in flight in this process, one chain per run. */
  private readonly inflight = new Map<string, Promise<void>>();
  private readonly runs: Counter<'playbook' | 'status'>;
  private readonly actionsTotal: Counter<'action' | 'outcome'>;
  private readonly pending: Gauge;
  private readonly approvalLatency: Histogram;
  private readonly actionLatency: Histogram<'action'>;

  constructor(
    @Inject(RESPONSE_CONFIG) private readonly config: ResponseConfig,
    private readonly repo: RunRepository,
    private readonly audit: AuditRepository,
    private readonly playbooks: PlaybookRegistry,
    private readonly actions: ActionRegistry,
    private readonly producer: MessageProducer,
    private readonly admin: TopicAdmin,
    @Inject(Redis) private readonly redis: Redis,
    metrics: MetricsService,
  ) {
    this.runs = metrics.counter({
      name: 'ward_response_runs_total',
      help: 'Playbook runs started and finished, by playbook and status.',
      labelNames: ['playbook', 'status'],
    });
    this.actionsTotal = metrics.counter({
      name: 'ward_response_actions_total',
      help: 'Action attempts by action and outcome (succeeded, failed, retried, parked, dry_run).',
      labelNames: ['action', 'outcome'],
    });
    this.pending = metrics.gauge({
      name: 'ward_response_approvals_pending',
      help: 'Steps waiting for a person to approve them.',
      collect: async () => {
        this.pending.set(await this.repo.countPendingApprovals());
      },
    });
    this.approvalLatency = metrics.histogram({
      name: 'ward_response_approval_seconds',
      help: 'From an approval being requested to its decision (or expiry).',
      buckets: [1, 5, 15, 30, 60, 300, 900, 1800, 3600, 14_400, 86_400],
    });
    this.actionLatency = metrics.histogram({
      name: 'ward_response_action_seconds',
      help: 'Duration of one action attempt, by action.',
      labelNames: ['action'],
      buckets: [...DURATION_BUCKETS_SECONDS],
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    this.subscriber = this.redis.duplicate();
    // Reconnects by itself; the readiness check on the main client reports the outage.
    this.subscriber.on('error', () => undefined);
    await this.subscriber.subscribe(this.key(WAKE_CHANNEL));
    this.subscriber.on('message', (_channel: string, runId: string) => {
      void this.kick(runId);
    });
    // Without Redis (the sweep lock) or PostgreSQL a sweep fails; the next one retries.
    this.timer = setInterval(() => {
      this.sweep().catch((error: unknown) =>
        this.logger.warn(`sweep failed, retrying in ${this.config.sweepMs} ms: ${String(error)}`),
      );
    }, this.config.sweepMs);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.subscriber?.quit().catch(() => undefined);
    await Promise.allSettled([...this.inflight.values()]);
  }

  /**
   * Advances a run in the background, after any advance of it already in
   * flight here. Other replicas are kept out by the run's lock and the lease
   * of a running step.
   */
  kick(runId: string): Promise<void> {
    const previous = this.inflight.get(runId) ?? Promise.resolve();
    const next = previous
      .then(() => this.advance(runId))
      .catch((error: unknown) => this.logger.error(`run ${runId}: ${(error as Error).message}`))
      .finally(() => {
        if (this.inflight.get(runId) === next) {
          this.inflight.delete(runId);
        }
      });
    this.inflight.set(runId, next);
    return next;
  }

  private key(name: string): string {
    return `${this.config.redis.keyPrefix}${name}`;
  }

  /**
   * Starts the runs an incident version triggers (once per incident and
   * playbook version). The runs are stored before this returns, so the
   * consumer may commit; they advance in the background.
   */
  async onIncident(incident: Incident): Promise<void> {
    for (const playbook of selectPlaybooks(this.playbooks.playbooks, incident)) {
      const runId = runIdFor(incident.tenantId, incident.incidentId, playbook, this.config.dryRun);
      const created = await this.repo.create({
        runId,
        tenantId: incident.tenantId,
        incidentId: incident.incidentId,
        playbookId: playbook.id,
        playbookVersion: playbook.version,
        dryRun: this.config.dryRun,
        playbook,
        incident,
      });
      if (created) {
        this.runs.inc({ playbook: playbook.id, status: 'started' });
        await this.audit.append([
          {
            tenantId: incident.tenantId,
            kind: 'run_started',
            body: {
              runId,
              incidentId: incident.incidentId,
              playbookId: playbook.id,
              playbookVersion: playbook.version,
              dryRun: this.config.dryRun,
            },
          },
        ]);
      }
      void this.kick(runId);
    }
  }

  private toState(run: RunRow, steps: readonly StepRow[]): RunState {
    return {
      runId: run.runId,
      playbook: run.playbook as Playbook,
      incident: run.incident as Incident,
      dryRun: run.dryRun,
      steps: steps.map((s) => ({
        stepId: s.stepId,
        status: s.status as StepStatus,
        attempts: s.attempts,
        ...(s.output !== undefined && { output: s.output }),
        ...(s.error !== undefined && { error: s.error }),
        ...(s.approvalRequestedAt !== undefined && {
          approvalRequestedAtMs: s.approvalRequestedAt.getTime(),
        }),
        ...(s.retryAt !== undefined && { retryAtMs: s.retryAt.getTime() }),
      })),
    };
  }

  /** Writes a step state, its audit entry, and returns the transition to publish. */
  private async record(
    tx: EntityManager,
    run: RunRow,
    step: Omit<StepRow, 'runId' | 'position' | 'action'>,
    extra: Partial<Transition> = {},
  ): Promise<Transition> {
    const playbook = run.playbook as Playbook;
    const position = playbook.steps.findIndex((s) => s.id === step.stepId);
    const action = playbook.steps[position]?.action ?? 'unknown';
    await this.repo.saveStep(tx, { ...step, runId: run.runId, position, action });
    const transition: Transition = {
      runId: run.runId,
      tenantId: run.tenantId,
      incidentId: run.incidentId,
      playbookId: run.playbookId,
      playbookVersion: run.playbookVersion,
      stepId: step.stepId,
      action,
      status: publishedStatus(step.status),
      attempt: step.attempts,
      dryRun: run.dryRun,
      ...(step.parameters !== undefined && { parameters: step.parameters }),
      ...(step.output !== undefined && { result: step.output }),
      ...(step.error !== undefined && { error: step.error.slice(0, 2000) }),
      ...(step.approver !== undefined && { approver: step.approver }),
      ...(step.reason !== undefined && { reason: step.reason }),
      ...extra,
    };
    await this.audit.append(
      [{ tenantId: run.tenantId, kind: `step_${transition.status}`, body: { ...transition } }],
      tx,
    );
    return transition;
  }

  private async publish(transitions: readonly Transition[]): Promise<void> {
    if (transitions.length === 0) {
      return;
    }
    const at = new Date().toISOString();
    await this.producer.send(
      this.admin.topics.responseActions.name,
      transitions.map((t) => ({
        key: t.incidentId,
        value: { schemaVersion: 1, ...t, at: t.at ?? at } satisfies ResponseAction,
      })),
    );
  }

  /** Takes a run as far as it can go now. */
  async advance(runId: string): Promise<void> {
    for (let i = 0; i < MAX_STEPS_PER_ADVANCE; i++) {
      const work = await this.repo.withRun(runId, async (tx, run, steps) => {
        if (run.status === 'succeeded' || run.status === 'failed') {
          return { done: true, transitions: [] as Transition[] };
        }
        // A step is being executed (here or by another replica) until its lease ends.
        if (
          steps.some((s) => s.status === 'running') &&
          run.nextCheckAt !== undefined &&
          run.nextCheckAt.getTime() > Date.now()
        ) {
          return { done: true, transitions: [] as Transition[] };
        }
        const decision = nextDecision(this.toState(run, steps), Date.now());
        const current = (id: string) => steps.find((s) => s.stepId === id);
        switch (decision.kind) {
          case 'done':
            await this.repo.setStatus(tx, runId, decision.status, null);
            await this.audit.append(
              [
                {
                  tenantId: run.tenantId,
                  kind: 'run_finished',
                  body: { runId, status: decision.status },
                },
              ],
              tx,
            );
            this.runs.inc({ playbook: run.playbookId, status: decision.status });
            return { done: true, transitions: [] };
          case 'skip':
            return {
              done: false,
              transitions: [
                await this.record(tx, run, {
                  stepId: decision.stepId,
                  status: 'skipped',
                  attempts: 0,
                  reason: decision.why,
                }),
              ],
            };
          case 'fail_step': {
            const s = current(decision.stepId);
            return {
              done: false,
              transitions: [
                await this.record(tx, run, {
                  stepId: decision.stepId,
                  status: 'failed',
                  attempts: s?.attempts ?? 0,
                  error: decision.error,
                }),
              ],
            };
          }
          case 'request_approval': {
            const t = await this.record(tx, run, {
              stepId: decision.stepId,
              status: 'pending_approval',
              attempts: 0,
              parameters: decision.parameters,
              approvalRequestedAt: new Date(),
              approvalDeadline: new Date(decision.deadlineMs),
            });
            await this.repo.setStatus(tx, runId, 'waiting', new Date(decision.deadlineMs));
            return { done: true, transitions: [t] };
          }
          case 'wait_approval':
            await this.repo.setStatus(tx, runId, 'waiting', new Date(decision.deadlineMs));
            return { done: true, transitions: [] };
          case 'wait_retry':
            await this.repo.setStatus(tx, runId, 'waiting', new Date(decision.untilMs));
            return { done: true, transitions: [] };
          case 'expire_approval': {
            const s = current(decision.stepId)!;
            const status: StepStatus =
              decision.outcome === 'approve'
                ? 'approved'
                : decision.outcome === 'skip'
                  ? 'skipped'
                  : 'expired';
            this.approvalLatency.observe(
              (Date.now() - (s.approvalRequestedAt?.getTime() ?? Date.now())) / 1000,
            );
            await this.repo.setStatus(tx, runId, 'running', null);
            return {
              done: false,
              transitions: [
                await this.record(tx, run, {
                  ...s,
                  status,
                  approver: 'expiry',
                  reason: `approval timed out: ${decision.outcome}`,
                }),
              ],
            };
          }
          case 'execute': {
            const s = current(decision.stepId);
            await this.repo.setStatus(
              tx,
              runId,
              'running',
              new Date(Date.now() + decision.timeoutMs + LEASE_MARGIN_MS),
            );
            const t = await this.record(tx, run, {
              ...(s ?? { stepId: decision.stepId }),
              stepId: decision.stepId,
              status: 'running',
              attempts: decision.attempt,
              parameters: decision.parameters,
            });
            return { done: false, transitions: [t], execute: { decision, run, approvedStep: s } };
          }
        }
      });
      if (work === undefined) {
        throw new NotFoundException(`no run ${runId}`);
      }
      await this.publish(work.transitions);
      if ('execute' in work && work.execute !== undefined) {
        await this.perform(work.execute.run, work.execute.decision, work.execute.approvedStep);
        continue;
      }
      if (work.done) {
        return;
      }
    }
  }

  private async perform(
    run: RunRow,
    decision: Extract<ReturnType<typeof nextDecision>, { kind: 'execute' }>,
    previous: StepRow | undefined,
  ): Promise<void> {
    const end = this.actionLatency.startTimer({ action: decision.action });
    let output: unknown;
    let failure: ActionError | undefined;
    try {
      output = await this.actions.execute(decision.action, decision.parameters, {
        runId: run.runId,
        stepId: decision.stepId,
        idempotencyKey: decision.idempotencyKey,
        tenantId: run.tenantId,
        incident: run.incident as Incident,
        dryRun: run.dryRun,
        attempt: decision.attempt,
        timeoutMs: decision.timeoutMs,
      });
    } catch (error) {
      failure =
        error instanceof ActionError ? error : new ActionError((error as Error).message, true);
    } finally {
      end();
    }
    const playbook = run.playbook as Playbook;
    const step = playbook.steps.find((s) => s.id === decision.stepId)!;
    const transitions = await this.repo.withRun(run.runId, async (tx) => {
      const kept = {
        ...(previous?.approver !== undefined && { approver: previous.approver }),
        ...(previous?.reason !== undefined && { reason: previous.reason }),
        ...(previous?.approvalRequestedAt !== undefined && {
          approvalRequestedAt: previous.approvalRequestedAt,
        }),
        ...(previous?.approvalDeadline !== undefined && {
          approvalDeadline: previous.approvalDeadline,
        }),
      };
      await this.repo.setStatus(tx, run.runId, 'running', null);
      if (failure === undefined) {
        this.actionsTotal.inc({
          action: decision.action,
          outcome: run.dryRun ? 'dry_run' : 'succeeded',
        });
        return [
          await this.record(tx, run, {
            stepId: decision.stepId,
            status: run.dryRun ? 'dry_run' : 'succeeded',
            attempts: decision.attempt,
            parameters: decision.parameters,
            output: output ?? null,
            ...kept,
          }),
        ];
      }
      const next = failure.retryable
        ? afterFailure(step, decision.attempt, Date.now(), Math.random())
        : { giveUp: true as const };
      if ('giveUp' in next) {
        this.actionsTotal.inc({
          action: decision.action,
          outcome: failure.parkedAt === undefined ? 'failed' : 'parked',
        });
        if (failure.parkedAt !== undefined) {
          await this.repo.park(tx, {
            runId: run.runId,
            stepId: decision.stepId,
            destination: failure.parkedAt,
            tenantId: run.tenantId,
            action: decision.action,
          });
        }
        return [
          await this.record(tx, run, {
            stepId: decision.stepId,
            status: 'failed',
            attempts: decision.attempt,
            parameters: decision.parameters,
            error: failure.message,
            ...kept,
          }),
        ];
      }
      this.actionsTotal.inc({ action: decision.action, outcome: 'retried' });
      const t = await this.record(tx, run, {
        stepId: decision.stepId,
        status: previous?.status === 'approved' ? 'approved' : 'pending',
        attempts: decision.attempt,
        parameters: decision.parameters,
        error: failure.message,
        retryAt: new Date(next.retryAtMs),
        ...kept,
      });
      await this.repo.setStatus(tx, run.runId, 'waiting', new Date(next.retryAtMs));
      const retried: Transition = { ...t, status: 'failed' };
      return [retried];
    });
    await this.publish(transitions ?? []);
  }

  /** A person's decision on a waiting step. */
  async decide(
    runId: string,
    stepId: string,
    approve: boolean,
    actor: string,
    reason: string,
    tenantId: string,
  ): Promise<void> {
    const transitions = await this.repo.withRun(runId, async (tx, run, steps) => {
      if (run.tenantId !== tenantId) {
        throw new NotFoundException('no such approval');
      }
      const step = steps.find((s) => s.stepId === stepId);
      if (step === undefined) {
        throw new NotFoundException('no such approval');
      }
      if (step.status !== 'pending_approval') {
        throw new ConflictException(`step ${stepId} is ${step.status}, not waiting for approval`);
      }
      this.approvalLatency.observe(
        (Date.now() - (step.approvalRequestedAt?.getTime() ?? Date.now())) / 1000,
      );
      await this.repo.setStatus(tx, runId, 'running', null);
      return [
        await this.record(tx, run, {
          ...step,
          status: approve ? 'approved' : 'rejected',
          approver: actor,
          reason,
        }),
      ];
    });
    if (transitions === undefined) {
      throw new NotFoundException('no such approval');
    }
    await this.publish(transitions);
    // Whichever replica holds a waiter picks it up; this one advances it too.
    await this.redis.publish(this.key(WAKE_CHANNEL), runId);
  }

  /**
   * A person's decision on the deliveries parked for a disabled destination:
   * `retry` enables the destination and puts each parked step back in its run
   * (same idempotency key); `discard` drops them, leaving the steps failed.
   */
  async resolveParked(
    destination: string,
    retry: boolean,
    actor: string,
    reason: string,
  ): Promise<{ destination: string; decision: string; deliveries: number }> {
    if (!this.config.destinations.has(destination)) {
      throw new NotFoundException(`no destination ${destination}`);
    }
    if (retry) {
      await this.repo.enableDestination(destination);
    }
    let count = 0;
    for (;;) {
      const parked = await this.repo.parked(destination, 100);
      if (parked.length === 0) {
        break;
      }
      for (const p of parked) {
        const transitions = await this.repo.withRun(p.runId, async (tx, run, steps) => {
          if (!(await this.repo.unpark(tx, p.runId, p.stepId))) {
            return [];
          }
          count++;
          await this.audit.append(
            [
              {
                tenantId: run.tenantId,
                kind: retry ? 'delivery_retried' : 'delivery_discarded',
                body: { runId: run.runId, stepId: p.stepId, destination, actor, reason },
              },
            ],
            tx,
          );
          const step = steps.find((s) => s.stepId === p.stepId);
          if (!retry || step === undefined) {
            return [];
          }
          await this.repo.setStatus(tx, run.runId, 'running', null);
          const { error: _error, retryAt: _retryAt, ...rest } = step;
          return [
            await this.record(tx, run, {
              ...rest,
              attempts: 0,
              // An approval given before stays given.
              status: step.approver === undefined ? 'pending' : 'approved',
              reason: `parked delivery retried by ${actor}: ${reason}`.slice(0, 1000),
            }),
          ];
        });
        await this.publish(transitions ?? []);
        if (retry && (transitions ?? []).length > 0) {
          void this.kick(p.runId);
        }
      }
    }
    return { destination, decision: retry ? 'retry' : 'discard', deliveries: count };
  }

  /** Expired approvals, due retries and runs a crash left running: one replica at a time. */
  async sweep(): Promise<number> {
    const token = `${process.pid}:${Date.now()}`;
    const got = await this.redis.set(
      this.key(SWEEP_LOCK_KEY),
      token,
      'PX',
      this.config.sweepMs * 2,
      'NX',
    );
    if (got !== 'OK') {
      return 0;
    }
    try {
      const due = await this.repo.due(new Date(), 100);
      for (const runId of due) {
        await this.kick(runId);
      }
      return due.length;
    } finally {
      const mine = await this.redis.get(this.key(SWEEP_LOCK_KEY));
      if (mine === token) {
        await this.redis.del(this.key(SWEEP_LOCK_KEY));
      }
    }
  }
}

function publishedStatus(status: string): ResponseStatus {
  switch (status) {
    case 'pending':
      return 'running';
    case 'pending_approval':
    case 'approved':
    case 'rejected':
    case 'expired':
    case 'running':
    case 'succeeded':
    case 'failed':
    case 'skipped':
    case 'dry_run':
      return status;
    default:
      return 'failed';
  }
}
