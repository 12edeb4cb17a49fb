import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';

export interface RunRow {
  readonly runId: string;
  readonly tenantId: string;
  readonly incidentId: string;
  readonly playbookId: string;
  readonly playbookVersion: number;
  readonly status: 'running' | 'waiting' | 'succeeded' | 'failed';
  readonly dryRun: boolean;
  readonly playbook: unknown;
  readonly incident: unknown;
  /** When a waiting run is due, or when a running step's lease ends. */
  readonly nextCheckAt?: Date;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface DestinationHealth {
  readonly name: string;
  readonly consecutiveFailures: number;
  readonly lastError?: string;
  readonly disabledAt?: Date;
  readonly parked: number;
}

export interface ParkedDelivery {
  readonly runId: string;
  readonly stepId: string;
  readonly destination: string;
  readonly tenantId: string;
  readonly action: string;
  readonly parkedAt: Date;
}

export interface StepRow {
  readonly runId: string;
  readonly stepId: string;
  readonly position: number;
  readonly action: string;
  readonly status: string;
  readonly attempts: number;
  readonly parameters?: unknown;
  readonly output?: unknown;
  readonly error?: string;
  readonly approvalRequestedAt?: Date;
  readonly approvalDeadline?: Date;
  readonly retryAt?: Date;
  readonly approver?: string;
  readonly reason?: string;
}

export interface PendingApproval {
  readonly runId: string;
  readonly tenantId: string;
  readonly incidentId: string;
  readonly playbookId: string;
  readonly stepId: string;
  readonly action: string;
  readonly parameters: unknown;
  readonly requestedAt: Date;
  readonly deadline: Date;
}

type DbStep = {
  run_id: string;
  step_id: string;
  position: number;
  action: string;
  status: string;
  attempts: number;
  parameters: unknown;
  output: unknown;
  error: string | null;
  approval_requested_at: Date | null;
  approval_deadline: Date | null;
  retry_at: Date | null;
  approver: string | null;
  reason: string | null;
};

const stepOf = (r: DbStep): StepRow => ({
  runId: r.run_id,
  stepId: r.step_id,
  position: r.position,
  action: r.action,
  status: r.status,
  attempts: r.attempts,
  ...(r.parameters !== null && { parameters: r.parameters }),
  ...(r.output !== null && { output: r.output }),
  ...(r.error !== null && { error: r.error }),
  ...(r.approval_requested_at !== null && { approvalRequestedAt: r.approval_requested_at }),
  ...(r.approval_deadline !== null && { approvalDeadline: r.approval_deadline }),
  ...(r.retry_at !== null && { retryAt: r.retry_at }),
  ...(r.approver !== null && { approver: r.approver }),
  ...(r.reason !== null && { reason: r.reason }),
});

/** Runs and step states of response-engine; every change of one run holds that run's lock. */
@Injectable()
export class RunRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Creates the run unless it exists (a replayed incident starts nothing twice). */
  async create(run: Omit<RunRow, 'status' | 'createdAt' | 'updatedAt'>): Promise<boolean> {
    const rows = await this.dataSource.query<{ run_id: string }[]>(
      `INSERT INTO response_runs (run_id, tenant_id, incident_id, playbook_id, playbook_version, status,
         dry_run, playbook, incident)
       VALUES ($1, $2, $3, $4, $5, 'running', $6, $7::jsonb, $8::jsonb)
       ON CONFLICT (run_id) DO NOTHING RETURNING run_id`,
      [
        run.runId,
        run.tenantId,
        run.incidentId,
        run.playbookId,
        run.playbookVersion,
        run.dryRun,
        JSON.stringify(run.playbook),
        JSON.stringify(run.incident),
      ],
    );
    return rows.length === 1;
  }

  /** Runs `work` in a transaction holding the run's lock, with the run and its steps loaded. */
  async withRun<T>(
    runId: string,
    work: (tx: EntityManager, run: RunRow, steps: StepRow[]) => Promise<T>,
  ): Promise<T | undefined> {
    return this.dataSource.transaction(async (tx) => {
      await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`run:${runId}`]);
      const run = await this.run(runId, tx);
      if (run === undefined) {
        return undefined;
      }
      return work(tx, run, await this.steps(runId, tx));
    });
  }

  async run(runId: string, tx?: EntityManager): Promise<RunRow | undefined> {
    const rows = await (tx ?? this.dataSource).query<
      {
        run_id: string;
        tenant_id: string;
        incident_id: string;
        playbook_id: string;
        playbook_version: number;
        status: RunRow['status'];
        dry_run: boolean;
        playbook: unknown;
        incident: unknown;
        next_check_at: Date | null;
        created_at: Date;
        updated_at: Date;
      }[]
    >(`SELECT * FROM response_runs WHERE run_id = $1`, [runId]);
    const r = rows[0];
    return r === undefined
      ? undefined
      : {
          runId: r.run_id,
          tenantId: r.tenant_id,
          incidentId: r.incident_id,
          playbookId: r.playbook_id,
          playbookVersion: r.playbook_version,
          status: r.status,
          dryRun: r.dry_run,
          playbook: r.playbook,
          incident: r.incident,
          ...(r.next_check_at !== null && { nextCheckAt: r.next_check_at }),
          createdAt: r.created_at,
          updatedAt: r.updated_at,
        };
  }

  /** The runs an incident started, oldest first (without their playbook and incident copies). */
  async runsOfIncident(
    tenantId: string,
    incidentId: string,
  ): Promise<Omit<RunRow, 'playbook' | 'incident'>[]> {
    const rows = await this.dataSource.query<
      {
        run_id: string;
        playbook_id: string;
        playbook_version: number;
        status: RunRow['status'];
        dry_run: boolean;
        next_check_at: Date | null;
        created_at: Date;
        updated_at: Date;
      }[]
    >(
      `SELECT run_id, playbook_id, playbook_version, status, dry_run, next_check_at, created_at, updated_at
         FROM response_runs WHERE tenant_id = $1 AND incident_id = $2 ORDER BY created_at, run_id`,
      [tenantId, incidentId],
    );
    return rows.map((r) => ({
      runId: r.run_id,
      tenantId,
      incidentId,
      playbookId: r.playbook_id,
      playbookVersion: r.playbook_version,
      status: r.status,
      dryRun: r.dry_run,
      ...(r.next_check_at !== null && { nextCheckAt: r.next_check_at }),
      createdAt: r.created_at,
      updatedAt: r.updated_at,
    }));
  }

  async steps(runId: string, tx?: EntityManager): Promise<StepRow[]> {
    const rows = await (tx ?? this.dataSource).query<DbStep[]>(
      `SELECT * FROM response_steps WHERE run_id = $1 ORDER BY position`,
      [runId],
    );
    return rows.map(stepOf);
  }

  async saveStep(tx: EntityManager, s: StepRow): Promise<void> {
    await tx.query(
      `INSERT INTO response_steps (run_id, step_id, position, action, status, attempts, parameters, output,
         error, approval_requested_at, approval_deadline, retry_at, approver, reason, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8::jsonb, $9, $10, $11, $12, $13, $14, now())
       ON CONFLICT (run_id, step_id) DO UPDATE SET
         status = excluded.status, attempts = excluded.attempts, parameters = excluded.parameters,
         output = excluded.output, error = excluded.error,
         approval_requested_at = excluded.approval_requested_at,
         approval_deadline = excluded.approval_deadline, retry_at = excluded.retry_at,
         approver = excluded.approver, reason = excluded.reason, updated_at = now()`,
      [
        s.runId,
        s.stepId,
        s.position,
        s.action,
        s.status,
        s.attempts,
        s.parameters === undefined ? null : JSON.stringify(s.parameters),
        s.output === undefined ? null : JSON.stringify(s.output),
        s.error ?? null,
        s.approvalRequestedAt ?? null,
        s.approvalDeadline ?? null,
        s.retryAt ?? null,
        s.approver ?? null,
        s.reason ?? null,
      ],
    );
  }

  async setStatus(
    tx: EntityManager,
    runId: string,
    status: RunRow['status'],
    nextCheckAt: Date | null,
  ): Promise<void> {
    await tx.query(
      `UPDATE response_runs SET status = $2, next_check_at = $3, updated_at = now() WHERE run_id = $1`,
      [runId, status, nextCheckAt],
    );
  }

  /**
   * Runs to look at again: waiting ones whose check time has come, running
   * ones whose step lease ran out (a crash mid-action), and running ones left
   * between steps by a crash.
   */
  async due(now: Date, limit: number): Promise<string[]> {
    const rows = await this.dataSource.query<{ run_id: string }[]>(
      `SELECT run_id FROM response_runs
        WHERE (status IN ('waiting', 'running') AND next_check_at <= $1)
           OR (status = 'running' AND next_check_at IS NULL
               AND updated_at < $1::timestamptz - interval '30 seconds')
        ORDER BY next_check_at NULLS FIRST LIMIT $2`,
      [now, limit],
    );
    return rows.map((r) => r.run_id);
  }

  /** How many steps wait for a person, in every tenant. */
  async countPendingApprovals(): Promise<number> {
    const rows = await this.dataSource.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM response_steps WHERE status = 'pending_approval'`,
    );
    return rows[0]?.n ?? 0;
  }

  async pendingApprovals(tenantId: string | undefined, limit: number): Promise<PendingApproval[]> {
    const rows = await this.dataSource.query<
      (DbStep & { tenant_id: string; incident_id: string; playbook_id: string })[]
    >(
      `SELECT s.*, r.tenant_id, r.incident_id, r.playbook_id FROM response_steps s
         JOIN response_runs r ON r.run_id = s.run_id
        WHERE s.status = 'pending_approval' AND ($1::text IS NULL OR r.tenant_id = $1)
        ORDER BY s.approval_requested_at LIMIT $2`,
      [tenantId ?? null, limit],
    );
    return rows.map((r) => ({
      runId: r.run_id,
      tenantId: r.tenant_id,
      incidentId: r.incident_id,
      playbookId: r.playbook_id,
      stepId: r.step_id,
      action: r.action,
      parameters: r.parameters,
      requestedAt: r.approval_requested_at!,
      deadline: r.approval_deadline!,
    }));
  }

  /** A delivery to `name` worked: its failure count starts again. */
  async destinationSucceeded(name: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE response_destinations SET consecutive_failures = 0, updated_at = now()
        WHERE name = $1 AND consecutive_failures > 0 AND disabled_at IS NULL`,
      [name],
    );
  }

  /** A delivery to `name` failed; returns true when this failure disabled it. */
  async destinationFailed(name: string, error: string, limit: number): Promise<boolean> {
    const rows = await this.dataSource.query<{ disabled_now: boolean }[]>(
      `INSERT INTO response_destinations AS d (name, consecutive_failures, last_error)
       VALUES ($1, 1, $2)
       ON CONFLICT (name) DO UPDATE SET consecutive_failures = d.consecutive_failures + 1,
         last_error = excluded.last_error, updated_at = now()
       RETURNING (consecutive_failures >= $3 AND disabled_at IS NULL) AS disabled_now`,
      [name, error.slice(0, 1000), limit],
    );
    if (rows[0]?.disabled_now === true) {
      await this.dataSource.query(
        `UPDATE response_destinations SET disabled_at = now() WHERE name = $1 AND disabled_at IS NULL`,
        [name],
      );
      return true;
    }
    return false;
  }

  async destinationDisabled(name: string): Promise<boolean> {
    const rows = await this.dataSource.query<unknown[]>(
      `SELECT 1 FROM response_destinations WHERE name = $1 AND disabled_at IS NOT NULL`,
      [name],
    );
    return rows.length > 0;
  }

  /** Health of the named destinations (those never used have no failures). */
  async destinations(names: readonly string[]): Promise<DestinationHealth[]> {
    const rows = await this.dataSource.query<
      {
        name: string;
        consecutive_failures: number | null;
        last_error: string | null;
        disabled_at: Date | null;
        parked: string;
      }[]
    >(
      `SELECT n.name, d.consecutive_failures, d.last_error, d.disabled_at,
              (SELECT count(*) FROM response_parked_deliveries p WHERE p.destination = n.name) AS parked
         FROM unnest($1::text[]) AS n(name)
         LEFT JOIN response_destinations d ON d.name = n.name
        ORDER BY n.name`,
      [names],
    );
    return rows.map((r) => ({
      name: r.name,
      consecutiveFailures: r.consecutive_failures ?? 0,
      ...(r.last_error !== null && { lastError: r.last_error }),
      ...(r.disabled_at !== null && { disabledAt: r.disabled_at }),
      parked: Number(r.parked),
    }));
  }

  /** Enables a destination again, with a fresh failure count. */
  async enableDestination(name: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE response_destinations SET disabled_at = NULL, consecutive_failures = 0, updated_at = now()
        WHERE name = $1`,
      [name],
    );
  }

  async park(tx: EntityManager, d: Omit<ParkedDelivery, 'parkedAt'>): Promise<void> {
    await tx.query(
      `INSERT INTO response_parked_deliveries (run_id, step_id, destination, tenant_id, action)
       VALUES ($1, $2, $3, $4, $5) ON CONFLICT (run_id, step_id) DO NOTHING`,
      [d.runId, d.stepId, d.destination, d.tenantId, d.action],
    );
  }

  async parked(destination: string, limit: number): Promise<ParkedDelivery[]> {
    const rows = await this.dataSource.query<
      {
        run_id: string;
        step_id: string;
        destination: string;
        tenant_id: string;
        action: string;
        parked_at: Date;
      }[]
    >(
      `SELECT * FROM response_parked_deliveries WHERE destination = $1 ORDER BY parked_at, run_id, step_id LIMIT $2`,
      [destination, limit],
    );
    return rows.map((r) => ({
      runId: r.run_id,
      stepId: r.step_id,
      destination: r.destination,
      tenantId: r.tenant_id,
      action: r.action,
      parkedAt: r.parked_at,
    }));
  }

  /** Removes one parked delivery inside a run's transaction; false when it was not parked. */
  async unpark(tx: EntityManager, runId: string, stepId: string): Promise<boolean> {
    // TypeORM answers a DELETE with [rows, affected].
    const [, affected] = await tx.query<[unknown[], number]>(
      `DELETE FROM response_parked_deliveries WHERE run_id = $1 AND step_id = $2`,
      [runId, stepId],
    );
    return affected > 0;
  }
}
