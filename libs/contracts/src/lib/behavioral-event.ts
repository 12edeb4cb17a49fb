import { type Static, Type } from '@sinclair/typebox';
import { Contract } from './contract';
import { PolicyViolationSchema } from './policy';
import { EntityId, Iocs, isoDateTime, TenantId } from './primitives';

export const EVENT_TYPES = [
  'tool_call',
  'api_request',
  'file_access',
  'network',
  'auth',
  'llm_completion',
  'custom',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export const OUTCOMES = ['ok', 'denied', 'error'] as const;
export type Outcome = (typeof OUTCOMES)[number];

export const INTAKE_CHANNELS = ['http', 'kafka', 'file'] as const;
export type IntakeChannel = (typeof INTAKE_CHANNELS)[number];

/** Serialized `parameters` larger than this are rejected at intake. */
export const MAX_PARAMETERS_BYTES = 16 * 1024;
/** Serialized `result` larger than this is rejected at intake. */
export const MAX_RESULT_BYTES = 16 * 1024;
export const MAX_LABELS = 32;

const Labels = Type.Record(Type.String({ maxLength: 64 }), Type.String({ maxLength: 256 }), {
  maxProperties: MAX_LABELS,
  description: 'Free-form string labels (at most 32).',
});

export const BehavioralEventSchema = Type.Object(
  {
    schemaVersion: Type.Literal(1),
    eventId: Type.String({
      minLength: 1,
      maxLength: 128,
      pattern: '^[A-Za-z0-9._:-]+$',
      description:
        'Idempotency key: given by the producer, or derived from a hash of the raw record.',
    }),
    tenantId: TenantId,
    agentId: EntityId,
    sessionId: Type.Optional(EntityId),
    requesterId: Type.Optional(EntityId),
    timestamp: isoDateTime('Event time, UTC.'),
    receivedAt: isoDateTime('When Ward received the record, UTC.'),
    source: Type.Object(
      {
        channel: Type.Union(INTAKE_CHANNELS.map((c) => Type.Literal(c))),
        origin: Type.Optional(Type.String({ maxLength: 512 })),
      },
      { additionalProperties: false },
    ),
    type: Type.Union(EVENT_TYPES.map((t) => Type.Literal(t))),
    action: Type.String({ minLength: 1, maxLength: 256, description: 'Tool or operation name.' }),
    resource: Type.Optional(Type.String({ maxLength: 2048 })),
    outcome: Type.Union(OUTCOMES.map((o) => Type.Literal(o))),
    latencyMs: Type.Optional(Type.Number({ minimum: 0 })),
    bytesIn: Type.Optional(Type.Integer({ minimum: 0 })),
    bytesOut: Type.Optional(Type.Integer({ minimum: 0 })),
    parameters: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), {
        description: `Call parameters; at most ${MAX_PARAMETERS_BYTES} bytes serialized.`,
      }),
    ),
    result: Type.Optional(
      Type.Unknown({
        description: `Tool or call result (any JSON value); at most ${MAX_RESULT_BYTES} bytes serialized.`,
      }),
    ),
    parameterEntropy: Type.Number({
      minimum: 0,
      description: 'Shannon entropy (bits per character) of the serialized parameters.',
    }),
    instructionHash: Type.Optional(Type.String({ maxLength: 128 })),
    iocs: Type.Optional(Iocs),
    labels: Labels,
    policyViolations: Type.Optional(
      Type.Array(PolicyViolationSchema, {
        minItems: 1,
        maxItems: 16,
        description:
          'Active Ward policies this event violates, set by sentinel-ingest (never taken from producers).',
      }),
    ),
  },
  { additionalProperties: false },
);

export type BehavioralEvent = Static<typeof BehavioralEventSchema>;
export const BehavioralEventContract = new Contract('BehavioralEvent', 1, BehavioralEventSchema);

const EpochOrIso = Type.Union([
  Type.Number({ description: 'Epoch seconds or milliseconds.' }),
  Type.String({ minLength: 1, maxLength: 40, description: 'ISO 8601 or epoch digits.' }),
]);

/**
 * The native shape producers publish (HTTP body records, `ward.telemetry.raw.v1`).
 * Looser than BehavioralEvent: timestamps in seconds, milliseconds or ISO; no
 * eventId needed; `type` and `outcome` default to custom/ok.
 */
export const RawTelemetryEventSchema = Type.Object(
  {
    schemaVersion: Type.Optional(Type.Literal(1)),
    eventId: Type.Optional(BehavioralEventSchema.properties.eventId),
    tenantId: Type.Optional(TenantId),
    agentId: EntityId,
    sessionId: Type.Optional(EntityId),
    requesterId: Type.Optional(EntityId),
    timestamp: EpochOrIso,
    type: Type.Optional(BehavioralEventSchema.properties.type),
    action: BehavioralEventSchema.properties.action,
    resource: Type.Optional(Type.String({ maxLength: 2048 })),
    outcome: Type.Optional(BehavioralEventSchema.properties.outcome),
    latencyMs: Type.Optional(Type.Number({ minimum: 0 })),
    bytesIn: Type.Optional(Type.Integer({ minimum: 0 })),
    bytesOut: Type.Optional(Type.Integer({ minimum: 0 })),
    parameters: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    result: Type.Optional(Type.Unknown()),
    instructionHash: Type.Optional(Type.String({ maxLength: 128 })),
    iocs: Type.Optional(Iocs),
    labels: Type.Optional(Labels),
  },
  { additionalProperties: false },
);

export type RawTelemetryEvent = Static<typeof RawTelemetryEventSchema>;
export const RawTelemetryEventContract = new Contract(
  'RawTelemetryEvent',
  1,
  RawTelemetryEventSchema,
);
