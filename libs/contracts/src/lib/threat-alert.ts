import { type Static, Type } from '@sinclair/typebox';
import { Contract } from './contract';
import { EntityId, Iocs, isoDateTime, TenantId } from './primitives';

export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const TIERS = [1, 2, 3, 4] as const;
export type Tier = (typeof TIERS)[number];

export const MAX_SAMPLE_EVENT_IDS = 20;

export const TechniqueSchema = Type.Object(
  {
    framework: Type.Union([Type.Literal('ATT&CK'), Type.Literal('ATLAS')]),
    id: Type.String({ pattern: '^(T\\d{4}(\\.\\d{3})?|AML\\.T\\d{4}(\\.\\d{3})?)$' }),
    name: Type.String({ maxLength: 200 }),
  },
  { additionalProperties: false },
);

export const ThreatAlertSchema = Type.Object(
  {
    schemaVersion: Type.Literal(1),
    alertId: Type.String({
      pattern: '^[a-f0-9]{32}$',
      description: 'Deterministic: the same detector over the same input gives the same id.',
    }),
    tenantId: TenantId,
    agentId: EntityId,
    sessionId: Type.Optional(EntityId),
    requesterId: Type.Optional(EntityId),
    detector: Type.String({ minLength: 1, maxLength: 64 }),
    severity: Type.Union(SEVERITIES.map((s) => Type.Literal(s))),
    score: Type.Number({ minimum: 0, maximum: 1 }),
    riskScore: Type.Integer({ minimum: 0, maximum: 100 }),
    summary: Type.String({ maxLength: 1000 }),
    window: Type.Object(
      { start: isoDateTime(), end: isoDateTime() },
      { additionalProperties: false, description: 'Event-time window the evidence comes from.' },
    ),
    observedAt: isoDateTime('Event time of the event that completed the evidence.'),
    evidence: Type.Object(
      {
        metric: Type.String({ maxLength: 64 }),
        value: Type.Number(),
        baselineMean: Type.Number(),
        baselineStddev: Type.Number({ minimum: 0 }),
        baselineWindows: Type.Integer({ minimum: 0 }),
        zScore: Type.Number(),
        threshold: Type.Number(),
        sampleEventIds: Type.Array(Type.String({ maxLength: 128 }), {
          maxItems: MAX_SAMPLE_EVENT_IDS,
        }),
      },
      { additionalProperties: false },
    ),
    techniques: Type.Array(TechniqueSchema, { maxItems: 16 }),
    findings: Type.Optional(
      Type.Array(
        Type.Object(
          {
            kind: Type.String({ maxLength: 64 }),
            category: Type.Union([
              Type.Literal('secret'),
              Type.Literal('pii'),
              Type.Literal('injection'),
            ]),
            path: Type.String({
              maxLength: 512,
              description: 'JSON pointer of the field inside the event.',
            }),
            fingerprint: Type.Optional(
              Type.String({
                pattern: '^[a-f0-9]{16}$',
                description: 'SHA-256 prefix of the value; never the value.',
              }),
            ),
          },
          { additionalProperties: false },
        ),
        {
          maxItems: 100,
          description: 'What an inline detector found and where, never the matched text.',
        },
      ),
    ),
    iocs: Type.Optional(Iocs),
    tools: Type.Optional(
      Type.Array(Type.String({ maxLength: 256 }), {
        maxItems: 16,
        description: 'Tools (actions) of the events behind the alert.',
      }),
    ),
    resources: Type.Optional(
      Type.Array(Type.String({ maxLength: 2048 }), {
        maxItems: 16,
        description: 'Resources of the events behind the alert.',
      }),
    ),
    tierChange: Type.Optional(
      Type.Object(
        {
          from: Type.Union(TIERS.map((t) => Type.Literal(t))),
          to: Type.Union(TIERS.map((t) => Type.Literal(t))),
          reason: Type.String({ maxLength: 500 }),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export type ThreatAlert = Static<typeof ThreatAlertSchema>;
export type MitreTechnique = Static<typeof TechniqueSchema>;
export const ThreatAlertContract = new Contract('ThreatAlert', 1, ThreatAlertSchema);
