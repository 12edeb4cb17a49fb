import { type Incident } from '@ward/contracts';
import { type IncidentCore } from './correlate';

/**
 * A readable account of an incident from deterministic templates: who, what,
 * when, how bad and why, then the timeline. The same incident always reads
 * the same. An optional language-model summarizer can add to it (see
 * `NarrativeSummarizer`); this text stays the reference.
 */
export interface NarrativeSummarizer {
  /** A short summary of the incident; the template narrative is passed for grounding. */
  summarize(incident: Incident): Promise<string>;
}

const TIMELINE_LIMIT = 20;

const time = (iso: string) => iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, ' UTC');

function list(values: readonly string[], limit = 8): string {
  if (values.length === 0) {
    return 'none';
  }
  const shown = values.slice(0, limit);
  const rest = values.length - shown.length;
  const head =
    shown.length === 1 ? shown[0]! : `${shown.slice(0, -1).join(', ')} and ${shown.at(-1)}`;
  return rest > 0 ? `${shown.join(', ')} and ${rest} more` : head;
}

export function narrate(incident: Incident, core: IncidentCore): string {
  const lines: string[] = [];
  const agents = incident.agents;
  const who =
    agents.length === 1 ? `agent ${agents[0]}` : `${agents.length} agents (${list(agents)})`;
  const span =
    incident.firstSeen === incident.lastSeen
      ? `at ${time(incident.firstSeen)}`
      : `between ${time(incident.firstSeen)} and ${time(incident.lastSeen)}`;
  const counts = new Map<string, number>();
  for (const a of core.alerts) {
    counts.set(a.detector, (counts.get(a.detector) ?? 0) + 1);
  }
  const detectors = [...counts]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([d, n]) => (n > 1 ? `${d} (${n}×)` : d));
  lines.push(
    `${incident.severity[0]!.toUpperCase()}${incident.severity.slice(1)} incident involving ${who} ${span} (event time), from ${incident.alertCount} alert${incident.alertCount === 1 ? '' : 's'} by ${list(detectors)}.`,
  );
  if (incident.sessions.length > 0) {
    lines.push(`Sessions: ${list(incident.sessions)}.`);
  }
  if (incident.requesters.length > 0) {
    lines.push(`On behalf of: ${list(incident.requesters)}.`);
  }
  const indicators = [
    ...(incident.iocs.ips ?? []),
    ...(incident.iocs.domains ?? []),
    ...(incident.iocs.urls ?? []),
    ...(incident.iocs.hashes ?? []),
  ];
  if (indicators.length > 0) {
    lines.push(`Indicators: ${list(indicators)}.`);
  }
  if (incident.techniques.length > 0) {
    lines.push(
      `Techniques: ${list(
        incident.techniques.map((t) => `${t.id} ${t.name}`),
        12,
      )}.`,
    );
  }
  for (const m of incident.intelMatches.slice(0, 5)) {
    lines.push(
      `Threat intel: ${m.indicator} matches ${m.matched} in feed ${m.feed} (${m.source}, confidence ${m.confidence})${m.description ? `: ${m.description}` : ''}.`,
    );
  }
  if (incident.escalations.length > 0) {
    lines.push(
      `Severity raised to ${incident.severity} because: ${incident.escalations.map((e) => e.detail).join('; ')}.`,
    );
  }
  if (incident.status === 'merged' && incident.mergedInto !== undefined) {
    lines.push(`Merged into incident ${incident.mergedInto}.`);
  } else if (incident.status !== 'open') {
    lines.push(
      `Status: ${incident.status.replace('_', ' ')}${incident.statusActor ? ` by ${incident.statusActor}` : ''}${incident.statusReason ? ` (${incident.statusReason})` : ''}.`,
    );
  }
  lines.push('', 'Timeline:');
  const shown = core.alerts.slice(0, TIMELINE_LIMIT);
  for (const a of shown) {
    lines.push(
      `- ${time(new Date(a.observedAtMs).toISOString())} ${a.agentId}: [${a.severity}] ${a.summary}`,
    );
  }
  if (core.alerts.length > shown.length) {
    lines.push(`- … and ${core.alerts.length - shown.length} later alerts`);
  }
  return lines.join('\n').slice(0, 20000);
}
