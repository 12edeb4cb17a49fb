import { type ThreatAlert, ThreatAlertContract, topicRegistry } from '@ward/contracts';
import { createKafka } from '@ward/messaging';
import { ApiKeyRepository, createDataSource } from '@ward/persistence';
import { toNdjson } from '@ward/testing';
import { runawayScenario } from './demo-scenario';

/**
 * `npm run demo`: sends a short runaway-agent scenario to a running Ward
 * (`npm start`) and prints the alert the monitor raises.
 */
const color = process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code: string, text: string) => (color ? `\u001b[${code}m${text}\u001b[0m` : text);
const say = (text: string) => console.log(`${paint('36', '[demo]')} ${text}`);

async function main(): Promise<void> {
  const ingestUrl = process.env.INGEST_URL ?? 'http://127.0.0.1:3001';
  const monitorUrl = process.env.MONITOR_URL ?? 'http://127.0.0.1:3002';
  const windowMs = Number(process.env.MONITOR_WINDOW_SECONDS ?? 60) * 1000;
  const timeoutMs = Number(process.env.DEMO_TIMEOUT_SECONDS ?? 60) * 1000;
  const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
  const topics = topicRegistry(process.env.KAFKA_TOPIC_PREFIX ?? '');

  for (const [name, url] of [
    ['sentinel-ingest', ingestUrl],
    ['behavioral-monitor', monitorUrl],
  ] as const) {
    const res = await fetch(`${url}/readyz`).catch(() => undefined);
    if (res?.status !== 200) {
      throw new Error(
        `${name} is not ready at ${url}/readyz: start Ward first with \`npm start\` (in another terminal)`,
      );
    }
  }

  const scenario = runawayScenario(Date.now(), windowMs);
  const kafka = createKafka({
    brokers,
    clientId: 'ward-demo',
    topicPrefix: '',
    ensureTopics: false,
  });
  const admin = kafka.admin();
  await admin.connect();
  const startOffsets = new Map(
    (await admin.fetchTopicOffsets(topics.threatAlerts.name)).map((p) => [
      p.partition,
      BigInt(p.offset),
    ]),
  );
  await admin.disconnect();

  const consumer = kafka.consumer({ groupId: `ward-demo-${process.pid}-${Date.now()}` });
  await consumer.connect();
  await consumer.subscribe({ topics: [topics.threatAlerts.name], fromBeginning: true });
  let resolveAlert: (alert: ThreatAlert) => void = () => undefined;
  const alertSeen = new Promise<ThreatAlert>((resolve) => {
    resolveAlert = resolve;
  });
  await consumer.run({
    eachMessage: ({ partition, message }) => {
      if (BigInt(message.offset) < (startOffsets.get(partition) ?? 0n)) {
        return Promise.resolve();
      }
      const decoded = ThreatAlertContract.decode(message.value);
      if (
        decoded.ok &&
        decoded.value.tenantId === scenario.tenantId &&
        decoded.value.agentId === scenario.runaway &&
        Date.parse(decoded.value.window.start) === scenario.burstWindowStart
      ) {
        resolveAlert(decoded.value);
      }
      return Promise.resolve();
    },
  });

  // The demo tenant gets its own ingest key, created the way `npm run api-key` does.
  const databaseUrl = process.env.DATABASE_URL ?? 'postgres://ward:ward@127.0.0.1:5432/ward';
  const dataSource = await createDataSource({
    url: databaseUrl,
    applicationName: 'ward-demo',
  }).initialize();
  const apiKey = await new ApiKeyRepository(dataSource).create(scenario.tenantId, 'demo', [
    'ingest',
  ]);
  await dataSource.destroy();

  const agents = [...scenario.calm, scenario.runaway];
  say(`${agents.length} agents of tenant "${scenario.tenantId}": ${agents.join(', ')}`);
  say(
    `sending ${scenario.events.length} events covering 6 windows of ${windowMs / 1000} s event time;`,
  );
  say(`the first five windows are normal, then ${paint('1', scenario.runaway)} bursts to 90 calls`);
  const res = await fetch(`${ingestUrl}/v1/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-ndjson', authorization: `Bearer ${apiKey.key}` },
    body: toNdjson(scenario.events),
  });
  const answer = (await res.json()) as { accepted: number; rejected: number; duplicates: number };
  say(
    `ingest answered ${res.status}: accepted ${answer.accepted}, rejected ${answer.rejected}, duplicates ${answer.duplicates}`,
  );
  say('waiting for the behavioral monitor...');

  const started = Date.now();
  const timer = new Promise<never>((_, reject) =>
    setTimeout(
      () =>
        reject(
          new Error(
            `no alert within ${timeoutMs / 1000} s: is behavioral-monitor consuming ${topics.behavioralEvents.name}? Check its output in the npm start terminal and \`npm run infra -- status\``,
          ),
        ),
      timeoutMs,
    ).unref(),
  );
  const alert = await Promise.race([alertSeen, timer]);
  await consumer.disconnect();

  const sev = alert.severity.toUpperCase();
  console.log('');
  say(
    `${paint(alert.severity === 'critical' || alert.severity === 'high' ? '31;1' : '33;1', sev)} alert after ${Date.now() - started} ms on ${topics.threatAlerts.name}`,
  );
  console.log(`  alert      ${alert.alertId}`);
  console.log(`  agent      ${alert.tenantId}/${alert.agentId}`);
  console.log(
    `  detector   ${alert.detector}   score ${alert.score}   risk ${alert.riskScore}/100`,
  );
  console.log(`  window     ${alert.window.start} → ${alert.window.end}`);
  console.log(
    `  evidence   ${alert.evidence.metric} = ${alert.evidence.value} vs baseline ${alert.evidence.baselineMean.toFixed(1)} ± ${alert.evidence.baselineStddev.toFixed(1)} (z = ${alert.evidence.zScore.toFixed(1)})`,
  );
  console.log(
    `  techniques ${alert.techniques.map((t) => `${t.framework} ${t.id} ${t.name}`).join('; ')}`,
  );
  console.log(`  summary    ${alert.summary}`);
  console.log('');
  say(
    `stored in PostgreSQL (threat_alerts) and the agent is in cooldown in Redis; each demo run uses a fresh tenant, so it can be run again.`,
  );
}

main().catch((error: unknown) => {
  console.error(
    `${paint('31', '[demo]')} ${error instanceof Error ? error.message : String(error)}`,
  );
  process.exit(1);
});
