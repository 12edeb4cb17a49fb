import {
  Body,
  Controller,
  ForbiddenException,
  Headers,
  HttpException,
  HttpStatus,
  Inject,
  Ip,
  Post,
  Res,
} from '@nestjs/common';
import { ApiResponse, ApiTags } from '@nestjs/swagger';
import {
  ApiBodyByMediaType,
  Authorize,
  CurrentPrincipal,
  openApiSchema,
  type Principal,
} from '@ward/observability';
import { TokenBucketStore } from '@ward/persistence';
import type { FastifyReply } from 'fastify';
import { INGEST_CONFIG, type IngestConfig } from '../config/ingest.config';
import { IngestMetrics } from '../intake/ingest.metrics';
import { IntakeService } from '../intake/intake.service';
import { type IntakeRecord, type IntakeResult } from '../intake/intake.types';
import { recordsFromJson, recordsFromNdjson, TooManyRecordsError } from './body-records';
import { EVENTS_BODY, IngestResultSchema } from './events.dto';

export const NDJSON_CONTENT_TYPES = [
  'application/x-ndjson',
  'application/ndjson',
  'application/jsonl',
  'application/x-jsonlines',
  'text/plain',
];

@ApiTags('events')
@Authorize('ingest')
@Controller('events')
export class EventsController {
  constructor(
    private readonly intake: IntakeService,
    private readonly buckets: TokenBucketStore,
    private readonly metrics: IngestMetrics,
    @Inject(INGEST_CONFIG) private readonly config: IngestConfig,
  ) {}

  @Post()
  @ApiBodyByMediaType(EVENTS_BODY, {
    description:
      'One telemetry record, a JSON array of records, or NDJSON (one record per line); `Content-Encoding: gzip` is accepted. ' +
      'The tenant is the API key’s: a record naming another tenant is refused. See docs/schemas/RawTelemetryEvent.v1.schema.json.',
  })
  @ApiResponse({
    status: 202,
    schema: openApiSchema(IngestResultSchema, { refuseNul: false }),
    description: 'At least one record accepted (or all were duplicates).',
  })
  @ApiResponse({
    status: 422,
    schema: openApiSchema(IngestResultSchema, { refuseNul: false }),
    description:
      'Every record was refused (e.g. another tenant than the key’s, a timestamp too far ahead); errors says why, record by record.',
  })
  @ApiResponse({
    status: 400,
    description: 'The body is not JSON or NDJSON, or its gzip is corrupt.',
  })
  @ApiResponse({ status: 401, description: 'Missing, unknown, revoked or expired API key.' })
  @ApiResponse({
    status: 403,
    description: 'The credential lacks the ingest role, or is bound to no tenant.',
  })
  @ApiResponse({
    status: 413,
    description: 'The body (decompressed) or its record count is over the limit.',
  })
  @ApiResponse({ status: 415, description: 'Unsupported media type or content encoding.' })
  @ApiResponse({
    status: 429,
    description: 'The tenant’s rate limit is exhausted; retry after Retry-After seconds.',
  })
  @ApiResponse({
    status: 503,
    description: 'Kafka or Redis is unavailable; retry after Retry-After seconds.',
  })
  async ingest(
    @Body() body: unknown,
    @Headers('content-type') contentType: string | undefined,
    @Ip() ip: string,
    @CurrentPrincipal() principal: Principal,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<IntakeResult> {
    const tenantId = principal.tenantId;
    if (tenantId === null) {
      throw new ForbiddenException(
        'telemetry needs a credential bound to a tenant (an API key with the ingest role)',
      );
    }
    const records = this.toRecords(body, contentType);
    await this.enforceRateLimit(tenantId, records.length, reply);
    let result: IntakeResult;
    try {
      result = await this.intake.accept(records, {
        channel: 'http',
        origin: ip,
        receivedAt: new Date(),
        tenant: { kind: 'bound', tenantId },
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

  private async enforceRateLimit(
    tenantId: string,
    cost: number,
    reply: FastifyReply,
  ): Promise<void> {
    const { burst, ratePerSecond } = this.config.rateLimit;
    if (cost > burst) {
      throw new HttpException(
        `a batch of ${cost} records is larger than the tenant's burst of ${burst}: send smaller batches`,
        HttpStatus.PAYLOAD_TOO_LARGE,
      );
    }
    let outcome;
    try {
      outcome = await this.buckets.take(`ingest:${tenantId}`, Math.max(cost, 1), {
        capacity: burst,
        ratePerSecond,
      });
    } catch (error) {
      void reply.header('Retry-After', '5');
      throw new HttpException(
        { statusCode: 503, message: `rate limiter unavailable: ${(error as Error).message}` },
        HttpStatus.SERVICE_UNAVAILABLE,
      );
    }
    if (!outcome.allowed) {
      const seconds = Math.max(1, Math.ceil(outcome.retryAfterMs / 1000));
      this.metrics.rateLimited.inc();
      void reply.header('Retry-After', String(seconds));
      throw new HttpException(
        {
          statusCode: 429,
          message: `rate limit exceeded for this tenant: retry after ${seconds} s`,
          retryAfterSeconds: seconds,
        },
        HttpStatus.TOO_MANY_REQUESTS,
      );
    }
  }

  private toRecords(body: unknown, contentType: string | undefined): IntakeRecord[] {
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
