import { type Incident, type Playbook, type PlaybookStep } from '@ward/contracts';
import { deterministicId } from '@ward/detectors';
import { evaluate, ExpressionError, parseCondition, substitute } from './expression';
import { durationMs } from './load';

/**
 * The decisions of a playbook run, pure: given the run's durable state, what
 * happens next. The service stores every decision before acting on it, so a
 * crash resumes from the stored state without repeating a finished step.
 */
export type StepStatus =
  | 'pending'
  | 'pending_approval'
  | 'approved'
  | 'rejected'
  | 'expired'
  | 'running'
  | 'succeeded'
  | 'failed'
  | 'skipped'
  | 'dry_run';

export interface StepState {
  readonly stepId: string;
  readonly status: StepStatus;
  /** Attempts started so far. */
  readonly attempts: number;
  readonly output?: unknown;
  readonly error?: string;
  /** When an approval was first requested (ms). */
  readonly approvalRequestedAtMs?: number;
  /** When a failed attempt may be retried (ms). */
  readonly retryAtMs?: number;
}

export interface RunState {
  readonly runId: string;
  readonly playbook: Playbook;
  readonly incident: Incident;
  readonly dryRun: boolean;
  readonly steps: readonly StepState[];
}

export type RunDecision =
  | { readonly kind: 'done'; readonly status: 'succeeded' | 'failed' }
  | { readonly kind: 'skip'; readonly stepId: string; readonly why: string }
  | {
      readonly kind: 'request_approval';
      readonly stepId: string;
      readonly deadlineMs: number;
      /** What the step would run with: shown to the approver. */
      readonly parameters: unknown;
    }
  | { readonly kind: 'wait_approval'; readonly stepId: string; readonly deadlineMs: number }
  | {
      readonly kind: 'expire_approval';
      readonly stepId: string;
      readonly outcome: 'reject' | 'approve' | 'skip';
    }
  | { readonly kind: 'wait_retry'; readonly stepId: string; readonly untilMs: number }
  | {
      readonly kind: 'execute';
      readonly stepId: string;
      readonly action: string;
      readonly parameters: unknown;
      readonly attempt: number;
      readonly timeoutMs: number;
      /** The same key for every attempt of this step in this run: actions use it to be idempotent. */
      readonly idempotencyKey: string;
    }
  | { readonly kind: 'fail_step'; readonly stepId: string; readonly error: string };

export const DEFAULT_STEP_TIMEOUT_MS = 30_000;

/**
 * One run per tenant, incident and playbook version; a dry run is a different
 * run, so turning dry-run mode off later still runs the playbook for real.
 */
export function runIdFor(
  tenantId: string,
  incidentId: string,
  playbook: Playbook,
  dryRun = false,
): string {
  return dryRun
    ? deterministicId('run', tenantId, incidentId, playbook.id, playbook.version, 'dry-run')
    : deterministicId('run', tenantId, incidentId, playbook.id, playbook.version);
}

/** What `${...}` references and conditions see. */
export function runContext(run: RunState): Record<string, unknown> {
  return {
    incident: run.incident,
    playbook: { id: run.playbook.id, version: run.playbook.version, name: run.playbook.name },
    run: { runId: run.runId, dryRun: run.dryRun },
    steps: Object.fromEntries(
      run.steps.map((s) => [
        s.stepId,
        { status: s.status, output: s.output ?? null, error: s.error ?? null },
      ]),
    ),
  };
}

const FINISHED = new Set<StepStatus>([
  'succeeded',
  'skipped',
  'dry_run',
  'rejected',
  'expired',
  'failed',
]);

/**
 * Exponential backoff with full jitter: a delay drawn in [0, min(max, base *
 * 2^(attempt-1))], `random` in [0, 1).
 */
export function backoffMs(attempt: number, baseMs: number, maxMs: number, random: number): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random * ceiling);
}

/** The next thing to do in a run, at `nowMs`. */
export function nextDecision(run: RunState, nowMs: number): RunDecision {
  const states = new Map(run.steps.map((s) => [s.stepId, s]));
  for (const step of run.playbook.steps) {
    const state = states.get(step.id) ?? {
      stepId: step.id,
      status: 'pending' as const,
      attempts: 0,
    };
    if (FINISHED.has(state.status)) {
      if (state.status === 'failed' && !step.continueOnError) {
        return { kind: 'done', status: 'failed' };
      }
      continue;
    }
    return decideStep(run, step, state, nowMs);
  }
  const failed = run.playbook.steps.some(
    (s) => states.get(s.id)?.status === 'failed' && !s.continueOnError,
  );
  return { kind: 'done', status: failed ? 'failed' : 'succeeded' };
}

function decideStep(
  run: RunState,
  step: PlaybookStep,
  state: StepState,
  nowMs: number,
): RunDecision {
  const context = runContext(run);
  if (state.status === 'pending' && step.when !== undefined) {
    let holds: boolean;
    try {
      holds = Boolean(evaluate(parseCondition(step.when), context));
    } catch (error) {
      return {
        kind: 'fail_step',
        stepId: step.id,
        error: `condition: ${(error as Error).message}`,
      };
    }
    if (!holds) {
      return { kind: 'skip', stepId: step.id, why: `condition is false: ${step.when}` };
    }
  }
  let parameters: unknown;
  try {
    parameters = substitute(step.with ?? {}, context);
  } catch (error) {
    if (error instanceof ExpressionError) {
      return { kind: 'fail_step', stepId: step.id, error: error.message };
    }
    throw error;
  }
  if (
    step.approval?.required === true &&
    state.status !== 'approved' &&
    state.status !== 'running'
  ) {
    const timeout = durationMs(step.approval.timeout);
    if (state.status === 'pending') {
      return {
        kind: 'request_approval',
        stepId: step.id,
        deadlineMs: nowMs + timeout,
        parameters,
      };
    }
    const deadline = (state.approvalRequestedAtMs ?? nowMs) + timeout;
    if (nowMs >= deadline) {
      return { kind: 'expire_approval', stepId: step.id, outcome: step.approval.onTimeout };
    }
    return { kind: 'wait_approval', stepId: step.id, deadlineMs: deadline };
  }
  if (state.retryAtMs !== undefined && nowMs < state.retryAtMs) {
    return { kind: 'wait_retry', stepId: step.id, untilMs: state.retryAtMs };
  }
  return {
    kind: 'execute',
    stepId: step.id,
    action: step.action,
    parameters,
    attempt: state.attempts + 1,
    timeoutMs: step.timeout === undefined ? DEFAULT_STEP_TIMEOUT_MS : durationMs(step.timeout),
    idempotencyKey: `${run.runId}:${step.id}`,
  };
}

/**
 * After a failed attempt: retry at a later time, or give up. `random` in
 * [0, 1) draws the jitter.
 */
export function afterFailure(
  step: PlaybookStep,
  attempts: number,
  nowMs: number,
  random: number,
): { readonly retryAtMs: number } | { readonly giveUp: true } {
  const allowed = step.retries?.attempts ?? 1;
  if (attempts >= allowed) {
    return { giveUp: true };
  }
  const base = step.retries?.backoff === undefined ? 1000 : durationMs(step.retries.backoff);
  const max = step.retries?.maxBackoff === undefined ? 60_000 : durationMs(step.retries.maxBackoff);
  return { retryAtMs: nowMs + backoffMs(attempts, base, max, random) };
}
