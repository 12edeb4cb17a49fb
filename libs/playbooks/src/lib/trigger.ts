import { type Incident, type Playbook, SEVERITIES } from '@ward/contracts';
import { familyOf } from '@ward/detectors';

/**
 * The actions response-engine ships (each a plugin behind one interface in
 * the service). A playbook naming any other action is refused at load.
 */
export const BUILTIN_ACTIONS = [
  'set_tier',
  'quarantine',
  'rate_limit',
  'block_indicator',
  'revoke_credentials',
  'webhook',
  'slack',
  'siem_splunk_hec',
  'siem_syslog',
  'annotate',
] as const;
export type BuiltinAction = (typeof BUILTIN_ACTIONS)[number];

/** Tags of an incident a trigger can name: its detector families, multi_agent, threat_intel. */
export function incidentTags(incident: Incident): string[] {
  const tags = new Set(incident.detectors.map(familyOf));
  if (incident.agents.length > 1) {
    tags.add('multi_agent');
  }
  if (incident.intelMatches.length > 0) {
    tags.add('threat_intel');
  }
  return [...tags].sort();
}

/** Whether a playbook's trigger fires for an incident: every stated condition holds. */
export function triggers(playbook: Playbook, incident: Incident): boolean {
  if (
    playbook.enabled === false ||
    incident.status === 'merged' ||
    incident.status === 'false_positive'
  ) {
    return false;
  }
  const t = playbook.trigger;
  if (
    t.severityAtLeast !== undefined &&
    SEVERITIES.indexOf(incident.severity) < SEVERITIES.indexOf(t.severityAtLeast)
  ) {
    return false;
  }
  if (t.detectors !== undefined && !t.detectors.some((d) => incident.detectors.includes(d))) {
    return false;
  }
  if (
    t.techniques !== undefined &&
    !t.techniques.some((id) =>
      incident.techniques.some((x) => x.id === id || x.id.startsWith(`${id}.`)),
    )
  ) {
    return false;
  }
  if (t.tags !== undefined) {
    const tags = incidentTags(incident);
    if (!t.tags.some((x) => tags.includes(x))) {
      return false;
    }
  }
  if (
    t.tenants !== undefined &&
    !t.tenants.includes(incident.tenantId) &&
    !t.tenants.includes('*')
  ) {
    return false;
  }
  return true;
}

/** The playbooks an incident triggers, highest priority first (then by id). */
export function selectPlaybooks(playbooks: readonly Playbook[], incident: Incident): Playbook[] {
  return playbooks
    .filter((p) => triggers(p, incident))
    .sort((a, b) => (b.priority ?? 100) - (a.priority ?? 100) || a.id.localeCompare(b.id));
}
