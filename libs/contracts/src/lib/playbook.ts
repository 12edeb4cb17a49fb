import { type Static, Type } from '@sinclair/typebox';
import { Contract } from './contract';
import { SEVERITIES } from './threat-alert';

/**
 * A response playbook, as written in YAML under the playbooks folder. The
 * JSON Schema (docs/schemas/Playbook.v1.schema.json) is published for editors
 * and CI; response-engine validates every file against it at load and names
 * the file and line of each problem.
 */
const Duration = Type.String({
  pattern: '^[0-9]+(ms|s|m|h|d)$',
  description: 'A duration: 500ms, 30s, 5m, 2h, 1d.',
});

const Id = Type.String({ pattern: '^[a-z][a-z0-9_-]{0,63}$' });

export const PlaybookStepSchema = Type.Object(
  {
    id: Type.String({
      pattern: '^[a-z][a-z0-9_-]{0,63}$',
      description: 'Unique in the playbook; `${steps.<id>...}` refers to it.',
    }),
    name: Type.Optional(Type.String({ maxLength: 200 })),
    action: Type.String({
      pattern: '^[a-z][a-z0-9_.-]{0,63}$',
      description:
        'A registered action: set_tier, quarantine, rate_limit, block_indicator, webhook, ...',
    }),
    with: Type.Optional(
      Type.Record(Type.String({ maxLength: 64 }), Type.Unknown(), {
        description:
          'Parameters; strings may use `${incident.*}`, `${steps.<id>.output.*}`, `${run.*}`.',
      }),
    ),
    when: Type.Optional(
      Type.String({
        maxLength: 1000,
        description:
          'Condition; the step is skipped when false. E.g. `incident.severity >= "high" and "prompt_injection" in incident.detectors`.',
      }),
    ),
    timeout: Type.Optional(Duration),
    retries: Type.Optional(
      Type.Object(
        {
          attempts: Type.Integer({ minimum: 1, maximum: 20, description: 'Attempts in all.' }),
          backoff: Type.Optional(Duration),
          maxBackoff: Type.Optional(Duration),
        },
        { additionalProperties: false },
      ),
    ),
    continueOnError: Type.Optional(Type.Boolean()),
    approval: Type.Optional(
      Type.Object(
        {
          required: Type.Boolean(),
          timeout: Duration,
          onTimeout: Type.Union(
            [Type.Literal('reject'), Type.Literal('approve'), Type.Literal('skip')],
            {
              description: 'What an expired approval does to the step.',
            },
          ),
          reason: Type.Optional(
            Type.String({ maxLength: 500, description: 'Shown to the approver.' }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export const PlaybookSchema = Type.Object(
  {
    id: Id,
    version: Type.Integer({ minimum: 1 }),
    name: Type.String({ minLength: 1, maxLength: 200 }),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    enabled: Type.Optional(Type.Boolean()),
    priority: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 1000, description: 'Higher runs first; default 100.' }),
    ),
    trigger: Type.Object(
      {
        severityAtLeast: Type.Optional(Type.Union(SEVERITIES.map((s) => Type.Literal(s)))),
        detectors: Type.Optional(
          Type.Array(Type.String({ maxLength: 64 }), { minItems: 1, maxItems: 64 }),
        ),
        techniques: Type.Optional(
          Type.Array(
            Type.String({ pattern: '^(T\\d{4}(\\.\\d{3})?|AML\\.T\\d{4}(\\.\\d{3})?)$' }),
            {
              minItems: 1,
              maxItems: 64,
            },
          ),
        ),
        tags: Type.Optional(
          Type.Array(Type.String({ maxLength: 64 }), {
            minItems: 1,
            maxItems: 32,
            description:
              'Any of the incident tags: detector families (volume, access, novelty, data, injection), multi_agent, threat_intel.',
          }),
        ),
        tenants: Type.Optional(
          Type.Array(Type.String({ maxLength: 64 }), { minItems: 1, maxItems: 1000 }),
        ),
      },
      { additionalProperties: false },
    ),
    steps: Type.Array(PlaybookStepSchema, { minItems: 1, maxItems: 50 }),
  },
  { additionalProperties: false },
);

export type Playbook = Static<typeof PlaybookSchema>;
export type PlaybookStep = Static<typeof PlaybookStepSchema>;
export const PlaybookContract = new Contract('Playbook', 1, PlaybookSchema);
