import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { REJECT_CODES } from '../intake/intake.types';

export class RecordIssueDto {
  @ApiProperty() path!: string;
  @ApiProperty() message!: string;
}

export class RecordErrorDto {
  @ApiProperty({ description: 'Position of the record in the batch (0-based).' }) index!: number;
  @ApiPropertyOptional({ description: 'Line number for NDJSON bodies (1-based).' }) line?: number;
  @ApiProperty({ enum: REJECT_CODES }) code!: string;
  @ApiProperty({ type: [RecordIssueDto] }) issues!: RecordIssueDto[];
}

export class IngestResultDto {
  @ApiProperty({ description: 'Records published as BehavioralEvents.' }) accepted!: number;
  @ApiProperty({ description: 'Records refused; see errors.' }) rejected!: number;
  @ApiProperty({
    description:
      'Records whose eventId was already accepted within the dedup window; acknowledged, not republished.',
  })
  duplicates!: number;
  @ApiProperty({ type: [String], description: 'Event ids of the accepted records, in order.' })
  eventIds!: string[];
  @ApiProperty({ type: [RecordErrorDto] }) errors!: RecordErrorDto[];
  @ApiProperty({ description: 'Alerts raised by the inline detectors for these records.' })
  alerts!: number;
}
