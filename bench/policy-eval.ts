// What enforcing active policies costs sentinel-ingest per event: PolicySet
// evaluation (the JSON form, in-process) for a tenant with 10 and with 50
// active policies, against the contract validation every event already goes
// through, measured in the same process and run. Prints one JSON line.
// Usage: policy-eval.ts [runs] [seconds per measurement]
import { BehavioralEventContract, type BehavioralEvent, type PolicyKind } from '@ward/contracts';
import {
  CallRateCounter,
  type EnforcedPolicy,
  injectionPatternSources,
  PolicySet,
} from '@ward/detectors';

const runs = Number(process.argv[2] ?? 5);
const seconds = Number(process.argv[3] ?? 2);
const T0 = Date.UTC(2026, 0, 1);
const TEXT =
  'Quarterly shipping report: volumes rose 4% in the north region, returns fell, carriers were on time. '.repeat(
    8,
  );

const events: BehavioralEvent[] = Array.from({ length: 2000 }, (_, i) => ({
  schemaVersion: 1,
  eventId: `e-${i}`,
  tenantId: 'acme',
  agentId: `agent-${i % 50}`,
  timestamp: new Date(T0 + i * 100).toISOString(),
  receivedAt: new Date(T0 + i * 100).toISOString(),
  source: { channel: 'http' },
  type: 'tool_call',
  action: ['search', 'fetch_url', 'db.query', 'send_email'][i % 4]!,
  resource: `https://docs.example.org/page-${i % 200}`,
  outcome: 'ok',
  parameters: { url: `https://docs.example.org/page-${i % 200}`, note: TEXT.slice(0, 300) },
  result: { status: 200, body: TEXT },
  parameterEntropy: 4.1,
  iocs: { domains: ['docs.example.org'], urls: [`https://docs.example.org/page-${i % 200}`] },
  labels: {},
}));

function policies(n: number): EnforcedPolicy[] {
  const out: EnforcedPolicy[] = [];
  for (let i = 0; i < n; i++) {
    const id = i.toString(16).padStart(32, '0');
    const agent = `agent-${i % 60}`;
    const shapes: [PolicyKind, EnforcedPolicy['rule']][] = [
      [
        'tool_deny',
        { effect: 'deny', when: { agents: [agent], tools: ['shell.exec', 'fs.delete'] } },
      ],
      [
        'resource_restriction',
        {
          effect: 'deny',
          when: { agents: [agent], resources: ['s3://finance/*', 'file:///etc/shadow'] },
        },
      ],
      [
        'indicator_block',
        { effect: 'deny', when: { indicators: [{ type: 'domain', value: `evil-${i}.example` }] } },
      ],
      ['rate_ceiling', { effect: 'deny', when: { agents: [agent], maxCallsPerMinute: 120 } }],
      ['requester_validation', { effect: 'escalate', when: { requesters: [`user-${i}`] } }],
    ];
    // One in ten is an injection block: every strong injection pattern over parameters and result.
    const [kind, rule] =
      i % 10 === 0
        ? ([
            'injection_block',
            { effect: 'deny', when: { agents: [agent], textPatterns: injectionPatternSources() } },
          ] as [PolicyKind, EnforcedPolicy['rule']])
        : shapes[i % shapes.length]!;
    out.push({ policyId: id, version: 1, kind, rule });
  }
  return out;
}

function rate(work: (event: BehavioralEvent) => unknown): number {
  let n = 0;
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    for (let i = 0; i < 200; i++) {
      work(events[n % events.length]!);
      n++;
    }
  }
  return n / seconds;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const sets = { 10: new PolicySet(policies(10)), 50: new PolicySet(policies(50)) };
const rates = new CallRateCounter();
const evaluate = (set: PolicySet) => (event: BehavioralEvent) =>
  set.evaluate({
    event,
    context: {
      callsPerMinute: rates.record(
        `${event.tenantId}/${event.agentId}`,
        Date.parse(event.timestamp),
      ),
    },
  });
const results = {
  validate: [] as number[],
  policies10: [] as number[],
  policies50: [] as number[],
};
rate(evaluate(sets[50]));
for (let r = 0; r < runs; r++) {
  results.validate.push(rate((e) => BehavioralEventContract.validate(e)));
  results.policies10.push(rate(evaluate(sets[10])));
  results.policies50.push(rate(evaluate(sets[50])));
}
const summary = Object.fromEntries(
  Object.entries(results).map(([k, xs]) => [
    k,
    { median: median(xs), min: Math.min(...xs), max: Math.max(...xs) },
  ]),
);
console.log(
  JSON.stringify({
    runs,
    seconds,
    eventsPerSecond: summary,
    ratio10: median(results.policies10) / median(results.validate),
    ratio50: median(results.policies50) / median(results.validate),
  }),
);
