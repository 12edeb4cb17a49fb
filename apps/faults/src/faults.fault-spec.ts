import { appendFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { eventually, metricValue, uniqueTag } from '@ward/testing';
import { type Outcome, outcomeOf, type Repeats } from './outcome';
import { buildScenario, type ScenarioMessage } from './scenario';
import { DEPENDS_ON, FaultInfra, type Part, SERVICES, type ServiceName, World } from './world';

/**
 * Nothing is lost when something dies. The same scenario (tens of thousands
 * of events: every detector storyline for three tenants, calm agents around
 * them, malformed messages and re-sends) flows through two copies of the whole
 * mesh. The first runs clean. The second has each service killed with SIGKILL
 * and started again, the Kafka broker restarted, PostgreSQL stopped and
 * started, and Redis stopped for a while, each while the scenario flows. Both
 * must end with the same events, dead letters, alerts, incidents, playbook
 * runs, tier changes and policies, with no duplicate anywhere, and every
 * service's /readyz must say which dependency is down while it is down.
 */
const tag = uniqueTag('faults').replace(/-/g, '').slice(0, 24);
const infra = new FaultInfra();
const scenario = buildScenario({
  tenants: ['fault-a', 'fault-b', 'fault-c'],
  backgroundAgents: 120,
  callsPerWindow: 4,
  malformedEvery: 997,
  duplicateEvery: 499,
});
// Policies are proposed, never activated on their own: which events ingest
// labels as violations depends on when an active policy reaches it, a
// processing-time decision a fault delays (docs/RESILIENCE.md, "Known
// differences"). That the enforcement point catches up after the faults is
// checked at the end instead.

const wardHome =
  process.env['WARD_HOME'] ??
  join(process.env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache'), 'ward');

/** What happened when, for the post-mortem: tmp/faults/timeline.log, service output beside it. */
const TIMELINE = join(__dirname, '../../../tmp/faults/timeline.log');

/** Up to `limit` rows on each side that the other lacks (rows compared as JSON text). */
function rowsOnlyIn(
  clean: readonly unknown[],
  faulty: readonly unknown[],
  limit: number,
): { onlyClean: unknown[]; onlyFaulty: unknown[] } {
  const text = (rows: readonly unknown[]) => new Set(rows.map((r) => JSON.stringify(r)));
  const a = text(clean);
  const b = text(faulty);
  const only = (from: Set<string>, other: Set<string>) =>
    [...from]
      .filter((r) => !other.has(r))
      .slice(0, limit)
      .map((r) => JSON.parse(r) as unknown);
  return { onlyClean: only(a, b), onlyFaulty: only(b, a) };
}

function chunks(messages: readonly ScenarioMessage[], n: number): ScenarioMessage[][] {
  const size = Math.ceil(messages.length / n);
  return Array.from({ length: n }, (_, i) => messages.slice(i * size, (i + 1) * size));
}

describe('faults: kill -9 each service, restart Kafka and PostgreSQL, stop Redis', () => {
  let clean: World | undefined;
  let faulty: World | undefined;
  let expected: { outcome: Outcome; repeats: Repeats };
  const log: string[] = [];
  const note = (line: string): void => {
    const stamped = `${new Date().toISOString()} ${line}`;
    log.push(stamped);
    appendFileSync(TIMELINE, `${stamped}\n`);
  };

  beforeAll(() => {
    rmSync(dirname(TIMELINE), { recursive: true, force: true });
    mkdirSync(dirname(TIMELINE), { recursive: true });
    // A fresh broker and Redis of the fault tests' own.
    infra.infra('down', 'kafka', 'redis');
    rmSync(join(wardHome, 'faults/kafka/data'), { recursive: true, force: true });
    infra.infra('up', 'kafka', 'redis');
  });

  afterAll(async () => {
    await clean?.destroy().catch(() => undefined);
    await faulty?.destroy().catch(() => undefined);
    infra.infra('down', 'kafka', 'redis');
    rmSync(join(wardHome, 'faults/kafka/data'), { recursive: true, force: true });
  });

  it('plays the scenario through a clean mesh', async () => {
    expect(scenario.eventKeys.size).toBeGreaterThan(20_000);
    clean = new World(infra, tag, 'clean');
    await clean.create();
    await clean.startAll();
    note(`clean: producing ${scenario.messages.length} messages`);
    await clean.produce(scenario.messages);
    await clean.drain();
    note('clean: drained');
    expected = await outcomeOf(clean);
    await clean.stopAll();

    const o = expected.outcome;
    // Every valid event once, every malformed message dead-lettered once.
    expect(o.events).toEqual([...scenario.eventKeys].sort());
    expect(o.deadLetters).toHaveLength(scenario.malformed);
    expect(expected.repeats.conflictingAlerts).toEqual([]);
    // The storylines raise alerts, incidents, runs, demotions and policies.
    expect(o.alerts.length).toBeGreaterThan(30);
    expect(o.incidents.length).toBeGreaterThan(10);
    expect(o.runs.length).toBeGreaterThan(10);
    expect(o.tierChanges.length).toBeGreaterThan(10);
    expect(o.policies.length).toBeGreaterThan(0);
    note(
      `clean: ${o.events.length} events, ${o.deadLetters.length} dead letters, ${o.alerts.length} alerts, ${o.incidents.length} incidents, ${o.runs.length} runs, ${o.tierChanges.length} tier changes, ${o.policies.length} policies`,
    );
  });

  /** Polls until every service's /readyz matches: 503 naming `down` where it depends on it, 200 elsewhere. */
  async function readinessTellsTheTruth(world: World, down: Part | undefined): Promise<void> {
    for (const name of SERVICES) {
      const depends = down !== undefined && DEPENDS_ON[name].includes(down);
      const state = await eventually(
        async () => {
          const r = await world.readiness(name).catch((e: unknown) => ({
            status: 0,
            body: String(e),
          }));
          const named = down === undefined || r.body.toLowerCase().includes(down);
          const ok = depends ? r.status === 503 && named : r.status === 200;
          return ok ? r : undefined;
        },
        {
          timeoutMs: 180_000,
          intervalMs: 500,
          description: `${name} /readyz to be ${depends ? `503 naming ${down}` : '200'}`,
        },
      );
      note(`${name} /readyz ${state.status}${depends ? ` (${state.body.slice(0, 160)})` : ''}`);
    }
  }

  async function outage(world: World, part: Part): Promise<void> {
    note(`stopping ${part}`);
    infra.infra('stop', part);
    await readinessTellsTheTruth(world, part);
    note(`starting ${part}`);
    infra.infra('up', part);
    if (part === 'postgres') {
      await world.reconnectPg();
    }
    await readinessTellsTheTruth(world, undefined);
  }

  it('ends in exactly the same state when services die and dependencies go away meanwhile', async () => {
    expect(expected).toBeDefined();
    faulty = new World(infra, tag, 'faulty');
    const world = faulty;
    await world.create();
    await world.startAll();
    const parts = chunks(scenario.messages, 10);
    let next = 0;
    const flow = async (): Promise<void> => {
      const chunk = parts[next++] ?? [];
      note(`producing chunk ${next} (${chunk.length} messages)`);
      await world.produce(chunk);
    };

    const apiKey = await world.apiKey('fault-http');
    const transientFailures = async (service: ServiceName, topic: string): Promise<number> =>
      metricValue(await world.metrics(service), 'ward_kafka_transient_failures_total', { topic }) ??
      0;

    for (const name of SERVICES) {
      await flow();
      note(`kill -9 ${name}`);
      await world.kill(name);
      await world.start(name);
      note(`${name} ready again`);
    }
    await flow();
    await outage(world, 'kafka');
    await flow();
    await outage(world, 'postgres');

    // Redis goes away while the monitor has a backlog and the scenario keeps
    // flowing. The monitor is paused (SIGSTOP) while ingest publishes a chunk,
    // so it resumes with events to profile and no Redis. The documented
    // degradation: every Redis-backed step (ingest's dedup and rate limit,
    // the monitor's once-per-event claims) holds its batch and retries
    // instead of guessing, HTTP intake answers 503 with Retry-After; all of it
    // resumes when Redis is back.
    const monitorBefore = await transientFailures(
      'behavioral-monitor',
      world.topics.behavioralEvents.name,
    );
    const ingestBefore = await transientFailures('sentinel-ingest', world.topics.telemetryRaw.name);
    const monitor = world.service('behavioral-monitor').process;
    monitor.signal('SIGSTOP');
    await flow();
    await eventually(
      async () => ((await world.lag())['ingest ward.telemetry.raw.v1'] === 0 ? true : undefined),
      {
        timeoutMs: 120_000,
        description: 'ingest to publish the chunk while the monitor is paused',
      },
    );
    note('stopping redis (monitor paused with a backlog)');
    infra.infra('stop', 'redis');
    monitor.signal('SIGCONT');
    await readinessTellsTheTruth(world, 'redis');
    await flow();
    const res = await fetch(`http://127.0.0.1:${world.service('sentinel-ingest').port}/v1/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/x-ndjson' },
      body: `${JSON.stringify({ agentId: 'http-bot', action: 'search', timestamp: Date.now() })}\n`,
    });
    expect({ status: res.status, retryAfter: res.headers.get('retry-after') }).toEqual({
      status: 503,
      retryAfter: '5',
    });
    await eventually(
      async () =>
        (await transientFailures('behavioral-monitor', world.topics.behavioralEvents.name)) >
          monitorBefore &&
        (await transientFailures('sentinel-ingest', world.topics.telemetryRaw.name)) > ingestBefore
          ? true
          : undefined,
      { timeoutMs: 120_000, description: 'the monitor and ingest to hold their batches' },
    );
    note(
      'redis away: HTTP intake 503 (Retry-After 5); monitor and raw intake holding their batches',
    );
    note('starting redis');
    infra.infra('up', 'redis');
    await readinessTellsTheTruth(world, undefined);
    while (next < parts.length) {
      await flow();
    }
    await world.drain();
    note('faulty: drained');
    const actual = await outcomeOf(world);
    note(
      `faulty: ${actual.repeats.eventRecords} event records for ${actual.outcome.events.length} events, ${actual.repeats.alertRecords} alert records for ${actual.repeats.distinctAlerts} alerts, ${actual.repeats.deadLetterRecords} dead-letter records`,
    );

    expect(actual.repeats.conflictingAlerts).toEqual([]);
    const moved = actual.repeats.policyStates.filter(
      (p) => !expected.repeats.policyStates.includes(p),
    );
    note(
      `policies whose status or confidence differ from the clean run (known, RESILIENCE.md): ${moved.length}`,
    );
    for (const p of moved) {
      note(`  ${p}`);
    }

    // After every fault, an approved policy still reaches the enforcement
    // point: ingest's copy of ward.policies.v1 follows it again.
    const policyUrl = `http://127.0.0.1:${world.service('policy-generator').port}/v1/tenants/fault-a/policies`;
    const admin = {
      authorization: `Bearer ${world.adminToken}`,
      'content-type': 'application/json',
    };
    const proposed = (await (
      await fetch(`${policyUrl}?status=proposed`, { headers: admin })
    ).json()) as { policies: { policyId: string }[] };
    expect(proposed.policies.length).toBeGreaterThan(0);
    const chosen = proposed.policies[0]!.policyId;
    const approved = await fetch(`${policyUrl}/${chosen}/approve`, {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({ actor: 'fault-test', reason: 'enforcement after the faults' }),
    });
    expect(approved.status).toBe(201);
    await eventually(
      async () =>
        metricValue(await world.metrics('sentinel-ingest'), 'ward_ingest_active_policies') === 1
          ? true
          : undefined,
      { timeoutMs: 60_000, description: `ingest to enforce the approved policy ${chosen}` },
    );
    note(`policy ${chosen} approved after the faults: ingest enforces it`);
    // Section by section, so one run names every difference; both sides are
    // written to tmp/faults/<section>.{clean,faulty}.json to compare.
    // The failure names the rows themselves (a few per side), so a CI log
    // alone says what differs.
    const differing: Record<string, { onlyClean: unknown[]; onlyFaulty: unknown[] }> = {};
    for (const section of Object.keys(expected.outcome) as (keyof Outcome)[]) {
      const want = expected.outcome[section];
      const got = actual.outcome[section];
      if (isDeepStrictEqual(JSON.parse(JSON.stringify(got)), JSON.parse(JSON.stringify(want)))) {
        continue;
      }
      const dir = dirname(TIMELINE);
      writeFileSync(join(dir, `${section}.clean.json`), JSON.stringify(want, null, 2));
      writeFileSync(join(dir, `${section}.faulty.json`), JSON.stringify(got, null, 2));
      differing[section] = rowsOnlyIn(want, got, 5);
      note(`differs: ${section} ${JSON.stringify(differing[section])}`);
    }
    expect(differing).toEqual({});
  });
});
