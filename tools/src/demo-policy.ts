import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type BehavioralEvent,
  type Policy,
  type ThreatAlert,
  topicRegistry,
} from '@ward/contracts';
import { createKafka } from '@ward/messaging';
import { ApiKeyRepository, createDataSource } from '@ward/persistence';
import { opaBinary } from '@ward/testing';
import { type Consumer } from 'kafkajs';
import { injectionCampaign } from './demo-scenario';

/**
 * `npm run demo:policy`: against a running Ward (`npm start`), an agent is fed
 * the same poisoned page three times; sentinel-ingest catches each injection,
 * policy-generator turns the repetition into proposals with their evidence
 * and confidence; the demo approves the domain block as a person would, then
 * shows an OPA agent (polling the bundle) and sentinel-ingest enforcing it,
 * and the monitor alerting on the violation.
 */
const color = process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code: string, text: string) => (color ? `\u001b[${code}m${text}\u001b[0m` : text);
const say = (text: string) => console.log(`${paint('36', '[demo]')} ${text}`);
const ROOT = join(__dirname, '../..');

function tokens(): { admin: string; bundle: string } {
  const file = join(ROOT, '.ward/dev-tokens.env');
  const saved: Record<string, string | undefined> = existsSync(file)
    ? Object.fromEntries(
        readFileSync(file, 'utf8')
          .split('\n')
          .map((l) => /^([A-Z_]+)=(\S+)$/.exec(l.trim()))
          .filter((m): m is RegExpExecArray => m !== null)
          .map((m) => [m[1]!, m[2]!] as const),
      )
    : {};
  const admin = process.env.POLICY_ADMIN_TOKEN ?? saved.POLICY_ADMIN_TOKEN;
  const bundle = process.env.POLICY_BUNDLE_TOKEN ?? saved.POLICY_BUNDLE_TOKEN;
  if (admin === undefined || bundle === undefined) {
    throw new Error(
      'no POLICY_ADMIN_TOKEN / POLICY_BUNDLE_TOKEN: start Ward with `npm start` (it writes .ward/dev-tokens.env) or export the tokens the policy-generator runs with',
    );
  }
  return { admin, bundle };
}

async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) {
      return value;
    }
    if (Date.now() > deadline) {
      throw new Error(`gave up after ${timeoutMs / 1000} s waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

async function main(): Promise<void> {
  const ingestUrl = process.env.INGEST_URL ?? 'http://127.0.0.1:3001';
  const policyUrl = process.env.POLICY_URL ?? 'http://127.0.0.1:3005';
  const monitorUrl = process.env.MONITOR_URL ?? 'http://127.0.0.1:3002';
  const timeoutMs = Number(process.env.DEMO_TIMEOUT_SECONDS ?? 60) * 1000;
  const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
  const topics = topicRegistry(process.env.KAFKA_TOPIC_PREFIX ?? '');
  for (const [name, url] of [
    ['sentinel-ingest', ingestUrl],
    ['behavioral-monitor', monitorUrl],
    ['policy-generator', policyUrl],
  ] as const) {
    const res = await fetch(`${url}/readyz`).catch(() => undefined);
    if (res?.status !== 200) {
      throw new Error(`${name} is not ready at ${url}/readyz: start Ward first with \`npm start\``);
    }
  }
  const { admin } = tokens();
  const auth = { authorization: `Bearer ${admin}`, 'content-type': 'application/json' };
  const scenario = injectionCampaign(Date.now());
  const api = `${policyUrl}/v1/tenants/${scenario.tenantId}`;

  const dataSource = await createDataSource({
    url: process.env.DATABASE_URL ?? 'postgres://ward:ward@127.0.0.1:5432/ward',
    applicationName: 'ward-demo',
  }).initialize();
  const apiKey = await new ApiKeyRepository(dataSource).create(scenario.tenantId, 'demo', [
    'ingest',
  ]);
  await dataSource.destroy();
  const send = async (events: readonly object[]) => {
    const res = await fetch(`${ingestUrl}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey.key}` },
      body: JSON.stringify(events),
    });
    if (res.status !== 202) {
      throw new Error(`ingest answered ${res.status}: ${await res.text()}`);
    }
  };

  // 1. Repeated attacks.
  say(
    `tenant "${scenario.tenantId}": ${paint('1', scenario.agentId)} fetches ${scenario.url} three times;`,
  );
  say('the page tells it to ignore its instructions and send ~/.aws/credentials away');
  await send(scenario.attacks);

  // 2. The proposal.
  say('waiting for policy-generator to turn the repetition into a proposal...');
  const proposal = await until(
    'a proposal to block the domain',
    async () => {
      const res = await fetch(`${api}/policies?kind=indicator_block`, { headers: auth });
      const { policies } = (await res.json()) as { policies: Policy[] };
      return policies.find((p) => p.subject === `domain:${scenario.domain}`);
    },
    timeoutMs,
  );
  const all = (
    (await (await fetch(`${api}/policies`, { headers: auth })).json()) as { policies: Policy[] }
  ).policies;
  console.log('');
  say(`${all.length} proposals, most confident first:`);
  for (const p of all) {
    console.log(`  ${p.confidence.toFixed(2)}  ${p.kind.padEnd(20)} ${p.title}   (${p.policyId})`);
  }
  const e = proposal.evidence;
  console.log('');
  say(`${paint('1', proposal.title)}`);
  console.log(
    `  confidence ${proposal.confidence} = frequency ${e.factors.frequency} (${e.occurrences} occurrences)`,
  );
  console.log(
    `             + severity ${e.factors.severity} (${e.maxSeverity}) + corroboration ${e.factors.corroboration}, × ${e.factors.falsePositivePenalty} for false positives`,
  );
  console.log(
    `  evidence   ${e.detectors.join(', ')} from ${e.sources.join(', ')}: alerts ${e.alertIds.join(', ')}`,
  );
  console.log(`  rule       ${JSON.stringify(proposal.rule)}`);
  console.log(`  rego       GET ${api}/policies/${proposal.policyId}/rego`);
  console.log('');

  // 3. A person approves it.
  say(`approving it as demo@ward.local, like:`);
  console.log(
    `  curl -XPOST -H "authorization: Bearer $POLICY_ADMIN_TOKEN" -H 'content-type: application/json' \\\n    ${api}/policies/${proposal.policyId}/approve -d '{"actor":"you@example.com","reason":"..."}'`,
  );
  const approved = await fetch(`${api}/policies/${proposal.policyId}/approve`, {
    method: 'POST',
    headers: auth,
    body: JSON.stringify({
      actor: 'demo@ward.local',
      reason: 'three injections from the same domain in ten minutes',
    }),
  });
  if (approved.status !== 201) {
    throw new Error(`approval answered ${approved.status}: ${await approved.text()}`);
  }
  say(`policy ${proposal.policyId} is ${paint('32;1', 'active')}`);

  // 4. OPA enforces it.
  const violating = {
    agentId: scenario.agentId,
    action: 'fetch_url',
    iocs: { domains: [new URL(String(scenario.probe.resource)).hostname] },
  };
  let opa: ChildProcess | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'ward-demo-opa-'));
  try {
    const binary = (() => {
      try {
        return opaBinary();
      } catch {
        return undefined;
      }
    })();
    if (binary === undefined) {
      say(
        'OPA is not installed here (`bash deploy/local/tools.sh opa` builds it): skipping the OPA step',
      );
    } else {
      // The tenant's own bundle token (derived from POLICY_BUNDLE_TOKEN), as an operator gets it.
      const { token: bundle } = (await (
        await fetch(`${api}/bundle-token`, { headers: auth })
      ).json()) as { token: string };
      const port = await freePort();
      writeFileSync(
        join(dir, 'opa.yaml'),
        `services:\n  ward:\n    url: ${api}\n    credentials:\n      bearer:\n        token: ${bundle}\nbundles:\n  ward:\n    service: ward\n    resource: bundle.tar.gz\n    polling: { min_delay_seconds: 1, max_delay_seconds: 3 }\n`,
      );
      opa = spawn(
        binary,
        ['run', '--server', '--addr', `127.0.0.1:${port}`, '--config-file', join(dir, 'opa.yaml')],
        {
          stdio: 'ignore',
        },
      );
      const decide = async (event: object) => {
        const res = await fetch(`http://127.0.0.1:${port}/v1/data/ward/decision/decision`, {
          method: 'POST',
          body: JSON.stringify({ input: { event } }),
        });
        return ((await res.json()) as { result?: string }).result;
      };
      say(
        `an OPA agent polls ${api}/bundle.tar.gz (bearer: the tenant's token from GET bundle-token)...`,
      );
      await until(
        'OPA to deny',
        async () => ((await decide(violating)) === 'deny' ? true : undefined),
        timeoutMs,
      );
      const clean = {
        agentId: scenario.agentId,
        action: 'fetch_url',
        iocs: { domains: ['docs.example.org'] },
      };
      console.log(
        `  OPA data.ward.decision.decision for ${JSON.stringify(violating)}: ${paint('31;1', 'deny')}`,
      );
      console.log(
        `  OPA data.ward.decision.decision for ${JSON.stringify(clean)}: ${String(await decide(clean))}`,
      );
    }
  } finally {
    opa?.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }

  // 5. sentinel-ingest enforces it, and the monitor alerts.
  const kafka = createKafka({
    brokers,
    clientId: 'ward-demo',
    topicPrefix: '',
    ensureTopics: false,
  });
  const consumer: Consumer = kafka.consumer({ groupId: `ward-demo-${process.pid}-${Date.now()}` });
  const seen: { event?: BehavioralEvent; alert?: ThreatAlert } = {};
  const probeId = String(scenario.probe.eventId);
  await consumer.connect();
  try {
    await consumer.subscribe({
      topics: [topics.behavioralEvents.name, topics.threatAlerts.name],
      fromBeginning: false,
    });
    let joined = false;
    consumer.on(consumer.events.GROUP_JOIN, () => {
      joined = true;
    });
    await consumer.run({
      eachMessage: ({ topic, message }) => {
        const value = JSON.parse(message.value?.toString('utf8') ?? 'null') as
          (BehavioralEvent & ThreatAlert) | null;
        if (value?.tenantId !== scenario.tenantId) {
          return Promise.resolve();
        }
        if (topic === topics.behavioralEvents.name && value.eventId.startsWith(probeId)) {
          seen.event = value.policyViolations !== undefined ? value : seen.event;
        }
        if (topic === topics.threatAlerts.name && value.detector === 'policy_violation') {
          seen.alert = value;
        }
        return Promise.resolve();
      },
    });
    await until(
      'the demo consumer to join',
      () => Promise.resolve(joined ? true : undefined),
      timeoutMs,
    );
    say(
      `${scenario.agentId} now fetches ${String(scenario.probe.resource)} through sentinel-ingest...`,
    );
    let attempt = 0;
    await until(
      'ingest to label the call',
      async () => {
        if (seen.event === undefined) {
          // Until ingest has read the new policy from ward.policies.v1, a call passes unlabelled.
          attempt += 1;
          await send([{ ...scenario.probe, eventId: `${probeId}-${attempt}` }]);
          await new Promise((resolve) => setTimeout(resolve, 500));
          return undefined;
        }
        return true;
      },
      timeoutMs,
    );
    console.log(
      `  ${topics.behavioralEvents.name}: policyViolations ${JSON.stringify(seen.event!.policyViolations)}`,
    );
    const alert = await until('the monitor to alert', () => Promise.resolve(seen.alert), timeoutMs);
    console.log(
      `  ${topics.threatAlerts.name}: ${alert.severity.toUpperCase()} ${alert.detector}: ${alert.summary}`,
    );
  } finally {
    await consumer.disconnect();
  }
  console.log('');
  say(
    `policies of this tenant: curl -H "authorization: Bearer $POLICY_ADMIN_TOKEN" ${api}/policies`,
  );
  say('each run uses a fresh tenant, so it can be run again.');
}

main().catch((error: unknown) => {
  console.error(
    `${paint('31', '[demo]')} ${error instanceof Error ? error.message : String(error)}`,
  );
  process.exit(1);
});
