import { type TSchema, Type } from '@sinclair/typebox';
import { isoDateTime, RESPONSE_STATUSES, TenantId } from '@ward/contracts';

/**
 * Response schemas of response-engine's API (turned into the OpenAPI document
 * with openApiSchema), so the document states exactly what the handlers send
 * and Schemathesis's response check catches any drift.
 */
const Hex32 = Type.String({ pattern: '^[a-f0-9]{32}$' });
const Count = Type.Integer({ minimum: 0 });
const Text = Type.String();
const Json = Type.Unknown();
const literals = (values: readonly string[]) => Type.Union(values.map((v) => Type.Literal(v)));
const strict = <T extends Record<string, TSchema>>(fields: T, description?: string) =>
  Type.Object(fields, {
    additionalProperties: false,
    ...(description !== undefined && { description }),
  });

export const PendingApprovalSchema = strict({
  runId: Hex32,
  tenantId: TenantId,
  incidentId: Hex32,
  playbookId: Text,
  stepId: Text,
  action: Text,
  parameters: Json,
  requestedAt: isoDateTime(),
  deadline: isoDateTime('When the step expires unless decided.'),
});

export const PendingApprovalsSchema = Type.Array(PendingApprovalSchema, {
  description: 'Oldest first.',
});

export const DecisionRecordedSchema = strict({
  runId: Hex32,
  stepId: Text,
  decision: literals(['approve', 'reject']),
});

const RunFields = {
  runId: Hex32,
  tenantId: TenantId,
  incidentId: Hex32,
  playbookId: Text,
  playbookVersion: Type.Integer({ minimum: 1 }),
  status: literals(['running', 'waiting', 'succeeded', 'failed']),
  dryRun: Type.Boolean(),
  nextCheckAt: Type.Optional(
    isoDateTime('When a waiting run is due, or when a running step’s lease ends.'),
  ),
  createdAt: isoDateTime(),
  updatedAt: isoDateTime(),
};

export const StepSchema = strict({
  runId: Hex32,
  stepId: Text,
  position: Count,
  action: Text,
  status: literals(['pending', ...RESPONSE_STATUSES]),
  attempts: Count,
  parameters: Type.Optional(Json),
  output: Type.Optional(Json),
  error: Type.Optional(Text),
  approvalRequestedAt: Type.Optional(isoDateTime()),
  approvalDeadline: Type.Optional(isoDateTime()),
  retryAt: Type.Optional(isoDateTime()),
  approver: Type.Optional(Text),
  reason: Type.Optional(Text),
});

export const RunDetailSchema = strict({
  ...RunFields,
  playbook: Type.Object({}, { description: 'The playbook as it was when the run started.' }),
  incident: Type.Object({}, { description: 'The incident version that started the run.' }),
  steps: Type.Array(StepSchema, { description: 'In playbook order.' }),
});

export const IncidentRunsSchema = Type.Array(strict(RunFields), {
  description: 'Oldest first, without the playbook and incident copies.',
});

export const PlaybookFilesSchema = Type.Array(
  strict({
    file: Text,
    playbookId: Type.Union([Text, Type.Null()], { description: 'null when the file is refused' }),
    problems: Type.Array(Text),
  }),
);

export const DestinationsSchema = Type.Array(
  strict({
    name: Text,
    kind: literals(['webhook', 'slack', 'splunk_hec', 'syslog']),
    consecutiveFailures: Count,
    lastError: Type.Optional(Text),
    disabled: Type.Boolean(),
    disabledAt: Type.Optional(isoDateTime()),
    parked: Count,
  }),
);

export const ParkedDeliveriesSchema = Type.Array(
  strict({
    runId: Hex32,
    stepId: Text,
    destination: Text,
    tenantId: TenantId,
    action: Text,
    parkedAt: isoDateTime(),
  }),
);

export const ParkedResolvedSchema = strict({
  destination: Text,
  decision: literals(['retry', 'discard']),
  deliveries: Count,
});

export const AuditVerdictSchema = Type.Union([
  strict({ ok: Type.Literal(true), entries: Count, lastHash: Text }, 'The whole chain verifies.'),
  strict(
    { ok: Type.Literal(false), seq: Count, reason: Text, entries: Count },
    'The first broken entry.',
  ),
]);
