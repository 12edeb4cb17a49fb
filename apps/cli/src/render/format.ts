import { type Incident, type Policy, type ResponseAction, type ThreatAlert } from '@ward/contracts';
import { type Style } from '../cli/style';

/** `2026-01-05 09:05:30` (UTC): event times are UTC everywhere in Ward. */
export function when(iso: string | undefined | null): string {
  if (!iso) {
    return '-';
  }
  const t = Date.parse(iso);
  return Number.isNaN(t) ? iso : new Date(t).toISOString().slice(0, 19).replace('T', ' ');
}

/** `12 s ago`, `5 min ago`, `3 h ago`, `2 d ago`, or `in 30 min`, relative to `now`. */
export function ago(iso: string | undefined | null, now: number): string {
  const t = iso ? Date.parse(iso) : NaN;
  if (Number.isNaN(t)) {
    return iso ?? '-';
  }
  const s = Math.round((now - t) / 1000);
  const a = Math.abs(s);
  const text =
    a < 90
      ? `${a} s`
      : a < 5400
        ? `${Math.round(a / 60)} min`
        : a < 172_800
          ? `${Math.round(a / 3600)} h`
          : `${Math.round(a / 86_400)} d`;
  return s < 0 ? `in ${text}` : `${text} ago`;
}

export function shortId(id: string): string {
  return id.slice(0, 8);
}

const SEVERITY_WIDTH = 8;

export function severityCell(style: Style, severity: string): string {
  return style.severity(severity, severity.toUpperCase().padEnd(SEVERITY_WIDTH));
}

function time(style: Style, iso: string): string {
  return style.dim(when(iso).slice(11));
}

/** One line per alert, for `tail alerts` and the demo. */
export function alertLine(style: Style, a: ThreatAlert, withTenant = true): string {
  const e = a.evidence;
  const evidence =
    e.baselineWindows > 0
      ? `${e.metric} ${fmt(e.value)} vs ${fmt(e.baselineMean)} ± ${fmt(e.baselineStddev)} (z ${fmt(e.zScore)})`
      : `${e.metric} ${fmt(e.value)}`;
  return [
    time(style, a.observedAt),
    severityCell(style, a.severity),
    style.bold(a.detector),
    `${withTenant ? `${a.tenantId}/` : ''}${a.agentId}`,
    style.dim(`risk ${a.riskScore}`),
    evidence,
    ...(a.tierChange ? [style.yellow(`tier ${a.tierChange.from}→${a.tierChange.to}`)] : []),
  ].join('  ');
}

/** One line per incident version. */
export function incidentLine(style: Style, i: Incident, withTenant = true): string {
  return [
    time(style, i.updatedAt),
    severityCell(style, i.severity),
    statusCell(style, i.status),
    style.cyan(shortId(i.incidentId)),
    style.dim(`v${i.version}`),
    ...(withTenant ? [i.tenantId] : []),
    `${i.alertCount} alert${i.alertCount === 1 ? '' : 's'}`,
    i.title,
  ].join('  ');
}

export function statusCell(style: Style, status: string): string {
  switch (status) {
    case 'open':
    case 'pending_approval':
    case 'proposed':
    case 'waiting':
      return style.yellow(status);
    case 'contained':
    case 'resolved':
    case 'succeeded':
    case 'approved':
    case 'active':
      return style.green(status);
    case 'failed':
    case 'rejected':
    case 'expired':
      return style.red(status);
    default:
      return style.dim(status);
  }
}

/** One line per step transition. */
export function actionLine(style: Style, a: ResponseAction, withTenant = true): string {
  return [
    time(style, a.at),
    ...(withTenant ? [a.tenantId] : []),
    `${a.playbookId}/${style.bold(a.stepId)}`,
    style.dim(a.action),
    statusCell(style, a.status),
    ...(a.attempt > 1 ? [style.dim(`attempt ${a.attempt}`)] : []),
    style.dim(`run ${shortId(a.runId)} incident ${shortId(a.incidentId)}`),
    ...(a.approver ? [`by ${a.approver}`] : []),
    ...(a.error ? [style.red(a.error.slice(0, 120))] : []),
  ].join('  ');
}

/** One line per policy version. */
export function policyLine(style: Style, p: Policy, withTenant = true): string {
  return [
    time(style, p.updatedAt),
    ...(withTenant ? [p.tenantId] : []),
    statusCell(style, p.status),
    style.bold(p.kind),
    p.confidence.toFixed(2),
    style.cyan(shortId(p.policyId)),
    p.title,
  ].join('  ');
}

export function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(Math.abs(n) < 10 ? 2 : 1);
}
