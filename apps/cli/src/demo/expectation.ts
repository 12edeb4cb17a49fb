import { type Incident, type Policy, type ThreatAlert } from '@ward/contracts';

/** `deploy/demo/scenarios/<name>.expected.json`: what the real mesh makes of a storyline. */
export interface Expectation {
  readonly title: string;
  readonly storyline: string;
  /** Per agent, every alert as `detector:severity` (order free), nothing more. */
  readonly alerts: Readonly<Record<string, readonly string[]>>;
  readonly incident: { readonly severity: string; readonly agents: readonly string[] } | null;
  /** The shipped playbooks the incident starts. */
  readonly playbooks: readonly string[];
  /** The step that waits for a person; the demo approves it. `outcome`: the step's final status. */
  readonly approval: {
    readonly playbook: string;
    readonly step: string;
    readonly action: string;
    readonly outcome: string;
  } | null;
  /** The proposal the demo activates. */
  readonly policy: { readonly kind: string; readonly subject: string } | null;
  /**
   * A call that breaks the active policy, the alerts it raises, and the
   * severity of the incident once they join it.
   */
  readonly enforcement: {
    readonly probe: Readonly<Record<string, unknown>>;
    readonly alerts: readonly string[];
    readonly incident: string;
  } | null;
}

export interface StepOutcome {
  readonly playbook: string;
  readonly step: string;
  readonly action: string;
  readonly status: string;
}

/** What the demo saw, to hold against the expectation. */
export interface Observed {
  readonly alerts: readonly ThreatAlert[];
  readonly incidents: readonly Incident[];
  /** The incident once the enforcement alerts joined it. */
  readonly incidentAfterEnforcement?: Incident | undefined;
  readonly playbooks: readonly string[];
  readonly approval: StepOutcome | undefined;
  readonly policy: Policy | undefined;
  readonly enforcementAlerts: readonly ThreatAlert[] | undefined;
}

export interface CheckLine {
  readonly what: string;
  readonly ok: boolean;
  readonly expected: string;
  readonly actual: string;
}

export const alertLabel = (a: Pick<ThreatAlert, 'detector' | 'severity'>) =>
  `${a.detector}:${a.severity}`;

const sorted = (xs: readonly string[]) => [...xs].sort();
const show = (xs: readonly string[]) => (xs.length === 0 ? 'nothing' : sorted(xs).join(', '));

/** Whether `seen` holds every expected label (as a multiset): the stage can move on. */
export function alertsComplete(expected: Expectation, seen: readonly ThreatAlert[]): boolean {
  return Object.entries(expected.alerts).every(([agent, want]) => {
    const got = seen.filter((a) => a.agentId === agent).map(alertLabel);
    return want.every(
      (label) => got.filter((g) => g === label).length >= want.filter((w) => w === label).length,
    );
  });
}

/** The incident that holds the expected agents (the latest version of each, merged ones left out). */
export function incidentFor(
  expected: Expectation,
  incidents: readonly Incident[],
): Incident | undefined {
  const agents = expected.incident?.agents ?? [];
  return latestVersions(incidents).find((i) => agents.every((a) => i.agents.includes(a)));
}

export function latestVersions(incidents: readonly Incident[]): Incident[] {
  const latest = new Map<string, Incident>();
  for (const i of incidents) {
    if ((latest.get(i.incidentId)?.version ?? 0) < i.version) {
      latest.set(i.incidentId, i);
    }
  }
  return [...latest.values()].filter((i) => i.status !== 'merged');
}

/** Every expectation, one line each: what was expected, what happened. */
export function check(expected: Expectation, observed: Observed): CheckLine[] {
  const lines: CheckLine[] = [];
  for (const [agent, want] of Object.entries(expected.alerts)) {
    const got = observed.alerts.filter((a) => a.agentId === agent).map(alertLabel);
    lines.push({
      what: `alerts of ${agent}`,
      ok: JSON.stringify(sorted(got)) === JSON.stringify(sorted(want)),
      expected: show(want),
      actual: show(got),
    });
  }
  const named = new Set(Object.keys(expected.alerts));
  const strays = observed.alerts
    .filter((a) => !named.has(a.agentId))
    .map((a) => `${a.agentId} ${alertLabel(a)}`);
  if (strays.length > 0) {
    lines.push({
      what: 'alerts of other agents',
      ok: false,
      expected: 'nothing',
      actual: show(strays),
    });
  }
  const incidents = latestVersions(observed.incidents);
  if (expected.incident === null) {
    lines.push({
      what: 'incident',
      ok: incidents.length === 0,
      expected: 'none',
      actual:
        incidents.length === 0
          ? 'none'
          : incidents.map((i) => `${i.severity} on ${i.agents.join('+')}`).join(', '),
    });
  } else {
    const want = `${expected.incident.severity} incident on ${sorted(expected.incident.agents).join('+')}`;
    const got = incidents.map((i) => `${i.severity} incident on ${sorted(i.agents).join('+')}`);
    lines.push({
      what: 'incident',
      ok: got.length === 1 && got[0] === want,
      expected: `one ${want}`,
      actual: got.length === 0 ? 'none' : got.length === 1 ? `one ${got[0]!}` : got.join('; '),
    });
  }
  lines.push({
    what: 'playbooks',
    ok: JSON.stringify(sorted(observed.playbooks)) === JSON.stringify(sorted(expected.playbooks)),
    expected: show(expected.playbooks),
    actual: show(observed.playbooks),
  });
  if (expected.approval !== null) {
    const e = expected.approval;
    const a = observed.approval;
    lines.push({
      what: 'approval',
      ok:
        a !== undefined &&
        a.playbook === e.playbook &&
        a.step === e.step &&
        a.action === e.action &&
        a.status === e.outcome,
      expected: `${e.playbook}/${e.step} (${e.action}) approved, then ${e.outcome}`,
      actual:
        a === undefined
          ? 'no step waited'
          : `${a.playbook}/${a.step} (${a.action}) approved, then ${a.status}`,
    });
  }
  if (expected.policy !== null) {
    const p = observed.policy;
    lines.push({
      what: 'policy',
      ok:
        p !== undefined &&
        p.kind === expected.policy.kind &&
        p.subject === expected.policy.subject &&
        p.status === 'active',
      expected: `${expected.policy.kind} on ${expected.policy.subject}, active`,
      actual: p === undefined ? 'not proposed' : `${p.kind} on ${p.subject}, ${p.status}`,
    });
  }
  if (expected.enforcement !== null) {
    const got = (observed.enforcementAlerts ?? []).map(alertLabel);
    lines.push({
      what: 'enforcement',
      ok: JSON.stringify(sorted(got)) === JSON.stringify(sorted(expected.enforcement.alerts)),
      expected: show(expected.enforcement.alerts),
      actual: observed.enforcementAlerts === undefined ? 'not tried' : show(got),
    });
    const after = observed.incidentAfterEnforcement;
    lines.push({
      what: 'incident after',
      ok: after?.severity === expected.enforcement.incident,
      expected: `the violation joins it, ${expected.enforcement.incident}`,
      actual:
        after === undefined
          ? 'the violation joined no incident'
          : `the violation joins it, ${after.severity}`,
    });
  }
  return lines;
}
