import { type CommandSpec } from './args';

const REASON = {
  type: 'string',
  short: 'r',
  value: 'text',
  description: 'Why (required): kept in the audit log.',
} as const;

export const SCENARIO_NAMES_HINT = 'ward demo --list';

/** Every `ward` command: the help text and the parser are generated from these. */
export const COMMANDS: readonly CommandSpec[] = [
  {
    name: 'send',
    summary: 'Send telemetry (JSONL, a JSON array or one record) from a file or stdin',
    description:
      "Each line is a record an agent or gateway would post (docs/schemas/RawTelemetryEvent.v1.schema.json). Over HTTP the records go to sentinel-ingest in batches with the tenant's API key; over Kafka they go to ward.telemetry.raw.v1 keyed by agent, with the tenant set on each record.",
    positionals: [
      {
        name: 'file',
        required: false,
        description: 'JSONL or JSON file; - or nothing reads stdin.',
      },
    ],
    options: {
      via: { type: 'string', value: 'http|kafka', description: 'Transport (default http).' },
      batch: {
        type: 'string',
        value: 'n',
        description: 'Records per request or Kafka batch (default 1000).',
      },
      now: {
        type: 'boolean',
        description:
          'Move event time (by whole ten minutes) so the last record falls in the last ten minutes.',
      },
    },
    uses: ['tenant', 'ingest', 'http', 'kafka'],
    examples: [
      'ward send deploy/demo/scenarios/runaway.jsonl --tenant acme',
      'tail -f gateway.log | ward send - --via kafka --tenant acme',
    ],
  },
  {
    name: 'replay',
    summary: 'Replay a folder of telemetry in event-time order at a chosen speed',
    description:
      'Reads every .jsonl, .ndjson and .json file under the folder, orders the records by timestamp and sends them paced by their event time: --speed 60 plays a minute of event time per second, --speed max as fast as ingest takes them. A progress bar shows on a terminal.',
    positionals: [
      { name: 'folder', required: true, description: 'Folder (or one file) of telemetry.' },
    ],
    options: {
      speed: {
        type: 'string',
        value: 'x|max',
        description: 'Event-time seconds per wall-clock second (default 60).',
      },
      now: {
        type: 'boolean',
        description:
          'Move event time (by whole ten minutes) so the last record falls in the last ten minutes.',
      },
      via: { type: 'string', value: 'http|kafka', description: 'Transport (default http).' },
    },
    uses: ['tenant', 'ingest', 'http', 'kafka'],
    examples: [
      'ward replay deploy/demo/detectors --speed max --tenant replay-1',
      'ward replay ./captures/monday --speed 600',
    ],
  },
  {
    name: 'tail',
    summary: 'Follow alerts, incidents, actions or policies as they happen',
    description:
      'Reads the topic from now on (or from the beginning) and prints one line per record; --json prints each record as one JSON line. Every tenant unless --tenant is given. Ctrl-C stops.',
    positionals: [
      { name: 'stream', required: true, description: 'alerts, incidents, actions or policies.' },
    ],
    options: {
      'from-beginning': { type: 'boolean', description: 'Start at the oldest record kept.' },
      count: { type: 'string', value: 'n', description: 'Stop after n records.' },
      agent: { type: 'string', value: 'id', description: 'Only records about this agent.' },
      timeout: {
        type: 'string',
        value: 'seconds',
        description: 'Give up (exit 1) when fewer than --count arrived by then.',
      },
    },
    uses: ['tenant', 'kafka'],
    examples: ['ward tail alerts', 'ward tail incidents --tenant acme --json | jq .severity'],
  },
  {
    name: 'agents',
    summary: "The tenant's agents by risk, with their tiers",
    positionals: [],
    options: {
      tier: { type: 'string', value: '1-4', description: 'Only agents at this effective tier.' },
      'min-risk': {
        type: 'string',
        value: '0-100',
        description: 'Only agents at or above this risk score.',
      },
      limit: { type: 'string', value: 'n', description: 'At most n agents (default 50).' },
    },
    uses: ['tenant', 'http'],
    examples: ['ward agents --tenant acme --min-risk 50', 'ward agents --tier 4 --json'],
  },
  {
    name: 'incidents',
    summary: "The tenant's incidents, newest first",
    positionals: [],
    options: {
      status: {
        type: 'string',
        value: 'status',
        description: 'open, contained, resolved, false_positive or merged.',
      },
      severity: { type: 'string', value: 'level', description: 'low, medium, high or critical.' },
      agent: { type: 'string', value: 'id', description: 'Only incidents involving this agent.' },
      limit: { type: 'string', value: 'n', description: 'At most n incidents (default 20).' },
    },
    uses: ['tenant', 'http'],
    examples: ['ward incidents --tenant acme --status open'],
  },
  {
    name: 'incident',
    summary: 'One incident: narrative, timeline, graph and playbook runs',
    positionals: [
      { name: 'id', required: true, description: 'Incident id (a unique prefix is enough).' },
    ],
    options: {},
    uses: ['tenant', 'http'],
    examples: ['ward incident 3f2a9c --tenant acme'],
  },
  {
    name: 'approvals',
    summary: 'Playbook steps waiting for a person',
    description: 'Every tenant unless --tenant is given; oldest first, with the deadline.',
    positionals: [],
    options: {},
    uses: ['tenant', 'http'],
    examples: ['ward approvals', 'ward approvals --tenant acme --json'],
  },
  {
    name: 'approve',
    summary: 'Approve a waiting playbook step',
    positionals: [
      {
        name: 'run',
        required: true,
        description: 'Run id (a unique prefix is enough), or run/step.',
      },
      {
        name: 'step',
        required: false,
        description: 'Step id (needed only when the run waits on several).',
      },
    ],
    options: { reason: REASON },
    uses: ['tenant', 'http'],
    examples: ['ward approve 9c1f04 quarantine --reason "confirmed with the owner"'],
  },
  {
    name: 'reject',
    summary: 'Reject a waiting playbook step',
    positionals: [
      {
        name: 'run',
        required: true,
        description: 'Run id (a unique prefix is enough), or run/step.',
      },
      {
        name: 'step',
        required: false,
        description: 'Step id (needed only when the run waits on several).',
      },
    ],
    options: { reason: REASON },
    uses: ['tenant', 'http'],
    examples: ['ward reject 9c1f04 quarantine --reason "expected load test"'],
  },
  {
    name: 'policies',
    summary: "The tenant's policies, most confident first",
    positionals: [],
    options: {
      status: {
        type: 'string',
        value: 'status',
        description: 'proposed, active, rejected or retired.',
      },
      kind: {
        type: 'string',
        value: 'kind',
        description: 'Only this kind (rate_ceiling, tool_deny, indicator_block...).',
      },
      limit: { type: 'string', value: 'n', description: 'At most n policies (default 50).' },
    },
    uses: ['tenant', 'http'],
    examples: ['ward policies --tenant acme --status proposed'],
  },
  {
    name: 'policy show',
    summary: 'One policy: rule, confidence, evidence, history and Rego',
    positionals: [
      { name: 'id', required: true, description: 'Policy id (a unique prefix is enough).' },
    ],
    options: {},
    uses: ['tenant', 'http'],
    examples: ['ward policy show 51ab --tenant acme'],
  },
  {
    name: 'policy approve',
    summary: 'Activate a proposed policy',
    positionals: [
      { name: 'id', required: true, description: 'Policy id (a unique prefix is enough).' },
    ],
    options: { reason: REASON },
    uses: ['tenant', 'http'],
    examples: ['ward policy approve 51ab --tenant acme --reason "seen three times"'],
  },
  {
    name: 'policy reject',
    summary: 'Reject a proposed policy',
    positionals: [
      { name: 'id', required: true, description: 'Policy id (a unique prefix is enough).' },
    ],
    options: { reason: REASON },
    uses: ['tenant', 'http'],
    examples: ['ward policy reject 51ab --tenant acme --reason "the domain is ours"'],
  },
  {
    name: 'policy retire',
    summary: 'Retire a proposed or active policy',
    positionals: [
      { name: 'id', required: true, description: 'Policy id (a unique prefix is enough).' },
    ],
    options: { reason: REASON },
    uses: ['tenant', 'http'],
    examples: ['ward policy retire 51ab --tenant acme --reason "agent decommissioned"'],
  },
  {
    name: 'topics',
    summary: "Ward's Kafka topics: partitions, messages, and each consumer group's lag",
    positionals: [],
    options: {},
    uses: ['kafka'],
    examples: ['ward topics', 'ward topics --json'],
  },
  {
    name: 'doctor',
    summary: 'Check Kafka, PostgreSQL, Redis, the topics and every service, and say what to fix',
    description:
      'Exit code 0 when everything answers as it should, 1 when something does not; each problem comes with the command or setting that fixes it.',
    positionals: [],
    options: {
      timeout: {
        type: 'string',
        value: 'seconds',
        description: 'How long each check may take (default 3).',
      },
    },
    uses: ['http', 'kafka', 'infra'],
    examples: ['ward doctor', 'ward doctor --json'],
  },
  {
    name: 'demo',
    summary:
      'Play a storyline and follow it: events → alerts → incident → playbook → approval → policy',
    description:
      'Sends deploy/demo/scenarios/<scenario>.jsonl (event times moved to the last hour) to a fresh tenant and narrates what the mesh does with it, approving the waiting step and the proposed policy as a person would (asked first on a terminal, unless --yes). Ends with a check against <scenario>.expected.json: exit 0 only if everything happened. Without a scenario, lists them.',
    positionals: [
      {
        name: 'scenario',
        required: false,
        description: `Which storyline (${SCENARIO_NAMES_HINT}), or all.`,
      },
    ],
    options: {
      list: { type: 'boolean', short: 'l', description: 'List the scenarios.' },
      yes: { type: 'boolean', short: 'y', description: 'Approve without asking.' },
      timeout: {
        type: 'string',
        value: 'seconds',
        description: 'How long to wait for each stage (default 90).',
      },
    },
    uses: ['tenant', 'ingest', 'http', 'kafka'],
    examples: ['ward demo', 'ward demo runaway', 'ward demo all --yes'],
  },
  {
    name: 'help',
    summary: 'Help for a command',
    positionals: [{ name: 'command...', required: false, description: 'The command.' }],
    options: {},
    uses: [],
    examples: ['ward help tail'],
  },
];
