import { type BehavioralEvent, type DeadLetter, type ThreatAlert } from '@ward/contracts';
import { type World } from './world';

/**
 * Everything a world produced, in a form two worlds can be compared in:
 * ids are deterministic, so a clean run and a run with faults must agree
 * exactly. Processing-time columns (created_at, updated_at, failedAt,
 * receivedAt, …) are left out: they say when, not what.
 */
export interface Outcome {
  /** Distinct `tenant/eventId` on the behavioral-events topic. */
  readonly events: string[];
  /** Dead letters, one per source record: `topic reason-code original-value`. */
  readonly deadLetters: string[];
  readonly alerts: unknown[];
  readonly incidents: unknown[];
  readonly incidentAlerts: string[];
  readonly runs: unknown[];
  readonly tierChanges: unknown[];
  readonly tiers: unknown[];
  readonly policies: unknown[];
}

/** How often the same id appeared on a topic: at-least-once delivery after a crash. */
export interface Repeats {
  readonly eventRecords: number;
  readonly alertRecords: number;
  readonly distinctAlerts: number;
  readonly deadLetterRecords: number;
  /** Alert ids published more than once with different content: must be none. */
  readonly conflictingAlerts: string[];
  /** `tenant/policy kind subject status confidence last-evidence`: reported, not compared (see `policies`). */
  readonly policyStates: string[];
}

export async function outcomeOf(world: World): Promise<{ outcome: Outcome; repeats: Repeats }> {
  const t = world.topics;
  const events = await world.readAll(t.behavioralEvents.name);
  const eventKeys = new Set(
    events.map((m) => {
      const e = JSON.parse(m.value) as BehavioralEvent;
      return `${e.tenantId}/${e.eventId}`;
    }),
  );
  // One per source record (a crash may dead-letter a record again), then what
  // it was and why: null-keyed records land on any partition, so positions
  // differ between worlds while the records do not.
  const letters = await world.readAll(t.dlq.name);
  const bySource = new Map<string, string>();
  for (const m of letters) {
    const d = JSON.parse(m.value) as DeadLetter;
    bySource.set(
      `${d.sourceTopic} ${d.partition}/${d.offset}`,
      `${d.sourceTopic.slice(world.prefix.length)} ${d.reason.code} ${d.value?.data ?? ''}`,
    );
  }
  const alertRecords = await world.readAll(t.threatAlerts.name);
  const alertsById = new Map<string, string>();
  const conflicting = new Set<string>();
  for (const m of alertRecords) {
    const a = JSON.parse(m.value) as ThreatAlert;
    const content = JSON.stringify(a);
    const before = alertsById.get(a.alertId);
    if (before !== undefined && before !== content) {
      conflicting.add(a.alertId);
    }
    alertsById.set(a.alertId, content);
  }

  const pg = world.pg!;
  const rows = async (sql: string): Promise<unknown[]> =>
    (await pg.query<Record<string, unknown>>(sql)).rows;
  const alerts = await rows(
    `SELECT alert_id, tenant_id, agent_id, session_id, detector, severity, score, risk_score,
            window_start, window_end, payload - 'createdAt' AS payload
       FROM threat_alerts ORDER BY alert_id`,
  );
  const incidents = await rows(
    `SELECT tenant_id, incident_id, status, severity, score, merged_into, alert_count,
            agents, detectors, first_seen, last_seen, core
       FROM incidents ORDER BY tenant_id, incident_id`,
  );
  const incidentAlerts = (
    await pg.query<{ k: string }>(
      `SELECT tenant_id || '/' || alert_id || ' -> ' || incident_id AS k
         FROM incident_alerts ORDER BY 1`,
    )
  ).rows.map((r) => r.k);
  const runs = await rows(
    `SELECT r.run_id, r.tenant_id, r.incident_id, r.playbook_id, r.playbook_version, r.status,
            r.dry_run,
            (SELECT json_agg(json_build_array(s.step_id, s.action, s.status) ORDER BY s.position)
               FROM response_steps s WHERE s.run_id = r.run_id) AS steps
       FROM response_runs r ORDER BY r.run_id`,
  );
  // The monitor's own changes carry an id, tiers and time derived from the
  // events that caused them. A playbook's change is applied when the playbook
  // acts: it is numbered and stamped then, and which tiers it moved the agent
  // between depends on how far that agent's events had been profiled at that
  // moment. For those, what was asked (and the configured tier it left, in
  // `tiers`) is compared, not the moment.
  const tierChanges = await rows(
    `SELECT CASE WHEN source = 'monitor' THEN change_id END AS change_id,
            tenant_id, agent_id, source, reason, alert_id,
            CASE WHEN source = 'monitor' THEN from_tier END AS from_tier,
            CASE WHEN source = 'monitor' THEN to_tier END AS to_tier,
            CASE WHEN source = 'monitor' THEN changed_at END AS changed_at
       FROM agent_tier_changes
      ORDER BY tenant_id, agent_id, source, change_id, reason`,
  );
  // The reason is the last change's; which change came last between a
  // playbook's and the monitor's own depends on when the playbook acted.
  const tiers = await rows(
    `SELECT tenant_id, agent_id, tier, behavior_tier, configured_tier
       FROM agent_controls ORDER BY tenant_id, agent_id`,
  );
  // Which policies exist is compared. Their status and confidence are not
  // yet order-independent: corroboration by a response action and expiry by
  // the tenant's event time depend on how the alerts and actions topics
  // interleave (docs/RESILIENCE.md, "Known differences"), so they are
  // reported, not compared.
  const policies = await rows(
    `SELECT tenant_id, policy_id, kind, subject FROM policies ORDER BY tenant_id, policy_id`,
  );
  const policyStates = (
    await pg.query<{ k: string }>(
      `SELECT tenant_id || '/' || policy_id || ' ' || kind || ' ' || subject || ' ' || status
              || ' ' || confidence || ' ' || last_evidence_at AS k
         FROM policies ORDER BY 1`,
    )
  ).rows.map((r) => r.k);
  return {
    outcome: {
      events: [...eventKeys].sort(),
      deadLetters: [...bySource.values()].sort(),
      alerts,
      incidents,
      incidentAlerts,
      runs,
      tierChanges,
      tiers,
      policies,
    },
    repeats: {
      eventRecords: events.length,
      alertRecords: alertRecords.length,
      distinctAlerts: alertsById.size,
      deadLetterRecords: letters.length,
      conflictingAlerts: [...conflicting].sort(),
      policyStates,
    },
  };
}
