import { allTopics } from '@ward/contracts';
import { MIGRATIONS } from '@ward/persistence';
import Redis from 'ioredis';
import { Client } from 'pg';
import { intOption } from '../cli/args';
import { type CliConfig, SERVICES, type Service } from '../cli/config';
import { type Context } from '../cli/context';
import { EXIT } from '../cli/errors';
import { probe } from '../client/api.client';
import { connectKafka, kafkaFailure } from '../client/kafka.client';
import {
  type CheckResult,
  hostOf,
  kafkaProblem,
  postgresProblem,
  redisProblem,
  renderChecks,
  serviceResults,
  staleCheckpoints,
} from '../doctor/diagnose';

async function checkKafka(config: CliConfig, timeoutMs: number): Promise<CheckResult[]> {
  const handle = connectKafka(config, { connectionTimeoutMs: timeoutMs, retries: 0 });
  const admin = handle.kafka.admin();
  const from = config.sources.get('KAFKA_BROKERS');
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    const existing = new Set(await admin.listTopics());
    const ward = allTopics(handle.topics);
    const missing = ward.filter((t) => !existing.has(t.name)).map((t) => t.name);
    const results: CheckResult[] = [
      {
        name: 'kafka',
        status: 'ok',
        detail: `Kafka at ${handle.brokers.join(',')} answers (${cluster.brokers.length} broker${cluster.brokers.length === 1 ? '' : 's'})`,
      },
    ];
    if (missing.length > 0) {
      results.push({
        name: 'topics',
        status: 'fail',
        detail: `${missing.length} of ${ward.length} topics are missing: ${missing.join(', ')}`,
        fix: `run \`npm run topics\`${handle.prefix ? ` with KAFKA_TOPIC_PREFIX=${handle.prefix}` : ''} (services also create them when they start)`,
      });
    } else {
      const meta = await admin.fetchTopicMetadata({ topics: ward.map((t) => t.name) });
      const thin = ward.filter((t) => {
        const found = meta.topics.find((m) => m.name === t.name);
        return found !== undefined && found.partitions.length < t.partitions;
      });
      results.push(
        thin.length > 0
          ? {
              name: 'topics',
              status: 'warn',
              detail: `fewer partitions than Ward expects on ${thin.map((t) => t.name).join(', ')}`,
              fix: 'fewer partitions means fewer replicas can share the work; recreate them or add partitions',
            }
          : {
              name: 'topics',
              status: 'ok',
              detail: `all ${ward.length} Ward topics exist${handle.prefix ? ` (prefix ${handle.prefix})` : ''}`,
            },
      );
    }
    return results;
  } catch (error) {
    return [kafkaProblem(kafkaFailure(handle.brokers, error), from)];
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

async function checkPostgres(config: CliConfig, timeoutMs: number): Promise<CheckResult[]> {
  const from = config.sources.get('DATABASE_URL');
  const client = new Client({
    connectionString: config.databaseUrl,
    connectionTimeoutMillis: timeoutMs,
    application_name: 'ward-doctor',
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const exists = await client.query<{ t: string | null }>(
      "SELECT to_regclass('ward_migrations')::text AS t",
    );
    const known = MIGRATIONS.map((m) => m.name);
    const applied =
      exists.rows[0]?.t === null
        ? []
        : (await client.query<{ name: string }>('SELECT name FROM ward_migrations')).rows.map(
            (r) => r.name,
          );
    const pending = known.filter((n) => !applied.includes(n));
    return [
      {
        name: 'postgres',
        status: 'ok',
        detail: `PostgreSQL at ${hostOf(config.databaseUrl)} answers`,
      },
      pending.length === 0
        ? { name: 'migrations', status: 'ok', detail: `all ${known.length} migrations applied` }
        : {
            name: 'migrations',
            status: 'fail',
            detail: `${pending.length} of ${known.length} migrations not applied (${pending.join(', ')})`,
            fix: 'run `npm run migrate` (npm start does it too)',
          },
    ];
  } catch (error) {
    return [postgresProblem(error, config.databaseUrl, from)];
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function checkRedis(config: CliConfig, timeoutMs: number): Promise<CheckResult[]> {
  const from = config.sources.get('REDIS_URL');
  const redis = new Redis(config.redisUrl, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  let lastError: unknown;
  redis.on('error', (error) => {
    lastError = error;
  });
  try {
    await redis.connect();
    await redis.ping();
    return [{ name: 'redis', status: 'ok', detail: `Redis at ${hostOf(config.redisUrl)} answers` }];
  } catch (error) {
    return [redisProblem(lastError ?? error, config.redisUrl, from)];
  } finally {
    redis.disconnect();
  }
}

/** Whether the monitor's checkpoints still match the events topic (see staleCheckpoints). */
async function checkCheckpoints(config: CliConfig, timeoutMs: number): Promise<CheckResult[]> {
  const handle = connectKafka(config, { connectionTimeoutMs: timeoutMs, retries: 0 });
  const topic = handle.topics.behavioralEvents.name;
  const admin = handle.kafka.admin();
  const client = new Client({
    connectionString: config.databaseUrl,
    connectionTimeoutMillis: timeoutMs,
  });
  client.on('error', () => undefined);
  try {
    await Promise.all([admin.connect(), client.connect()]);
    const ends = await admin.fetchTopicOffsets(topic);
    const { rows } = await client.query<{
      consumer_group: string;
      partition: number;
      next_offset: string;
    }>('SELECT consumer_group, partition, next_offset FROM monitor_offsets WHERE topic = $1', [
      topic,
    ]);
    const stale = staleCheckpoints(
      rows.map((r) => ({
        group: r.consumer_group,
        partition: r.partition,
        nextOffset: Number(r.next_offset),
      })),
      ends,
    );
    if (stale.length === 0) {
      return [
        { name: 'checkpoints', status: 'ok', detail: `the monitor's checkpoints match ${topic}` },
      ];
    }
    const groups = [...new Set(stale.map((x) => x.group))];
    return [
      {
        name: 'checkpoints',
        status: 'fail',
        detail: `${topic} was created again under the monitor: its checkpoints are past the end of ${stale
          .map((x) => `partition ${x.partition} (${x.nextOffset} > ${x.high}, group ${x.group})`)
          .join(', ')}`,
        fix: `the monitor forgets such a checkpoint, with a warning, when the partition's next event arrives; to clear it now, stop Ward, then: psql "$DATABASE_URL" -c "DELETE FROM monitor_offsets WHERE topic = '${topic}' AND consumer_group IN (${groups.map((g) => `'${g}'`).join(', ')})"`,
      },
    ];
  } catch {
    // Kafka or PostgreSQL is down or not migrated: their own checks say so.
    return [];
  } finally {
    await admin.disconnect().catch(() => undefined);
    await client.end().catch(() => undefined);
  }
}

/** A cheap read of each service's API that needs its admin token. */
export function apiProbePath(service: Service, tenant: string): string {
  const t = encodeURIComponent(tenant);
  switch (service) {
    case 'ingest':
      return `/v1/api-keys?tenantId=${t}`;
    case 'monitor':
      return `/v1/tenants/${t}/agents?limit=1`;
    case 'fusion':
      return `/v1/tenants/${t}/incidents?limit=1`;
    case 'response':
      return '/v1/playbooks';
    case 'policy':
      return `/v1/tenants/${t}/policies?limit=1`;
  }
}

async function checkService(
  config: CliConfig,
  service: Service,
  timeoutMs: number,
): Promise<CheckResult[]> {
  const e = config.services[service];
  const health = await probe(`${e.url}/healthz`, timeoutMs);
  if ('error' in health) {
    return serviceResults({
      name: e.name,
      url: e.url,
      tokenVar: e.tokenVar,
      tokenSource: e.tokenSource,
      hasToken: e.token !== undefined,
      health,
    });
  }
  const ready = await probe(`${e.url}/readyz`, timeoutMs + 2000);
  let api: { status: number; body: string } | { error: unknown } | undefined;
  if (e.token !== undefined) {
    try {
      const res = await fetch(`${e.url}${apiProbePath(service, config.tenant)}`, {
        headers: { authorization: `Bearer ${e.token}` },
        signal: AbortSignal.timeout(timeoutMs),
      });
      api = { status: res.status, body: await res.text() };
    } catch (error) {
      api = { error };
    }
  }
  const results = serviceResults({
    name: e.name,
    url: e.url,
    tokenVar: e.tokenVar,
    tokenSource: e.tokenSource,
    hasToken: e.token !== undefined,
    health,
    ready,
    ...(api !== undefined && { api }),
  });
  if (service === 'response' && api !== undefined && 'status' in api && api.status === 200) {
    const files = JSON.parse(api.body) as { file?: string; id?: string; problems?: string[] }[];
    const refused = files.filter((f) => (f.problems?.length ?? 0) > 0);
    if (refused.length > 0) {
      results.push({
        name: 'playbooks',
        status: 'warn',
        detail: `${refused.length} playbook file${refused.length === 1 ? ' is' : 's are'} refused: ${refused.map((f) => `${f.file ?? f.id}: ${f.problems?.[0] ?? ''}`).join('; ')}`,
        fix: 'fix the file (see docs/PLAYBOOKS.md); the others run',
      });
    }
  }
  return results;
}

/** `ward doctor` */
export async function doctor(ctx: Context): Promise<number> {
  const config = ctx.config();
  const timeoutMs = intOption(ctx.values, 'timeout', { min: 1, max: 60 }, 3) * 1000;
  const groups = await Promise.all([
    checkKafka(config, timeoutMs),
    checkPostgres(config, timeoutMs),
    checkRedis(config, timeoutMs),
    checkCheckpoints(config, timeoutMs),
    ...SERVICES.map((s) => checkService(config, s, timeoutMs)),
  ]);
  const results = groups.flat();
  const ok = results.every((r) => r.status !== 'fail');
  if (ctx.json) {
    ctx.out.line(JSON.stringify({ ok, checks: results }));
  } else {
    ctx.out.write(renderChecks(results, ctx.out.style));
  }
  return ok ? EXIT.ok : EXIT.failure;
}
