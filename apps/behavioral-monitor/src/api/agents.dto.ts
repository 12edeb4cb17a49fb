import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from '@sinclair/typebox';
import { Contract } from '@ward/contracts';

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

export class AgentDto {
  @ApiProperty() tenantId!: string;
  @ApiProperty() agentId!: string;
  @ApiProperty({ enum: [1, 2, 3, 4], description: 'max(configuredTier, behaviorTier)' })
  tier!: number;
  @ApiProperty({ enum: [1, 2, 3, 4] }) behaviorTier!: number;
  @ApiPropertyOptional({ enum: [1, 2, 3, 4], nullable: true, type: Number }) configuredTier!:
    number | null;
  @ApiProperty({
    minimum: 0,
    maximum: 100,
    description:
      "100 x the larger of the open window's composite anomaly score and the surprise score of the last closed window (how unusual its deviations are for this agent).",
  })
  riskScore!: number;
  @ApiProperty() windowsClosed!: number;
  @ApiProperty() lateEvents!: number;
  @ApiPropertyOptional({ nullable: true, type: String }) lastEventAt!: string | null;
  @ApiProperty({ description: 'Per metric: mean, stddev, windows.' }) baselines!: Record<
    string,
    unknown
  >;
}
