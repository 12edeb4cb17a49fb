import { type Incident, INCIDENT_STATUSES, SEVERITIES, type ThreatAlert } from '@ward/contracts';
import { intOption, oneOfOption, stringOption } from '../cli/args';
import { type CliConfig } from '../cli/config';
import { type Context } from '../cli/context';
import { resolvePrefix } from '../cli/prefix';
import { ApiError, ServiceClient } from '../client/api.client';
import { ago, severityCell, shortId, statusCell } from '../render/format';
import {
  renderGraph,
  renderIncidentHeader,
  renderRuns,
  renderTimeline,
  type RunView,
  type TimelineEntry,
} from '../render/incident';
import { renderTable } from '../render/table';
import { wrap } from '../cli/help';

const tenantPath = (config: CliConfig) => `/tenants/${encodeURIComponent(config.tenant)}`;

/** `ward incidents` */
export async function incidents(ctx: Context): Promise<void> {
  const config = ctx.config();
  const limit = intOption(ctx.values, 'limit', { min: 1, max: 500 }, 20);
  const { incidents: rows } = await new ServiceClient(config.services.fusion).get<{
    incidents: Incident[];
  }>(`${tenantPath(config)}/incidents`, {
    query: {
      status: oneOfOption(ctx.values, 'status', INCIDENT_STATUSES),
      severity: oneOfOption(ctx.values, 'severity', SEVERITIES),
      agent: stringOption(ctx.values, 'agent'),
      limit,
    },
  });
  if (ctx.json) {
    ctx.out.line(JSON.stringify(rows));
    return;
  }
  const s = ctx.out.style;
  if (rows.length === 0) {
    ctx.out.line(s.dim(`no incidents in tenant ${config.tenant}`));
    return;
  }
  const now = Date.now();
  ctx.out.write(
    renderTable(
      rows,
      [
        { header: 'SEVERITY', value: (i) => severityCell(s, i.severity).trimEnd() },
        { header: 'STATUS', value: (i) => statusCell(s, i.status) },
        { header: 'ID', value: (i) => s.cyan(shortId(i.incidentId)) },
        { header: 'LAST SEEN', value: (i) => ago(i.lastSeen, now) },
        { header: 'ALERTS', value: (i) => String(i.alertCount), right: true },
        { header: 'AGENTS', value: (i) => i.agents.join(',') },
        { header: 'TITLE', value: (i) => i.title, flexible: true },
      ],
      s,
      ctx.out.columns,
    ),
  );
  ctx.out.line(s.dim(`details: ward incident <id> --tenant ${config.tenant}`));
}

interface IncidentDetail {
  incident: Incident;
  alerts: ThreatAlert[];
  timeline: TimelineEntry[];
}

/** Finds the incident by id or unique prefix (the API wants the whole id). */
async function fullIncidentId(
  client: ServiceClient,
  config: CliConfig,
  given: string,
): Promise<string> {
  if (/^[a-f0-9]{32}$/.test(given)) {
    return given;
  }
  const { incidents: rows } = await client.get<{ incidents: Incident[] }>(
    `${tenantPath(config)}/incidents`,
    {
      query: { limit: 500 },
    },
  );
  return resolvePrefix(
    given,
    rows.map((i) => i.incidentId),
    'incident',
  );
}

/** An incident's playbook runs with their steps, from response-engine. */
export async function runsOf(config: CliConfig, incidentId: string): Promise<RunView[]> {
  const client = new ServiceClient(config.services.response);
  const runs = await client.get<{ runId: string; playbookId: string; status: string }[]>(
    `${tenantPath(config)}/incidents/${incidentId}/runs`,
  );
  return Promise.all(
    runs.map(async (r) => {
      const detail = await client.get<{ steps: RunView['steps'] }>(
        `${tenantPath(config)}/runs/${r.runId}`,
      );
      return { runId: r.runId, playbookId: r.playbookId, status: r.status, steps: detail.steps };
    }),
  );
}

/** `ward incident <id>` */
export async function incident(ctx: Context): Promise<void> {
  const config = ctx.config();
  const client = new ServiceClient(config.services.fusion);
  const id = await fullIncidentId(client, config, ctx.positionals[0]!);
  const detail = await client.get<IncidentDetail>(`${tenantPath(config)}/incidents/${id}`);
  let runs: RunView[] | undefined;
  let runsProblem: string | undefined;
  try {
    runs = await runsOf(config, id);
  } catch (error) {
    if (!(error instanceof ApiError) && !(error instanceof Error)) {
      throw error;
    }
    runsProblem = error.message;
  }
  if (ctx.json) {
    ctx.out.line(JSON.stringify({ ...detail, runs: runs ?? null }));
    return;
  }
  const s = ctx.out.style;
  const width = Math.min(ctx.out.columns, 120);
  const i = detail.incident;
  ctx.out.write(renderIncidentHeader(i, s, width));
  ctx.out.line();
  ctx.out.line(s.bold('Narrative'));
  for (const line of wrap(i.narrative, width - 2, '  ')) {
    ctx.out.line(line);
  }
  ctx.out.line();
  ctx.out.line(s.bold('Timeline'));
  ctx.out.write(renderTimeline(detail.timeline, s, width));
  ctx.out.line();
  ctx.out.line(s.bold('Graph'));
  ctx.out.write(renderGraph(i.graph, s).replace(/^/gm, '  '));
  ctx.out.line();
  ctx.out.line(s.bold('Response'));
  if (runs !== undefined) {
    ctx.out.write(renderRuns(runs, config.tenant, s));
  } else {
    ctx.out.line(`  ${s.dim(`playbook runs unavailable: ${runsProblem ?? ''}`)}`);
  }
}
