import { type Static, Type } from '@sinclair/typebox';
import { Contract } from './contract';
import { EntityId, isoDateTime, TenantId } from './primitives';
import { TIERS } from './threat-alert';

const TierLiteral = Type.Union(TIERS.map((t) => Type.Literal(t)));

export const CONTROL_SOURCES = ['monitor', 'operator', 'response-engine'] as const;
export type ControlSource = (typeof CONTROL_SOURCES)[number];

/**
 * The latest control state of one agent, on the compacted
 * `ward.agent-control.v1` topic keyed `tenantId/agentId`. Enforcement points
 * read `tier` (1 normal, 2 watched, 3 restricted, 4 quarantined):
 * max(configuredTier, behaviorTier).
 */
export const AgentControlSchema = Type.Object(
  {
    schemaVersion: Type.Literal(1),
    tenantId: TenantId,
    agentId: EntityId,
    tier: TierLiteral,
    behaviorTier: TierLiteral,
    configuredTier: Type.Optional(TierLiteral),
    quarantined: Type.Boolean({ description: 'True when the tier is 4.' }),
    rateLimitPerMinute: Type.Optional(Type.Integer({ minimum: 0 })),
    previousTier: Type.Optional(TierLiteral),
    source: Type.Union(CONTROL_SOURCES.map((s) => Type.Literal(s))),
    actor: Type.Optional(Type.String({ maxLength: 200 })),
    reason: Type.String({ maxLength: 500 }),
    alertId: Type.Optional(Type.String({ pattern: '^[a-f0-9]{32}$' })),
    changedAt: isoDateTime(
      'Event time of the change (monitor) or when it was requested (operator).',
    ),
  },
  { additionalProperties: false },
);

export type AgentControl = Static<typeof AgentControlSchema>;
export const AgentControlContract = new Contract('AgentControl', 1, AgentControlSchema);
