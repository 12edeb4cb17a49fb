import { intOption } from '../cli/args';
import { type Context } from '../cli/context';
import { ServiceClient } from '../client/api.client';
import { ago } from '../render/format';
import { renderTable } from '../render/table';

interface AgentRow {
  agentId: string;
  tier: number;
  behaviorTier: number;
  configuredTier: number | null;
  riskScore: number;
  windowsClosed: number;
  lastEventAt: string | null;
  tierReason: string | null;
  configuredReason: string | null;
}

const TIER_NAMES = ['', 'normal', 'watched', 'restricted', 'quarantined'];

/** `ward agents` */
export async function agents(ctx: Context): Promise<void> {
  const config = ctx.config();
  const tier = intOption(ctx.values, 'tier', { min: 1, max: 4 });
  const minRisk = intOption(ctx.values, 'min-risk', { min: 0, max: 100 });
  const limit = intOption(ctx.values, 'limit', { min: 1, max: 500 }, 50);
  const rows = await new ServiceClient(config.services.monitor).get<AgentRow[]>(
    `/tenants/${encodeURIComponent(config.tenant)}/agents`,
    { query: { tier, minRisk, limit } },
  );
  if (ctx.json) {
    ctx.out.line(JSON.stringify(rows));
    return;
  }
  const s = ctx.out.style;
  if (rows.length === 0) {
    ctx.out.line(
      s.dim(`no agents in tenant ${config.tenant}${tier || minRisk ? ' match' : ' yet'}`),
    );
    return;
  }
  const now = Date.now();
  const tierCell = (r: AgentRow) => {
    const text = `${r.tier} ${TIER_NAMES[r.tier] ?? ''}`;
    const colored =
      r.tier >= 4
        ? s.bold(s.red(text))
        : r.tier === 3
          ? s.red(text)
          : r.tier === 2
            ? s.yellow(text)
            : text;
    return r.configuredTier !== null && r.configuredTier > r.behaviorTier
      ? `${colored} ${s.dim('(set)')}`
      : colored;
  };
  ctx.out.write(
    renderTable(
      rows,
      [
        { header: 'AGENT', value: (r) => r.agentId },
        { header: 'TIER', value: tierCell },
        { header: 'RISK', value: (r) => String(r.riskScore), right: true },
        { header: 'WINDOWS', value: (r) => String(r.windowsClosed), right: true },
        { header: 'LAST EVENT', value: (r) => ago(r.lastEventAt, now) },
        { header: 'WHY', value: (r) => r.configuredReason ?? r.tierReason ?? '', flexible: true },
      ],
      s,
      ctx.out.columns,
    ),
  );
}
