import { stringOption } from '../cli/args';
import { type Context } from '../cli/context';
import { CliError, UsageError } from '../cli/errors';
import { resolvePrefix } from '../cli/prefix';
import { ApiError, ServiceClient } from '../client/api.client';
import { ago, shortId } from '../render/format';
import { renderTable } from '../render/table';

export interface PendingApproval {
  runId: string;
  tenantId: string;
  incidentId: string;
  playbookId: string;
  stepId: string;
  action: string;
  parameters: unknown;
  requestedAt: string;
  deadline: string;
}

async function pending(ctx: Context): Promise<PendingApproval[]> {
  const config = ctx.config();
  const client = new ServiceClient(config.services.response);
  return config.sources.has('WARD_TENANT')
    ? client.get<PendingApproval[]>(`/tenants/${encodeURIComponent(config.tenant)}/approvals`, {
        query: { limit: 500 },
      })
    : client.get<PendingApproval[]>('/approvals', { query: { limit: 500 } });
}

/** `ward approvals` */
export async function approvals(ctx: Context): Promise<void> {
  const rows = await pending(ctx);
  if (ctx.json) {
    ctx.out.line(JSON.stringify(rows));
    return;
  }
  const s = ctx.out.style;
  if (rows.length === 0) {
    ctx.out.line(s.dim('nothing waits for approval'));
    return;
  }
  const now = Date.now();
  ctx.out.write(
    renderTable(
      rows,
      [
        { header: 'TENANT', value: (r) => r.tenantId },
        { header: 'RUN', value: (r) => s.cyan(r.runId.slice(0, 12)) },
        { header: 'STEP', value: (r) => s.bold(r.stepId) },
        { header: 'ACTION', value: (r) => r.action },
        { header: 'PLAYBOOK', value: (r) => r.playbookId },
        { header: 'INCIDENT', value: (r) => shortId(r.incidentId) },
        { header: 'ASKED', value: (r) => ago(r.requestedAt, now) },
        { header: 'EXPIRES', value: (r) => ago(r.deadline, now) },
        { header: 'WITH', value: (r) => JSON.stringify(r.parameters ?? {}), flexible: true },
      ],
      s,
      ctx.out.columns,
    ),
  );
  const first = rows[0]!;
  ctx.out.line(
    s.dim(
      `answer: ward approve ${first.runId.slice(0, 12)} ${first.stepId} --reason "..."   (or ward reject)`,
    ),
  );
}

/** Which waiting step `run [step]` (or `run/step`) names, among every tenant's or the given one's. */
export function pickApproval(
  rows: readonly PendingApproval[],
  runArg: string,
  stepArg: string | undefined,
): PendingApproval {
  const [runGiven, stepFromSlash] = runArg.includes('/')
    ? runArg.split('/', 2)
    : [runArg, undefined];
  const step = stepArg ?? stepFromSlash;
  const runId = resolvePrefix(
    runGiven,
    rows.map((r) => r.runId),
    'waiting run',
  );
  const steps = rows.filter((r) => r.runId === runId);
  if (step !== undefined) {
    const found = steps.find((r) => r.stepId === step);
    if (found === undefined) {
      throw new CliError(
        `run ${runId.slice(0, 12)} has no step "${step}" waiting`,
        `waiting: ${steps.map((r) => r.stepId).join(', ')}`,
      );
    }
    return found;
  }
  if (steps.length > 1) {
    throw new UsageError(
      `run ${runId.slice(0, 12)} waits on ${steps.length} steps (${steps.map((r) => r.stepId).join(', ')}): name one`,
    );
  }
  return steps[0]!;
}

async function decide(ctx: Context, decision: 'approve' | 'reject'): Promise<void> {
  const reason = stringOption(ctx.values, 'reason');
  if (reason === undefined || reason.trim() === '') {
    throw new UsageError(`--reason is required: say why you ${decision} (kept in the audit log)`);
  }
  const config = ctx.config();
  const target = pickApproval(await pending(ctx), ctx.positionals[0]!, ctx.positionals[1]);
  try {
    await new ServiceClient(config.services.response).post(
      `/tenants/${encodeURIComponent(target.tenantId)}/approvals/${target.runId}/${encodeURIComponent(target.stepId)}`,
      { decision, actor: config.actor, reason },
    );
  } catch (error) {
    if (error instanceof ApiError && error.status === 409) {
      throw new CliError(
        `${target.stepId} of run ${target.runId.slice(0, 12)} no longer waits: it was decided or expired meanwhile`,
      );
    }
    throw error;
  }
  if (ctx.json) {
    ctx.out.line(JSON.stringify({ ...target, decision, actor: config.actor, reason }));
    return;
  }
  const s = ctx.out.style;
  ctx.out.line(
    `${decision === 'approve' ? s.green('✓ approved') : s.red('✗ rejected')} ${s.bold(target.stepId)} (${target.action}) of ${target.playbookId}, run ${target.runId.slice(0, 12)}, tenant ${target.tenantId}, as ${config.actor}`,
  );
  ctx.out.line(
    s.dim(
      decision === 'approve'
        ? `the run continues; see it with: ward incident ${shortId(target.incidentId)} --tenant ${target.tenantId}`
        : 'recorded: the step will not run',
    ),
  );
}

/** `ward approve <run> [step] --reason` */
export function approve(ctx: Context): Promise<void> {
  return decide(ctx, 'approve');
}

/** `ward reject <run> [step] --reason` */
export function reject(ctx: Context): Promise<void> {
  return decide(ctx, 'reject');
}
