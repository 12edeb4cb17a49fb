import { type Incident, type Playbook } from '@ward/contracts';
import {
  afterFailure,
  backoffMs,
  nextDecision,
  type RunState,
  runIdFor,
  type StepState,
} from './run';

const incident = {
  incidentId: 'b'.repeat(32),
  tenantId: 'acme',
  severity: 'critical',
  agents: ['bot'],
  detectors: ['call_rate_spike'],
} as unknown as Incident;

const playbook: Playbook = {
  id: 'runaway-agent',
  version: 1,
  name: 'Runaway',
  trigger: {},
  steps: [
    {
      id: 'throttle',
      action: 'rate_limit',
      with: { agents: '${incident.agents}' },
      retries: { attempts: 3, backoff: '1s', maxBackoff: '3s' },
    },
    { id: 'notify', action: 'slack', when: 'incident.severity == "low"', with: { text: 'x' } },
    {
      id: 'quarantine',
      action: 'quarantine',
      with: { agents: '${incident.agents}', after: '${steps.throttle.output.limit}' },
      approval: { required: true, timeout: '30m', onTimeout: 'reject' },
    },
  ],
};

const run = (steps: StepState[]): RunState => ({
  runId: runIdFor('acme', incident.incidentId, playbook),
  playbook,
  incident,
  dryRun: false,
  steps,
});

const T = 1_000_000;

describe('playbook runs', () => {
  it('derive the run id from tenant, incident, playbook and version', () => {
    expect(runIdFor('acme', incident.incidentId, playbook)).toMatch(/^[a-f0-9]{32}$/);
    expect(runIdFor('acme', incident.incidentId, playbook, true)).not.toBe(
      runIdFor('acme', incident.incidentId, playbook),
    );
    expect(runIdFor('acme', incident.incidentId, { ...playbook, version: 2 })).not.toBe(
      runIdFor('acme', incident.incidentId, playbook),
    );
  });

  it('execute the first step with substituted parameters and a stable idempotency key', () => {
    const d = nextDecision(run([]), T);
    expect(d).toEqual({
      kind: 'execute',
      stepId: 'throttle',
      action: 'rate_limit',
      parameters: { agents: ['bot'] },
      attempt: 1,
      timeoutMs: 30_000,
      idempotencyKey: `${run([]).runId}:throttle`,
    });
  });

  it('re-execute a step found running after a crash, with the same key and the next attempt', () => {
    const d = nextDecision(run([{ stepId: 'throttle', status: 'running', attempts: 1 }]), T);
    expect(d).toMatchObject({ kind: 'execute', stepId: 'throttle', attempt: 2 });
  });

  it('skip a step whose condition is false, then ask for approval and wait for it', () => {
    const done: StepState = {
      stepId: 'throttle',
      status: 'succeeded',
      attempts: 1,
      output: { limit: 30 },
    };
    expect(nextDecision(run([done]), T)).toEqual({
      kind: 'skip',
      stepId: 'notify',
      why: 'condition is false: incident.severity == "low"',
    });
    const skipped: StepState = { stepId: 'notify', status: 'skipped', attempts: 0 };
    expect(nextDecision(run([done, skipped]), T)).toEqual({
      kind: 'request_approval',
      stepId: 'quarantine',
      deadlineMs: T + 1_800_000,
      parameters: { agents: ['bot'], after: 30 },
    });
    const waiting: StepState = {
      stepId: 'quarantine',
      status: 'pending_approval',
      attempts: 0,
      approvalRequestedAtMs: T,
    };
    expect(nextDecision(run([done, skipped, waiting]), T + 1000)).toEqual({
      kind: 'wait_approval',
      stepId: 'quarantine',
      deadlineMs: T + 1_800_000,
    });
    expect(nextDecision(run([done, skipped, waiting]), T + 1_800_000)).toEqual({
      kind: 'expire_approval',
      stepId: 'quarantine',
      outcome: 'reject',
    });
    const approved: StepState = { ...waiting, status: 'approved' };
    expect(nextDecision(run([done, skipped, approved]), T + 5000)).toMatchObject({
      kind: 'execute',
      stepId: 'quarantine',
      parameters: { agents: ['bot'], after: 30 },
    });
    const finished: StepState = { stepId: 'quarantine', status: 'succeeded', attempts: 1 };
    expect(nextDecision(run([done, skipped, finished]), T)).toEqual({
      kind: 'done',
      status: 'succeeded',
    });
    const rejected: StepState = { ...waiting, status: 'rejected' };
    expect(nextDecision(run([done, skipped, rejected]), T)).toEqual({
      kind: 'done',
      status: 'succeeded',
    });
  });

  it('wait for a scheduled retry, and stop the run on a failed step unless it may continue', () => {
    expect(
      nextDecision(
        run([{ stepId: 'throttle', status: 'pending', attempts: 1, retryAtMs: T + 500 }]),
        T,
      ),
    ).toEqual({
      kind: 'wait_retry',
      stepId: 'throttle',
      untilMs: T + 500,
    });
    expect(nextDecision(run([{ stepId: 'throttle', status: 'failed', attempts: 3 }]), T)).toEqual({
      kind: 'done',
      status: 'failed',
    });
  });

  it('back off exponentially with full jitter, capped, and give up after the allowed attempts', () => {
    expect([1, 2, 3, 4].map((a) => backoffMs(a, 1000, 3000, 0.999))).toEqual([
      999, 1998, 2997, 2997,
    ]);
    expect(backoffMs(3, 1000, 3000, 0)).toBe(0);
    const step = playbook.steps[0]!;
    expect(afterFailure(step, 1, T, 0.5)).toEqual({ retryAtMs: T + 500 });
    expect(afterFailure(step, 2, T, 0.5)).toEqual({ retryAtMs: T + 1000 });
    expect(afterFailure(step, 3, T, 0.5)).toEqual({ giveUp: true });
    expect(afterFailure(playbook.steps[1]!, 1, T, 0.5)).toEqual({ giveUp: true });
  });

  it('fail a step whose parameters refer to nothing', () => {
    const broken: Playbook = {
      ...playbook,
      steps: [{ id: 'a', action: 'annotate', with: { x: '${incident.nope}' } }],
    };
    expect(nextDecision({ ...run([]), playbook: broken }, T)).toEqual({
      kind: 'fail_step',
      stepId: 'a',
      error: '${incident.nope} refers to nothing',
    });
  });
});
