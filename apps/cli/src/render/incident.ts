import { type Incident, type IncidentGraph } from '@ward/contracts';
import { type Style } from '../cli/style';
import { wrap } from '../cli/help';
import { statusCell, when } from './format';

export interface TimelineEntry {
  readonly at: string;
  readonly kind: string;
  readonly agentId?: string;
  readonly detector?: string;
  readonly severity?: string;
  readonly summary: string;
}

/** The incident's alerts and status changes down a rail, oldest first. */
export function renderTimeline(
  entries: readonly TimelineEntry[],
  style: Style,
  width = 100,
): string {
  if (entries.length === 0) {
    return `  ${style.dim('(nothing yet)')}\n`;
  }
  const lines: string[] = [];
  let day = '';
  entries.forEach((e, i) => {
    const stamp = when(e.at);
    if (stamp.slice(0, 10) !== day) {
      day = stamp.slice(0, 10);
      lines.push(`  ${style.dim(day)}`);
    }
    const last = i === entries.length - 1;
    const dot = e.kind === 'alert' ? style.severity(e.severity ?? 'low', '●') : style.cyan('◆');
    const head =
      e.kind === 'alert'
        ? `${style.severity(e.severity ?? 'low', (e.severity ?? '').toUpperCase())} ${style.bold(e.detector ?? '')} ${e.agentId ?? ''}`
        : style.cyan('status');
    lines.push(`  ${style.dim(stamp.slice(11))} ${dot} ${head}`);
    const rail = last ? ' ' : style.dim('│');
    for (const text of wrap(e.summary, width - 13)) {
      lines.push(`           ${rail}   ${style.dim(text)}`);
    }
  });
  return `${lines.join('\n')}\n`;
}

const OUTGOING: Record<string, string> = {
  ran_session: 'session',
  used: 'tool',
  touched: 'resource',
  contacted: 'indicator',
};
const MAX_PER_GROUP = 8;

/**
 * The incident graph as a tree per agent: who asked it, its sessions, tools,
 * resources and indicators (marked when another agent shares them), and the
 * alerts raised on it.
 */
export function renderGraph(graph: IncidentGraph, style: Style): string {
  const label = new Map(graph.nodes.map((n) => [n.id, n]));
  const agents = graph.nodes.filter((n) => n.kind === 'agent');
  const lines: string[] = [];
  const contactedBy = new Map<string, Set<string>>();
  for (const e of graph.edges) {
    if (e.relation === 'contacted' || e.relation === 'touched' || e.relation === 'used') {
      const set = contactedBy.get(e.to) ?? new Set<string>();
      set.add(e.from);
      contactedBy.set(e.to, set);
    }
  }
  for (const agent of agents) {
    lines.push(`${style.bold('agent')} ${style.bold(agent.label)}`);
    const children: { kind: string; text: string }[] = [];
    for (const e of graph.edges) {
      if (e.to === agent.id && e.relation === 'requested') {
        children.push({ kind: 'requested by', text: label.get(e.from)?.label ?? e.from });
      }
    }
    for (const [relation, kind] of Object.entries(OUTGOING)) {
      for (const e of graph.edges) {
        if (e.from === agent.id && e.relation === relation) {
          const node = label.get(e.to);
          const others = [...(contactedBy.get(e.to) ?? [])].filter((a) => a !== agent.id);
          const shared =
            others.length > 0
              ? `  ${style.magenta(`◆ shared with ${others.map((o) => label.get(o)?.label ?? o).join(', ')}`)}`
              : '';
          const sub = node?.kind === 'indicator' ? `${node.id.split(':')[1]} ` : '';
          children.push({ kind, text: `${sub}${node?.label ?? e.to}${shared}` });
        }
      }
    }
    const alerts = graph.edges
      .filter((e) => e.to === agent.id && e.relation === 'raised_on')
      .map((e) => label.get(e.from)?.label ?? e.from);
    if (alerts.length > 0) {
      children.push({ kind: 'alerts', text: alerts.join(', ') });
    }
    const grouped = new Map<string, string[]>();
    for (const c of children) {
      grouped.set(c.kind, [...(grouped.get(c.kind) ?? []), c.text]);
    }
    const rows: string[] = [];
    for (const [kind, texts] of grouped) {
      const shown = kind === 'alerts' ? texts : texts.slice(0, MAX_PER_GROUP);
      for (const t of shown) {
        rows.push(`${style.dim(kind.padEnd(12))} ${t}`);
      }
      if (shown.length < texts.length) {
        rows.push(`${style.dim(kind.padEnd(12))} … ${texts.length - shown.length} more`);
      }
    }
    rows.forEach((r, i) => lines.push(`${i === rows.length - 1 ? '└─' : '├─'} ${r}`));
  }
  return `${lines.join('\n')}\n`;
}

export interface RunView {
  readonly runId: string;
  readonly playbookId: string;
  readonly status: string;
  readonly steps: readonly {
    readonly stepId: string;
    readonly action: string;
    readonly status: string;
    readonly error?: string;
    readonly approver?: string;
    readonly reason?: string;
    readonly approvalDeadline?: string;
  }[];
}

const STEP_MARK: Record<string, string> = {
  succeeded: '✓',
  approved: '✓',
  skipped: '·',
  dry_run: '·',
  failed: '✗',
  rejected: '✗',
  expired: '✗',
  pending_approval: '⏸',
  running: '▶',
};

/** Each playbook run with its steps, and the command that answers a waiting one. */
export function renderRuns(runs: readonly RunView[], tenant: string, style: Style): string {
  if (runs.length === 0) {
    return `  ${style.dim('no playbook matched this incident')}\n`;
  }
  const lines: string[] = [];
  for (const run of runs) {
    lines.push(
      `  ${style.bold(run.playbookId)}  ${statusCell(style, run.status)}  ${style.dim(`run ${run.runId}`)}`,
    );
    for (const s of run.steps) {
      const mark = STEP_MARK[s.status] ?? '·';
      const colored =
        mark === '✓'
          ? style.green(mark)
          : mark === '✗'
            ? style.red(mark)
            : mark === '⏸'
              ? style.yellow(mark)
              : mark;
      const extra = [
        ...(s.approver ? [`by ${s.approver}${s.reason ? `: ${s.reason}` : ''}`] : []),
        ...(s.error ? [style.dim(s.error.slice(0, 100))] : []),
        ...(s.status === 'pending_approval'
          ? [
              style.yellow(
                `→ ward approve ${run.runId.slice(0, 12)} ${s.stepId} --tenant ${tenant} --reason "..."`,
              ),
            ]
          : []),
      ];
      lines.push(
        `    ${colored} ${s.stepId.padEnd(12)} ${style.dim(s.action.padEnd(18))} ${statusCell(style, s.status)}${extra.length ? `  ${extra.join('  ')}` : ''}`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}

/** Header of `ward incident`: title, severity, status, agents, detectors, techniques, indicators. */
export function renderIncidentHeader(i: Incident, style: Style, width = 100): string {
  const iocs = [
    ...(i.iocs.ips ?? []).map((v) => `ip ${v}`),
    ...(i.iocs.domains ?? []).map((v) => `domain ${v}`),
    ...(i.iocs.urls ?? []).map((v) => `url ${v}`),
    ...(i.iocs.hashes ?? []).map((v) => `hash ${v}`),
  ];
  const rows: [string, string][] = [
    ['severity', `${style.severity(i.severity)}  score ${i.score.toFixed(2)}`],
    [
      'status',
      `${statusCell(style, i.status)}${i.statusActor ? ` by ${i.statusActor}` : ''}${i.statusReason ? `: ${i.statusReason}` : ''}`,
    ],
    ['seen', `${when(i.firstSeen)} → ${when(i.lastSeen)} (event time), version ${i.version}`],
    ['agents', i.agents.join(', ')],
    ...(i.sessions.length ? [['sessions', i.sessions.join(', ')] as [string, string]] : []),
    ...(i.requesters.length ? [['requesters', i.requesters.join(', ')] as [string, string]] : []),
    [
      'detectors',
      `${i.detectors.join(', ')}  (${i.alertCount} alert${i.alertCount === 1 ? '' : 's'})`,
    ],
    ['techniques', i.techniques.map((t) => `${t.id} ${t.name}`).join('; ')],
    ...(iocs.length ? [['indicators', iocs.join(', ')] as [string, string]] : []),
    ...(i.escalations.length
      ? [['escalated', i.escalations.map((e) => e.detail).join('; ')] as [string, string]]
      : []),
    ...(i.intelMatches.length
      ? [
          [
            'intel',
            i.intelMatches.map((m) => `${m.indicator} in ${m.feed} (${m.confidence})`).join('; '),
          ] as [string, string],
        ]
      : []),
  ];
  const lines = [
    `${style.severity(i.severity, '■')} ${style.bold(i.title)}  ${style.dim(i.incidentId)}`,
  ];
  for (const [k, v] of rows) {
    const wrapped = wrap(v, width - 14);
    lines.push(`  ${style.dim(k.padEnd(11))} ${wrapped[0] ?? ''}`);
    for (const more of wrapped.slice(1)) {
      lines.push(`  ${' '.repeat(11)} ${more}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
