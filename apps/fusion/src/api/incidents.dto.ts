import { Type } from '@sinclair/typebox';
import {
  Contract,
  type Incident,
  IncidentSchema,
  type ThreatAlert,
  ThreatAlertSchema,
} from '@ward/contracts';
import { openApiSchema } from '@ward/observability';

export const ChangeStatusContract = new Contract(
  'ChangeIncidentStatus',
  1,
  Type.Object(
    {
      status: Type.Union([
        Type.Literal('open'),
        Type.Literal('contained'),
        Type.Literal('resolved'),
        Type.Literal('false_positive'),
      ]),
      reason: Type.String({ minLength: 1, maxLength: 1000 }),
      actor: Type.String({ minLength: 1, maxLength: 256 }),
    },
    { additionalProperties: false },
  ),
);

const incident = openApiSchema(IncidentSchema);
const text = { type: 'string' };

/** Response schemas straight from the contracts, so the document says what the API sends. */
export const INCIDENT_SCHEMA = incident;
export const INCIDENT_GRAPH_SCHEMA = (incident.properties as Record<string, unknown>)
  .graph as object;

export const INCIDENT_PAGE_SCHEMA = {
  type: 'object',
  required: ['incidents', 'nextCursor'],
  properties: {
    incidents: { type: 'array', items: incident },
    nextCursor: { type: 'string', nullable: true, description: 'null on the last page' },
  },
};

export const INCIDENT_DETAIL_SCHEMA = {
  type: 'object',
  required: ['incident', 'alerts', 'timeline', 'statusHistory'],
  properties: {
    incident,
    alerts: {
      type: 'array',
      items: openApiSchema(ThreatAlertSchema),
      description: 'The ThreatAlerts of the incident, oldest first.',
    },
    timeline: {
      type: 'array',
      description: 'Alerts and status changes in time order.',
      items: {
        type: 'object',
        required: ['at', 'kind', 'summary'],
        properties: {
          at: text,
          kind: { type: 'string', enum: ['alert', 'status'] },
          summary: text,
          agentId: text,
          detector: text,
          severity: text,
        },
      },
    },
    statusHistory: {
      type: 'array',
      description: 'Status changes, oldest first.',
      items: {
        type: 'object',
        required: ['fromStatus', 'toStatus', 'reason', 'actor', 'changedAt'],
        properties: {
          fromStatus: text,
          toStatus: text,
          reason: text,
          actor: text,
          version: { type: 'integer' },
          changedAt: text,
        },
      },
    },
  },
};

export interface IncidentDetail {
  readonly incident: Incident;
  readonly alerts: readonly ThreatAlert[];
  readonly timeline: readonly { at: string; kind: string; summary: string }[];
  readonly statusHistory: readonly object[];
}
