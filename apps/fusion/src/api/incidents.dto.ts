import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from '@sinclair/typebox';
import { Contract } from '@ward/contracts';

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

export class ChangeStatusDto {
  @ApiProperty({ enum: ['open', 'contained', 'resolved', 'false_positive'] }) status!: string;
  @ApiProperty({ example: 'agent quarantined, credentials rotated' }) reason!: string;
  @ApiProperty({ example: 'alice@example.com' }) actor!: string;
}

export class IncidentDto {
  @ApiProperty({ pattern: '^[a-f0-9]{32}$' }) incidentId!: string;
  @ApiProperty({ minimum: 1 }) version!: number;
  @ApiProperty() tenantId!: string;
  @ApiProperty({ enum: ['open', 'contained', 'resolved', 'false_positive', 'merged'] })
  status!: string;
  @ApiPropertyOptional() mergedInto?: string;
  @ApiProperty() title!: string;
  @ApiProperty({ enum: ['low', 'medium', 'high', 'critical'] }) severity!: string;
  @ApiProperty({ minimum: 0, maximum: 1 }) score!: number;
  @ApiProperty({ description: 'Why the severity was raised: code and detail.' })
  escalations!: object[];
  @ApiProperty({ type: [String] }) alertIds!: string[];
  @ApiProperty() alertCount!: number;
  @ApiProperty({ type: [String] }) detectors!: string[];
  @ApiProperty({ type: [String] }) agents!: string[];
  @ApiProperty({ type: [String] }) sessions!: string[];
  @ApiProperty({ type: [String] }) requesters!: string[];
  @ApiProperty({ description: 'ips, domains, urls, hashes' }) iocs!: object;
  @ApiProperty({ description: 'MITRE ATT&CK and ATLAS: framework, id, name.' })
  techniques!: object[];
  @ApiProperty({ description: 'Indicator, feed entry matched, feed, source, confidence.' })
  intelMatches!: object[];
  @ApiProperty({ description: 'nodes (id, kind, label) and edges (from, to, relation, at)' })
  graph!: object;
  @ApiProperty() narrative!: string;
  @ApiProperty() firstSeen!: string;
  @ApiProperty() lastSeen!: string;
  @ApiProperty() updatedAt!: string;
}

export class IncidentDetailDto {
  @ApiProperty({ type: IncidentDto }) incident!: IncidentDto;
  @ApiProperty({ description: 'The ThreatAlerts of the incident, oldest first.' })
  alerts!: object[];
  @ApiProperty({
    description: 'Alerts and status changes in time order: at, kind, summary.',
  })
  timeline!: object[];
  @ApiProperty({ description: 'Status changes: from, to, reason, actor, version, at.' })
  statusHistory!: object[];
}
