import { type Policy, POLICY_KINDS, POLICY_STATUSES } from '@ward/contracts';
import { intOption, oneOfOption, stringOption } from '../cli/args';
import { type CliConfig } from '../cli/config';
import { type Context } from '../cli/context';
import { CliError, UsageError } from '../cli/errors';
import { resolvePrefix } from '../cli/prefix';
import { ApiError, ServiceClient } from '../client/api.client';
import { shortId, statusCell, when } from '../render/format';
import { renderTable } from '../render/table';

const base = (config: CliConfig) => `/tenants/${encodeURIComponent(config.tenant)}/policies`;

/** `ward policies` */
export async function policies(ctx: Context): Promise<void> {
  const config = ctx.config();
  const { policies: rows } = await new ServiceClient(config.services.policy).get<{
    policies: Policy[];
  }>(base(config), {
    query: {
      status: oneOfOption(ctx.values, 'status', POLICY_STATUSES),
      kind: oneOfOption(ctx.values, 'kind', POLICY_KINDS),
      limit: intOption(ctx.values, 'limit', { min: 1, max: 500 }, 50),
    },
  });
  if (ctx.json) {
    ctx.out.line(JSON.stringify(rows));
    return;
  }
  const s = ctx.out.style;
  if (rows.length === 0) {
    ctx.out.line(s.dim(`no policies in tenant ${config.tenant}`));
    return;
  }
  ctx.out.write(
    renderTable(
      rows,
      [
        { header: 'CONF', value: (p) => p.confidence.toFixed(2), right: true },
        { header: 'STATUS', value: (p) => statusCell(s, p.status) },
        { header: 'KIND', value: (p) => s.bold(p.kind) },
        { header: 'ID', value: (p) => s.cyan(shortId(p.policyId)) },
        { header: 'EFFECT', value: (p) => p.rule.effect },
        { header: 'TITLE', value: (p) => p.title, flexible: true },
      ],
      s,
      ctx.out.columns,
    ),
  );
  ctx.out.line(
    s.dim(
      `details: ward policy show <id> --tenant ${config.tenant}; activate: ward policy approve <id> --reason "..."`,
    ),
  );
}

async function fullPolicyId(ctx: Context): Promise<string> {
  const given = ctx.positionals[0]!;
  if (/^[a-f0-9]{32}$/.test(given)) {
    return given;
  }
  const config = ctx.config();
  const { policies: rows } = await new ServiceClient(config.services.policy).get<{
    policies: Policy[];
  }>(base(config), { query: { limit: 500 } });
  return resolvePrefix(
    given,
    rows.map((p) => p.policyId),
    'policy',
  );
}

interface PolicyDetail {
  policy: Policy;
  evidence: {
    source: string;
    detector?: string;
    severity?: string;
    observedAt: string;
    alertId?: string;
    runId?: string;
  }[];
  history: {
    fromStatus: string | null;
    toStatus: string;
    actor: string;
    reason: string;
    changedAt: string;
  }[];
}

/** `ward policy show <id>` */
export async function showPolicy(ctx: Context): Promise<void> {
  const config = ctx.config();
  const id = await fullPolicyId(ctx);
  const detail = await new ServiceClient(config.services.policy).get<PolicyDetail>(
    `${base(config)}/${id}`,
  );
  if (ctx.json) {
    ctx.out.line(JSON.stringify(detail));
    return;
  }
  const s = ctx.out.style;
  const p = detail.policy;
  const f = p.evidence.factors;
  ctx.out.line(`${s.bold(p.title)}  ${s.dim(p.policyId)}`);
  ctx.out.line(
    `  ${s.dim('status    ')} ${statusCell(s, p.status)}  version ${p.version}${p.activatedBy ? `  activated by ${p.activatedBy}` : ''}`,
  );
  ctx.out.line(`  ${s.dim('kind      ')} ${p.kind} (${p.rule.effect}) on ${p.subject}`);
  ctx.out.line(
    `  ${s.dim('confidence')} ${s.bold(p.confidence.toFixed(2))} = frequency ${f.frequency} (${p.evidence.occurrences} occurrences) + severity ${f.severity} (${p.evidence.maxSeverity}) + corroboration ${f.corroboration}, × ${f.falsePositivePenalty} for false positives`,
  );
  ctx.out.line(`  ${s.dim('rule      ')} ${JSON.stringify(p.rule)}`);
  ctx.out.line();
  ctx.out.line(s.bold('Evidence'));
  for (const e of detail.evidence.slice(0, 20)) {
    ctx.out.line(
      `  ${s.dim(when(e.observedAt))}  ${e.source.padEnd(16)} ${e.detector ?? ''} ${e.severity ? s.severity(e.severity, e.severity) : ''} ${s.dim(e.alertId ?? e.runId ?? '')}`,
    );
  }
  ctx.out.line();
  ctx.out.line(s.bold('History'));
  for (const h of detail.history) {
    ctx.out.line(
      `  ${s.dim(when(h.changedAt))}  ${h.fromStatus ?? '(new)'} → ${statusCell(s, h.toStatus)}  by ${h.actor}: ${h.reason}`,
    );
  }
  ctx.out.line();
  ctx.out.line(s.bold('Rego'));
  for (const line of p.rego.trimEnd().split('\n')) {
    ctx.out.line(`  ${s.dim(line)}`);
  }
}

async function transition(ctx: Context, verb: 'approve' | 'reject' | 'retire'): Promise<void> {
  const reason = stringOption(ctx.values, 'reason');
  if (reason === undefined || reason.trim() === '') {
    throw new UsageError(`--reason is required: say why you ${verb} it (kept in the audit log)`);
  }
  const config = ctx.config();
  const id = await fullPolicyId(ctx);
  let policy: Policy;
  try {
    policy = await new ServiceClient(config.services.policy).post<Policy>(
      `${base(config)}/${id}/${verb}`,
      {
        actor: config.actor,
        reason,
      },
    );
  } catch (error) {
    if (error instanceof ApiError && error.status === 409) {
      throw new CliError(
        `policy ${shortId(id)} cannot be ${verb === 'approve' ? 'approved' : `${verb}ed`} from its status: ${error.message}`,
      );
    }
    throw error;
  }
  if (ctx.json) {
    ctx.out.line(JSON.stringify(policy));
    return;
  }
  const s = ctx.out.style;
  ctx.out.line(
    `${s.green('✓')} ${policy.title}: ${statusCell(s, policy.status)} (version ${policy.version}, by ${config.actor})`,
  );
  if (policy.status === 'active') {
    ctx.out.line(
      s.dim(
        "published on ward.policies.v1 and in the tenant's OPA bundle; sentinel-ingest enforces it",
      ),
    );
  }
}

export const approvePolicy = (ctx: Context) => transition(ctx, 'approve');
export const rejectPolicy = (ctx: Context) => transition(ctx, 'reject');
export const retirePolicy = (ctx: Context) => transition(ctx, 'retire');
