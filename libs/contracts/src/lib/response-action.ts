import { type Static, Type } from '@sinclair/typebox';
import { Contract } from './contract';
import { isoDateTime, TenantId } from './primitives';

export const RESPONSE_STATUSES = [
  'pending_approval',
  'approved',
  'rejected',
  'expired',
  'running',
  'succeeded',
  'failed',
  'skipped',
  'dry_run',
] as const;
export type ResponseStatus = (typeof RESPONSE_STATUSES)[number];

const Hex32 = Type.String({ pattern: '^[a-f0-9]{32}$' });

/** One state change of one step of a playbook run, as published on ward.response-actions.v1. */
export const ResponseActionSchema = Type.Object(
  {
    schemaVersion: Type.Literal(1),
    runId: Type.String({
      pattern: '^[a-f0-9]{32}$',
      description: 'sha256(tenant, incident, playbook, version)[:32]',
    }),
    tenantId: TenantId,
    incidentId: Hex32,
    playbookId: Type.String({ maxLength: 64 }),
    playbookVersion: Type.Integer({ minimum: 1 }),
    stepId: Type.String({ maxLength: 64 }),
    action: Type.String({ maxLength: 64 }),
    status: Type.Union(RESPONSE_STATUSES.map((s) => Type.Literal(s))),
    attempt: Type.Integer({ minimum: 0 }),
    dryRun: Type.Boolean(),
    parameters: Type.Optional(Type.Unknown({ description: 'After ${...} substitution.' })),
    result: Type.Optional(Type.Unknown()),
    error: Type.Optional(Type.String({ maxLength: 2000 })),
    approver: Type.Optional(Type.String({ maxLength: 256 })),
    reason: Type.Optional(Type.String({ maxLength: 1000 })),
    at: isoDateTime(),
  },
  { additionalProperties: false },
);

export type ResponseAction = Static<typeof ResponseActionSchema>;
export const ResponseActionContract = new Contract('ResponseAction', 1, ResponseActionSchema);
