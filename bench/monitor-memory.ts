// Memory per tracked agent in the monitor's in-memory state: builds N agent
// profiles the way ProfilesService holds them (a Map entry per agent, each
// with a few windows of realistic traffic) and reports the heap growth per
// agent. Run with --expose-gc, one run per process (a second run in the same
// process under-reports). Usage: monitor-memory.ts <agents>
import {
  DEFAULT_PROFILE_SETTINGS,
  newProfile,
  type ProfileEvent,
  ProfileEngine,
} from '@ward/detectors';

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) {
  console.error('run with node --expose-gc');
  process.exit(2);
}
const agents = Number(process.argv[2] ?? 100_000);
const runs = Number(process.argv[3] ?? 1);
const settings = DEFAULT_PROFILE_SETTINGS;
const T0 = Date.UTC(2026, 0, 1);

function build(n: number): Map<string, unknown> {
  const engine = new ProfileEngine();
  const map = new Map<string, unknown>();
  for (let a = 0; a < n; a++) {
    const tenantId = `t${a % 10}`;
    const agentId = `agent-${a}`;
    const profile = newProfile();
    // Two closed windows and an open one, three tools, a resource, a session.
    for (let w = 0; w < 3; w++) {
      for (let i = 0; i < 4; i++) {
        const event: ProfileEvent = {
          eventId: `${agentId}-${w}-${i}`,
          timestampMs: T0 + w * settings.windowMs + i * 1000,
          action: ['search', 'read', 'write'][i % 3]!,
          resource: `db://orders/${a % 100}`,
          sessionId: `${agentId}-s`,
          outcome: 'ok',
          parameterEntropy: 3,
          bytesOut: 512,
        };
        engine.observe(profile, event, settings);
      }
    }
    map.set(`${tenantId}/${agentId}`, { tenantId, agentId, profile, lastEventMs: 0 });
  }
  return map;
}

const perAgent: number[] = [];
for (let r = 0; r < runs; r++) {
  gc();
  const before = process.memoryUsage();
  const held = build(agents);
  gc();
  const after = process.memoryUsage();
  const bytes = after.heapUsed - before.heapUsed + (after.arrayBuffers - before.arrayBuffers);
  perAgent.push(bytes / held.size);
  console.error(
    `[ward] run ${r + 1}/${runs}: ${agents} agents, ${(bytes / held.size).toFixed(0)} bytes per agent`,
  );
}
perAgent.sort((a, b) => a - b);
console.log(
  JSON.stringify({
    agents,
    runs,
    bytesPerAgent: {
      median: Math.round(perAgent[Math.floor(perAgent.length / 2)]!),
      min: Math.round(perAgent[0]!),
      max: Math.round(perAgent.at(-1)!),
    },
  }),
);
