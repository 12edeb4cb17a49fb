import { type TSchema, Type } from '@sinclair/typebox';
import { METRICS, type OverridableSetting } from '@ward/detectors';
import { CONTROL_SOURCES, Contract, EntityId, isoDateTime, TenantId } from '@ward/contracts';

const Reason = Type.String({ minLength: 1, maxLength: 500 });
const Actor = Type.String({ minLength: 1, maxLength: 200 });

export const SetTierContract = new Contract(
  'SetTier',
  1,
  Type.Object(
    {
      tier: Type.Union([
        Type.Literal(1),
        Type.Literal(2),
        Type.Literal(3),
        Type.Literal(4),
        Type.Null(),
      ]),
      reason: Reason,
      actor: Actor,
    },
    { additionalProperties: false },
  ),
);

export const ResetBaselineContract = new Contract(
  'ResetBaseline',
  1,
  Type.Object({ reason: Reason, actor: Actor }, { additionalProperties: false }),
);

/** A number in (min, max]: OpenAPI 3.0 states an open bound as a boolean exclusiveMinimum. */
const above = (min: number, max: number) =>
  Type.Unsafe<number>({ type: 'number', minimum: min, exclusiveMinimum: true, maximum: max });
const within = (min: number, max: number) => Type.Number({ minimum: min, maximum: max });
const int = (min: number, max: number) => Type.Integer({ minimum: min, maximum: max });
const DAY_MS = 86_400_000;

/**
 * What PUT detector-settings accepts in `overrides`, setting by setting: the
 * overridable settings of libs/detectors with the ranges its
 * profileSettingsProblems checks (none of them depends on another; window
 * size and lateness, which do, are not overridable). Documented in the
 * OpenAPI document; the request is checked by PutSettingsContract, then by
 * applyOverrides, which refuses the same set with a 400 naming the setting.
 * agents.dto.spec.ts keeps the two in step.
 */
export const SETTING_OVERRIDES = {
  alpha: above(0, 1),
  sigma: above(0, 100),
  warmupWindows: int(1, 10_000),
  weights: Type.Object(Object.fromEntries(METRICS.map((m) => [m, Type.Optional(within(0, 1))])), {
    additionalProperties: false,
  }),
  compositeThreshold: above(0, 1),
  minCallsForRates: int(1, 1_000_000),
  driftWindows: int(3, 64),
  driftSigma: above(0, 100),
  driftMinR2: within(0, 1),
  toolMixThreshold: above(0, 1),
  toolMixMinCalls: int(1, 1_000_000),
  cyclingSpanMs: int(1000, 7 * DAY_MS),
  cyclingMinSessions: int(2, 8),
  reversalSpanMs: int(1000, 7 * DAY_MS),
  recurrenceMinSessions: int(2, 4),
  recurrenceSpanMs: int(1000, 30 * DAY_MS),
  promotionWindows: int(1, 10_000),
} satisfies Record<OverridableSetting, TSchema>;

export const PutSettingsDocumented = Type.Object(
  {
    overrides: Type.Object(
      Object.fromEntries(Object.entries(SETTING_OVERRIDES).map(([k, v]) => [k, Type.Optional(v)])),
      { additionalProperties: false },
    ),
    reason: Reason,
    actor: Actor,
  },
  { additionalProperties: false },
);

/**
 * applyOverrides spreads `weights` into the base weights, so a value that is
 * not an object (null, a number, an array) would pass unnoticed: refused here,
 * naming the setting as every other refusal does.
 */
export function weightsShapeProblem(overrides: Record<string, unknown>): string | undefined {
  const weights = overrides.weights;
  if (
    weights === undefined ||
    (typeof weights === 'object' && weights !== null && !Array.isArray(weights))
  ) {
    return undefined;
  }
  return 'invalid detector settings: weights must be an object of metric weights in [0, 1]';
}

export const PutSettingsContract = new Contract(
  'PutDetectorSettings',
  1,
  Type.Object(
    {
      overrides: Type.Record(Type.String({ maxLength: 64 }), Type.Unknown(), { maxProperties: 32 }),
      reason: Reason,
      actor: Actor,
    },
    { additionalProperties: false },
  ),
);

const Tier = Type.Union([Type.Literal(1), Type.Literal(2), Type.Literal(3), Type.Literal(4)]);
const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const Count = Type.Integer({ minimum: 0 });
const Text = Type.String();
const Json = Type.Unknown();

const AgentFields = {
  tenantId: TenantId,
  agentId: EntityId,
  tier: Tier,
  behaviorTier: Tier,
  configuredTier: Nullable(Tier),
  configuredReason: Nullable(Text),
  configuredBy: Nullable(Text),
  riskScore: Type.Number({
    minimum: 0,
    maximum: 100,
    description:
      "100 x the larger of the open window's composite anomaly score and the surprise score of the last closed window (how unusual its deviations are for this agent).",
  }),
  windowsClosed: Count,
  lateEvents: Count,
  lastEventAt: Nullable(isoDateTime()),
  baselines: Type.Record(Type.String(), Json, {
    description: 'Per metric: mean, stddev, windows (as of the last checkpoint).',
  }),
  tierReason: Nullable(Text),
};

/** One agent of `GET /agents`: profile summary, tiers and risk. */
export const AgentSummarySchema = Type.Object(AgentFields, { additionalProperties: false });

export const AgentListSchema = Type.Array(AgentSummarySchema, {
  description: 'By descending risk.',
});

export const TierChangeSchema = Type.Object(
  {
    changeId: Text,
    tenantId: TenantId,
    agentId: EntityId,
    fromTier: Tier,
    toTier: Tier,
    source: Type.Union(CONTROL_SOURCES.map((s) => Type.Literal(s))),
    actor: Type.Optional(Text),
    reason: Text,
    alertId: Type.Optional(Type.String({ pattern: '^[a-f0-9]{32}$' })),
    changedAt: isoDateTime(),
  },
  { additionalProperties: false },
);

/** `GET /agents/{agentId}`: the summary, the live state of this replica, and the tier history. */
export const AgentDetailSchema = Type.Object(
  {
    ...AgentFields,
    live: Nullable(
      Type.Object(
        {
          openWindow: Nullable(
            Type.Object(
              { start: isoDateTime(), metrics: Type.Record(Type.String(), Json) },
              { additionalProperties: false },
            ),
          ),
          baselines: Type.Record(Type.String(), Json),
        },
        {
          additionalProperties: false,
          description: 'In-memory state, when this replica owns the agent’s partition.',
        },
      ),
    ),
    tierHistory: Type.Array(TierChangeSchema),
  },
  { additionalProperties: false },
);

export const ResetRequestedSchema = Type.Object(
  { seq: Count, requestedAt: isoDateTime() },
  { additionalProperties: false },
);

const EffectiveSettings = Type.Object(
  {
    windowMs: Type.Number(),
    allowedLatenessMs: Type.Number(),
    alpha: Type.Number(),
    sigma: Type.Number(),
    warmupWindows: Type.Number(),
    weights: Type.Record(Type.String(), Type.Number()),
    compositeThreshold: Type.Number(),
  },
  {
    description: 'Every detector setting in force for the tenant (libs/detectors ProfileSettings).',
  },
);

const Overrides = Type.Record(Type.String(), Json, { description: 'The stored overrides.' });

export const DetectorSettingsSchema = Type.Object(
  {
    effective: EffectiveSettings,
    overrides: Overrides,
    reason: Type.Optional(Text),
    updatedBy: Type.Optional(Text),
    updatedAt: Type.Optional(isoDateTime()),
    version: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  { additionalProperties: false },
);

export const DetectorSettingsStoredSchema = Type.Object(
  { effective: EffectiveSettings, overrides: Overrides, version: Type.Integer({ minimum: 1 }) },
  { additionalProperties: false },
);
