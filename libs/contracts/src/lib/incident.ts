import { type Static, Type } from '@sinclair/typebox';
import { Contract } from './contract';
import { EntityId, Iocs, isoDateTime, TenantId } from './primitives';
import { SEVERITIES, TechniqueSchema } from './threat-alert';

export const INCIDENT_STATUSES = [
  'open',
  'contained',
  'resolved',
  'false_positive',
  'merged',
] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];

export const INDICATOR_TYPES = ['ip', 'domain', 'url', 'hash'] as const;
export type IndicatorType = (typeof INDICATOR_TYPES)[number];

export const MAX_INCIDENT_ALERTS = 1000;

const Hex32 = Type.String({ pattern: '^[a-f0-9]{32}$' });

export const ESCALATION_CODES = [
  'independent_detectors',
  'multiple_agents',
  'threat_intel',
] as const;
export type EscalationCode = (typeof ESCALATION_CODES)[number];

const Escalation = Type.Object(
  {
    code: Type.Union(ESCALATION_CODES.map((c) => Type.Literal(c))),
    detail: Type.String({ maxLength: 500 }),
  },
  { additionalProperties: false },
);

export const IntelMatchSchema = Type.Object(
  {
    type: Type.Union(INDICATOR_TYPES.map((t) => Type.Literal(t))),
    indicator: Type.String({ maxLength: 2048, description: 'The indicator seen in an alert.' }),
    matched: Type.String({
      maxLength: 2048,
      description: 'The feed entry it matched (the same value, a parent domain or a CIDR range).',
    }),
    feed: Type.String({ maxLength: 200 }),
    source: Type.String({ maxLength: 200, description: 'Who published the entry.' }),
    confidence: Type.Integer({ minimum: 0, maximum: 100 }),
    description: Type.Optional(Type.String({ maxLength: 1000 })),
  },
  { additionalProperties: false },
);
export type IntelMatch = Static<typeof IntelMatchSchema>;

export const GRAPH_NODE_KINDS = [
  'agent',
  'session',
  'requester',
  'tool',
  'resource',
  'indicator',
  'alert',
] as const;
export type GraphNodeKind = (typeof GRAPH_NODE_KINDS)[number];

export const IncidentGraphSchema = Type.Object(
  {
    nodes: Type.Array(
      Type.Object(
        {
          id: Type.String({ maxLength: 2100, description: '`<kind>:<value>`' }),
          kind: Type.Union(GRAPH_NODE_KINDS.map((k) => Type.Literal(k))),
          label: Type.String({ maxLength: 2048 }),
        },
        { additionalProperties: false },
      ),
      { maxItems: 5000 },
    ),
    edges: Type.Array(
      Type.Object(
        {
          from: Type.String({ maxLength: 2100 }),
          to: Type.String({ maxLength: 2100 }),
          relation: Type.String({ maxLength: 64 }),
          at: isoDateTime('Event time the relation was first seen.'),
        },
        { additionalProperties: false },
      ),
      { maxItems: 10000 },
    ),
  },
  { additionalProperties: false },
);
export type IncidentGraph = Static<typeof IncidentGraphSchema>;

export const IncidentSchema = Type.Object(
  {
    schemaVersion: Type.Literal(1),
    incidentId: Type.String({
      pattern: '^[a-f0-9]{32}$',
      description: 'Derived from the tenant and the alert that opened it: a replay finds it again.',
    }),
    version: Type.Integer({
      minimum: 1,
      description: 'Grows by one with every change; consumers ignore a version they have passed.',
    }),
    tenantId: TenantId,
    status: Type.Union(INCIDENT_STATUSES.map((s) => Type.Literal(s))),
    mergedInto: Type.Optional(Hex32),
    statusReason: Type.Optional(Type.String({ maxLength: 1000 })),
    statusActor: Type.Optional(Type.String({ maxLength: 256 })),
    title: Type.String({ maxLength: 300 }),
    severity: Type.Union(SEVERITIES.map((s) => Type.Literal(s))),
    score: Type.Number({ minimum: 0, maximum: 1 }),
    escalations: Type.Array(Escalation, { maxItems: 16 }),
    alertIds: Type.Array(Hex32, { maxItems: MAX_INCIDENT_ALERTS }),
    alertCount: Type.Integer({
      minimum: 1,
      description: 'Alerts folded in, beyond the listed ids.',
    }),
    detectors: Type.Array(Type.String({ maxLength: 64 }), { maxItems: 64 }),
    agents: Type.Array(EntityId, { maxItems: 256 }),
    sessions: Type.Array(EntityId, { maxItems: 256 }),
    requesters: Type.Array(EntityId, { maxItems: 256 }),
    iocs: Iocs,
    techniques: Type.Array(TechniqueSchema, { maxItems: 64 }),
    intelMatches: Type.Array(IntelMatchSchema, { maxItems: 256 }),
    graph: IncidentGraphSchema,
    narrative: Type.String({ maxLength: 20000 }),
    firstSeen: isoDateTime('Event time of the earliest alert.'),
    lastSeen: isoDateTime('Event time of the latest alert.'),
    updatedAt: isoDateTime('Wall-clock time of this version.'),
  },
  { additionalProperties: false },
);

export type Incident = Static<typeof IncidentSchema>;
export const IncidentContract = new Contract('Incident', 1, IncidentSchema);
