import {
  Body,
  Controller,
  Headers,
  HttpException,
  HttpStatus,
  Inject,
  Ip,
  Post,
  Res,
} from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { INGEST_CONFIG, type IngestConfig } from '../config/ingest.config';
import {
  type BodyRecord,
  recordsFromJson,
  recordsFromNdjson,
  TooManyRecordsError,
} from './body-records';
import { IngestResultDto } from './events.dto';
import { EventsService } from './events.service';

export const NDJSON_CONTENT_TYPES = [
  'application/x-ndjson',
  'application/ndjson',
  'application/jsonl',
  'application/x-jsonlines',
  'text/plain',
];

@ApiTags('events')
@Controller('events')
export class EventsController {
  constructor(
    private readonly events: EventsService,
    @Inject(INGEST_CONFIG) private readonly config: IngestConfig,
  ) {}

  @Post()
  @ApiConsumes('application/json', 'application/x-ndjson')
  @ApiBody({
    description:
      'One telemetry record, a JSON array of records, or NDJSON (one record per line). See docs/schemas/RawTelemetryEvent.v1.schema.json.',
    schema: {
      oneOf: [{ type: 'object' }, { type: 'array', items: { type: 'object' } }, { type: 'string' }],
    },
  })
  @ApiResponse({
    status: 202,
    type: IngestResultDto,
    description: 'At least one record accepted (or all were duplicates).',
  })
  @ApiResponse({
    status: 422,
    type: IngestResultDto,
    description: 'Every record was refused; see errors.',
  })
  @ApiResponse({ status: 400, description: 'The body is not JSON or NDJSON.' })
  @ApiResponse({ status: 413, description: 'The body or its record count is over the limit.' })
  @ApiResponse({ status: 503, description: 'Kafka is unavailable; retry after the given delay.' })
  async ingest(
    @Body() body: unknown,
    @Headers('content-type') contentType: string | undefined,
    @Ip() ip: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<IngestResultDto> {
    const records = this.toRecords(body, contentType);
    let result: IngestResultDto;
    try {
      result = await this.events.ingest(records, {
        channel: 'http',
        origin: ip,
        receivedAt: new Date(),
      });
    } catch (error) {
      void reply.header('Retry-After', '5');
      throw new HttpException(
        { statusCode: 503, message: `events could not be published: ${(error as Error).message}` },
        HttpStatus.SERVICE_UNAVAILABLE,
      );
    }
    void reply.status(result.accepted === 0 && result.rejected > 0 ? 422 : 202);
    return result;
  }

  private toRecords(body: unknown, contentType: string | undefined): BodyRecord[] {
    const mediaType = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
    const { maxRecords } = this.config.limits;
    try {
      if (NDJSON_CONTENT_TYPES.includes(mediaType)) {
        if (typeof body !== 'string') {
          throw new HttpException('expected an NDJSON body', HttpStatus.BAD_REQUEST);
        }
        return recordsFromNdjson(body, maxRecords);
      }
      if (body === undefined || body === null || typeof body !== 'object') {
        throw new HttpException('expected a JSON object or array body', HttpStatus.BAD_REQUEST);
      }
      return recordsFromJson(body, maxRecords);
    } catch (error) {
      if (error instanceof TooManyRecordsError) {
        throw new HttpException(error.message, HttpStatus.PAYLOAD_TOO_LARGE);
      }
      throw error;
    }
  }
}
