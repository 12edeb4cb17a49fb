// Load generator for the ingest benchmark, run as its own process so it does
// not share an event loop with the server. Every request is an NDJSON batch of
// BATCH records with fresh event ids (duplicates would short-circuit).
import autocannon from 'autocannon';

const [url, key, seconds, connections, batch] = process.argv.slice(2);
const BATCH = Number(batch);
let request = 0;
const now = Date.now();

function body() {
  const r = request++;
  const lines = new Array(BATCH);
  for (let i = 0; i < BATCH; i++) {
    lines[i] =
      `{"eventId":"b${process.pid}-${r}-${i}","agentId":"agent-${i % 200}","sessionId":"s-${r % 50}","type":"tool_call","action":"search_docs","resource":"kb://docs/${i % 37}","outcome":"ok","latencyMs":${i % 90},"timestamp":${now - 60_000 + (i % 60_000)},"parameters":{"query":"how do I rotate keys ${i}"}}`;
  }
  return `${lines.join('\n')}\n`;
}

const instance = autocannon({
  url,
  method: 'POST',
  connections: Number(connections),
  duration: Number(seconds),
  headers: { 'content-type': 'application/x-ndjson', authorization: `Bearer ${key}` },
  requests: [{ setupRequest: (req) => ({ ...req, body: body() }) }],
});
instance.on('done', (result) => {
  process.stdout.write(
    JSON.stringify({
      requests: result.requests.total,
      non2xx: result.non2xx,
      errors: result.errors,
      durationSeconds: result.duration,
      latencyP50Ms: result.latency.p50,
      latencyP99Ms: result.latency.p99,
      eventsPerSecond: ((result.requests.total - result.non2xx) * BATCH) / result.duration,
    }),
  );
});
