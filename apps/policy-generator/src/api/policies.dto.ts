import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from '@sinclair/typebox';
import { Contract } from '@ward/contracts';

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

export class PolicyDto {
  @ApiProperty({ pattern: '^[a-f0-9]{32}$' }) policyId!: string;
  @ApiProperty() version!: number;
  @ApiProperty() tenantId!: string;
  @ApiProperty({
    enum: [
      'injection_block',
      'conditioning_block',
      'drift_escalation',
      'resource_restriction',
      'rate_ceiling',
      'requester_validation',
      'behavior_reversal',
      'indicator_block',
      'tool_deny',
    ],
  })
  kind!: string;
  @ApiProperty({ enum: ['proposed', 'active', 'rejected', 'retired'] }) status!: string;
  @ApiProperty() title!: string;
  @ApiProperty() subject!: string;
  @ApiProperty({ description: 'agents, tools, resources' }) scope!: object;
  @ApiProperty({ description: 'The JSON form: effect and conditions (see docs/POLICIES.md).' })
  rule!: object;
  @ApiProperty({ description: 'The Rego module.' }) rego!: string;
  @ApiProperty({ minimum: 0, maximum: 1 }) confidence!: number;
  @ApiProperty() suppressed!: boolean;
  @ApiProperty({ description: 'Occurrences, window, detectors, sources, ids, factors.' })
  evidence!: object;
  @ApiPropertyOptional({ enum: ['automatic', 'manual'] }) activation?: string;
  @ApiPropertyOptional() activatedBy?: string;
  @ApiPropertyOptional() activatedAt?: string;
  @ApiPropertyOptional() statusReason?: string;
  @ApiPropertyOptional() statusActor?: string;
  @ApiProperty() createdAt!: string;
  @ApiProperty() updatedAt!: string;
}
