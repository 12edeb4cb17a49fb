import { DataSource } from 'typeorm';
import { CreateThreatAlerts1764000000000 } from './migrations/1764000000000-create-threat-alerts';
import { ApiKeyEntity } from './api-key.entity';
import { FilePositionEntity } from './file-position.entity';
import { CreateApiKeysAndFilePositions1764100000000 } from './migrations/1764100000000-create-api-keys-and-file-positions';
import { CreateMonitorState1764200000000 } from './migrations/1764200000000-create-monitor-state';
import { CreateFusion1764300000000 } from './migrations/1764300000000-create-fusion';
import { CreateAuditLog1764400000000 } from './migrations/1764400000000-create-audit-log';
import { CreateResponseRuns1764500000000 } from './migrations/1764500000000-create-response-runs';
import { CreatePolicies1764600000000 } from './migrations/1764600000000-create-policies';
import { PolicyEvidenceClockIndex1764600000001 } from './migrations/1764600000001-policy-evidence-clock-index';
import { ApiKeyExpiry1764710000000 } from './migrations/1764710000000-api-key-expiry';
import { AgentCooldowns1764800000000 } from './migrations/1764800000000-agent-cooldowns';
import { ThreatAlertEntity } from './threat-alert.entity';

export const ENTITIES = [ThreatAlertEntity, ApiKeyEntity, FilePositionEntity];
export const MIGRATIONS = [
  CreateThreatAlerts1764000000000,
  CreateApiKeysAndFilePositions1764100000000,
  CreateMonitorState1764200000000,
  CreateFusion1764300000000,
  CreateAuditLog1764400000000,
  CreateResponseRuns1764500000000,
  CreatePolicies1764600000000,
  PolicyEvidenceClockIndex1764600000001,
  ApiKeyExpiry1764710000000,
  AgentCooldowns1764800000000,
];

export interface DatabaseOptions {
  readonly url: string;
  readonly poolSize?: number;
  readonly applicationName?: string;
}

/** Schema changes only through migrations; `synchronize` stays off everywhere. */
export function createDataSource(options: DatabaseOptions): DataSource {
  return new DataSource({
    type: 'postgres',
    url: options.url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'ward_migrations',
    synchronize: false,
    migrationsRun: false,
    // Failed queries surface as exceptions; logging them here would print their parameters.
    logging: ['migration'],
    applicationName: options.applicationName ?? 'ward',
    extra: { max: options.poolSize ?? 10, connectionTimeoutMillis: 5000 },
  });
}

/**
 * node-postgres emits 'error' on a pooled client that PostgreSQL drops while
 * the client is checked out between two queries (a transaction of a batch when
 * the server shuts down). With no listener that error ends the process; the
 * query in flight or the next one fails anyway and the caller retries, so the
 * event itself only needs a listener.
 */
export function keepClientErrorsHandled(dataSource: DataSource): void {
  const pool = (
    dataSource.driver as unknown as {
      master?: EventEmitterLike & { _clients?: EventEmitterLike[] };
    }
  ).master;
  if (pool === undefined) {
    return;
  }
  const listen = (client: EventEmitterLike) => client.on('error', () => undefined);
  for (const client of pool._clients ?? []) {
    listen(client);
  }
  pool.on('connect', listen);
}

interface EventEmitterLike {
  on(event: string, listener: (...args: never[]) => void): unknown;
}

/** Applies pending migrations under a Postgres advisory lock so replicas starting together do not race. */
export async function runMigrations(dataSource: DataSource): Promise<string[]> {
  const MIGRATION_LOCK = 0x57415244; // "WARD"
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return applied.map((m) => m.name);
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    await runner.release();
  }
}
