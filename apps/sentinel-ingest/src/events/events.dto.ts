import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class RecordIssueDto {
  @ApiProperty() path!: string;
  @ApiProperty() message!: string;
}

export class RecordErrorDto {
  @ApiProperty({ description: 'Position of the record in the batch (0-based).' }) index!: number;
  @ApiPropertyOptional({ description: 'Line number for NDJSON bodies (1-based).' }) line?: number;
  @ApiPropertyOptional() eventId?: string;
  @ApiProperty({ type: [RecordIssueDto] }) issues!: RecordIssueDto[];
}

export class IngestResultDto {
  @ApiProperty({ description: 'Records published as BehavioralEvents.' }) accepted!: number;
  @ApiProperty({ description: 'Records refused; see errors.' }) rejected!: number;
  @ApiProperty({
    description: 'Records whose eventId was already accepted; acknowledged, not republished.',
  })
  duplicates!: number;
  @ApiProperty({ type: [String], description: 'Event ids of the accepted records, in order.' })
  eventIds!: string[];
  @ApiProperty({ type: [RecordErrorDto] }) errors!: RecordErrorDto[];
}
