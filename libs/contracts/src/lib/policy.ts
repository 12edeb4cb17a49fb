import { type Static, Type } from '@sinclair/typebox';
import { Contract } from './contract';
import { EntityId, isoDateTime, TenantId } from './primitives';
import { SEVERITIES } from './threat-alert';

/** One template per kind; each renders Rego for OPA and the equivalent JSON rule. */
export const POLICY_KINDS = [
  'injection_block',
  'conditioning_block',
  'drift_escalation',
  'resource_restriction',
  'rate_ceiling',
  'requester_validation',
  'behavior_reversal',
  'indicator_block',
  'tool_deny',
] as const;
export type PolicyKind = (typeof POLICY_KINDS)[number];

export const POLICY_STATUSES = ['proposed', 'active', 'rejected', 'retired'] as const;
export type PolicyStatus = (typeof POLICY_STATUSES)[number];

/** deny: the call must not happen; escalate: a person must confirm it first. */
export const POLICY_EFFECTS = ['deny', 'escalate'] as const;
export type PolicyEffect = (typeof POLICY_EFFECTS)[number];

export const POLICY_INDICATOR_TYPES = ['ip', 'domain', 'url', 'hash'] as const;

export const MAX_RULE_VALUES = 64;

const Values = (maxLength: number, description: string) =>
  Type.Array(Type.String({ minLength: 1, maxLength }), {
    minItems: 1,
    maxItems: MAX_RULE_VALUES,
    description,
  });

/**
 * The JSON form of a policy: every condition present must hold (AND); a list
 * matches when any of its values does (OR). Evaluated against the OPA input
 * document `{ event: BehavioralEvent fields, context: { callsPerMinute } }`
 * by sentinel-ingest, and equivalent to the policy's Rego.
 */
export const PolicyRuleSchema = Type.Object(
  {
    effect: Type.Union(POLICY_EFFECTS.map((e) => Type.Literal(e))),
    when: Type.Object(
      {
        agents: Type.Optional(Values(256, '`event.agentId` is one of these.')),
        tools: Type.Optional(Values(256, '`event.action` is one of these.')),
        resources: Type.Optional(
          Values(
            2048,
            '`event.resource` equals one of these, or starts with one that ends in `*` (the `*` removed).',
          ),
        ),
        requesters: Type.Optional(Values(256, '`event.requesterId` is one of these.')),
        indicators: Type.Optional(
          Type.Array(
            Type.Object(
              {
                type: Type.Union(POLICY_INDICATOR_TYPES.map((t) => Type.Literal(t))),
                value: Type.String({ minLength: 1, maxLength: 2048 }),
              },
              { additionalProperties: false },
            ),
            {
              minItems: 1,
              maxItems: MAX_RULE_VALUES,
              description:
                'An indicator in `event.iocs` equals one of these (domains and hashes case-insensitively; a domain also matches its subdomains).',
            },
          ),
        ),
        instructionHashes: Type.Optional(Values(128, '`event.instructionHash` is one of these.')),
        textPatterns: Type.Optional(
          Values(
            1000,
            'A string anywhere in `event.parameters` or `event.result` matches one of these regular expressions, case-insensitively (RE2 syntax shared by JavaScript).',
          ),
        ),
        maxCallsPerMinute: Type.Optional(
          Type.Integer({
            minimum: 0,
            description:
              '`context.callsPerMinute` (calls of the agent in the current event-time minute, this one included) exceeds this.',
          }),
        ),
      },
      { additionalProperties: false, minProperties: 1 },
    ),
  },
  { additionalProperties: false },
);
export type PolicyRule = Static<typeof PolicyRuleSchema>;

const Hex32 = Type.String({ pattern: '^[a-f0-9]{32}$' });

export const PolicyEvidenceSchema = Type.Object(
  {
    occurrences: Type.Integer({
      minimum: 0,
      description: 'Distinct alerts of the pattern inside the sliding window.',
    }),
    windowStart: isoDateTime('Event time the sliding window starts at.'),
    windowEnd: isoDateTime('Event time of the latest evidence.'),
    detectors: Type.Array(Type.String({ maxLength: 64 }), { maxItems: 64 }),
    sources: Type.Array(Type.String({ maxLength: 32 }), {
      maxItems: 8,
      description: 'Where evidence came from: monitor or ingest alerts, response actions.',
    }),
    maxSeverity: Type.Union(SEVERITIES.map((s) => Type.Literal(s))),
    alertIds: Type.Array(Hex32, { maxItems: 50, description: 'The latest alerts, newest first.' }),
    incidentIds: Type.Array(Hex32, { maxItems: 50 }),
    runIds: Type.Array(Hex32, { maxItems: 50, description: 'Response runs that acted on it.' }),
    falsePositives: Type.Integer({
      minimum: 0,
      description: 'Incidents with this evidence that an analyst marked false_positive.',
    }),
    factors: Type.Object(
      {
        frequency: Type.Number({ minimum: 0, maximum: 1 }),
        severity: Type.Number({ minimum: 0, maximum: 1 }),
        corroboration: Type.Number({ minimum: 0, maximum: 1 }),
        falsePositivePenalty: Type.Number({
          minimum: 0,
          maximum: 1,
          description: 'Multiplier from false-positive verdicts (1 = none).',
        }),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);
export type PolicyEvidence = Static<typeof PolicyEvidenceSchema>;

export const PolicySchema = Type.Object(
  {
    schemaVersion: Type.Literal(1),
    policyId: Type.String({
      pattern: '^[a-f0-9]{32}$',
      description: 'sha256(tenant, kind, subject)[:32]: the same pattern always finds its policy.',
    }),
    version: Type.Integer({ minimum: 1, description: 'Grows by one with every change.' }),
    tenantId: TenantId,
    kind: Type.Union(POLICY_KINDS.map((k) => Type.Literal(k))),
    status: Type.Union(POLICY_STATUSES.map((s) => Type.Literal(s))),
    title: Type.String({ maxLength: 300 }),
    subject: Type.String({
      maxLength: 2100,
      description: 'What the pattern is about: `agent:<id>`, `requester:<id>`, `ip:<value>`...',
    }),
    scope: Type.Object(
      {
        agents: Type.Array(EntityId, { maxItems: MAX_RULE_VALUES }),
        tools: Type.Array(Type.String({ maxLength: 256 }), { maxItems: MAX_RULE_VALUES }),
        resources: Type.Array(Type.String({ maxLength: 2048 }), { maxItems: MAX_RULE_VALUES }),
      },
      { additionalProperties: false, description: 'Who and what the rule applies to.' },
    ),
    rule: PolicyRuleSchema,
    rego: Type.String({ maxLength: 200_000, description: 'The Rego module (`import rego.v1`).' }),
    confidence: Type.Number({ minimum: 0, maximum: 1 }),
    suppressed: Type.Boolean({
      description: 'False-positive verdicts outweigh the evidence; never auto-activated.',
    }),
    evidence: PolicyEvidenceSchema,
    activation: Type.Optional(Type.Union([Type.Literal('automatic'), Type.Literal('manual')])),
    activatedBy: Type.Optional(Type.String({ maxLength: 256 })),
    activatedAt: Type.Optional(isoDateTime()),
    statusReason: Type.Optional(Type.String({ maxLength: 1000 })),
    statusActor: Type.Optional(Type.String({ maxLength: 256 })),
    createdAt: isoDateTime('Wall-clock time of the first version.'),
    updatedAt: isoDateTime('Wall-clock time of this version.'),
  },
  { additionalProperties: false },
);

export type Policy = Static<typeof PolicySchema>;
export const PolicyContract = new Contract('Policy', 1, PolicySchema);

/** What an active policy said about one event, as sentinel-ingest labels it. */
export const PolicyViolationSchema = Type.Object(
  {
    policyId: Hex32,
    version: Type.Integer({ minimum: 1 }),
    kind: Type.Union(POLICY_KINDS.map((k) => Type.Literal(k))),
    effect: Type.Union(POLICY_EFFECTS.map((e) => Type.Literal(e))),
  },
  { additionalProperties: false },
);
export type PolicyViolation = Static<typeof PolicyViolationSchema>;
