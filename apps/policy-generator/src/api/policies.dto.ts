import { Type } from '@sinclair/typebox';
import {
  Contract,
  EntityId,
  isoDateTime,
  POLICY_EFFECTS,
  POLICY_STATUSES,
  PolicyRuleSchema,
  PolicySchema,
  SEVERITIES,
} from '@ward/contracts';

export const DecisionContract = new Contract(
  'PolicyDecision',
  1,
  Type.Object(
    {
      actor: Type.String({ minLength: 1, maxLength: 256 }),
      reason: Type.String({ minLength: 1, maxLength: 1000 }),
    },
    { additionalProperties: false },
  ),
);

export const DryRunContract = new Contract(
  'PolicyDryRun',
  1,
  Type.Object(
    {
      sinceMinutes: Type.Optional(Type.Integer({ minimum: 1, maximum: 7 * 24 * 60 })),
    },
    { additionalProperties: false },
  ),
);

export const SettingsContract = new Contract(
  'PolicyTenantSettings',
  1,
  Type.Object(
    {
      autoActivateThreshold: Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null()]),
      actor: Type.String({ minLength: 1, maxLength: 256 }),
    },
    { additionalProperties: false },
  ),
);

const Text = Type.String();
const Count = Type.Integer({ minimum: 0 });
const Hex32 = Type.String({ pattern: '^[a-f0-9]{32}$' });

/** Response schemas (OpenAPI via openApiSchema): the document states what the handlers send. */
export const PolicyListSchema = Type.Object(
  { policies: Type.Array(PolicySchema, { description: 'Most confident first.' }) },
  { additionalProperties: false },
);

export const PolicyDetailSchema = Type.Object(
  {
    policy: PolicySchema,
    evidence: Type.Array(
      Type.Object(
        {
          source: Text,
          occurrence: Type.Boolean(),
          detector: Text,
          severity: Type.Union(SEVERITIES.map((s) => Type.Literal(s))),
          observedAt: isoDateTime(),
          alertId: Type.Optional(Hex32),
          incidentId: Type.Optional(Hex32),
          runId: Type.Optional(Hex32),
          facts: Type.Unknown(),
        },
        { additionalProperties: false },
      ),
      { description: 'The latest pieces of evidence.' },
    ),
    history: Type.Array(
      Type.Object(
        {
          fromStatus: Type.Union([
            Type.Union(POLICY_STATUSES.map((s) => Type.Literal(s))),
            Type.Null(),
          ]),
          toStatus: Type.Union(POLICY_STATUSES.map((s) => Type.Literal(s))),
          version: Type.Integer({ minimum: 1 }),
          actor: Text,
          reason: Text,
          changedAt: isoDateTime(),
        },
        { additionalProperties: false },
      ),
      { description: 'Status changes, oldest first.' },
    ),
  },
  { additionalProperties: false },
);

export const DryRunReportSchema = Type.Object(
  {
    policyId: Hex32,
    version: Type.Integer({ minimum: 1 }),
    rule: PolicyRuleSchema,
    from: isoDateTime(),
    to: isoDateTime(),
    complete: Type.Boolean({
      description: 'False when the read stopped early: the counts are a lower bound.',
    }),
    scanned: Count,
    tenantEvents: Count,
    wouldDeny: Count,
    wouldEscalate: Count,
    agents: Type.Array(
      Type.Object({ agentId: EntityId, matches: Count }, { additionalProperties: false }),
    ),
    samples: Type.Array(
      Type.Object(
        {
          eventId: Text,
          agentId: EntityId,
          action: Text,
          resource: Type.Optional(Text),
          timestamp: isoDateTime(),
          effect: Type.Union(POLICY_EFFECTS.map((e) => Type.Literal(e))),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export const BundleTokenSchema = Type.Object(
  {
    token: Type.String({ minLength: 1 }),
    bundlePath: Type.String({ pattern: '^/v1/tenants/[^/]+/bundle\\.tar\\.gz$' }),
  },
  { additionalProperties: false },
);

export const PolicySettingsSchema = Type.Object(
  {
    autoActivateThreshold: Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null()], {
      description: 'null: never automatic',
    }),
  },
  { additionalProperties: false },
);
