import { type Static, Type } from '@sinclair/typebox';
import { RawTelemetryEventSchema } from '@ward/contracts';
import { openApiSchema } from '@ward/observability';
import { REJECT_CODES } from '../intake/intake.types';

/** What POST /v1/events answers (202 and 422), stated strictly so any drift fails the fuzz run. */
export const IngestResultSchema = Type.Object(
  {
    accepted: Type.Integer({ minimum: 0, description: 'Records published as BehavioralEvents.' }),
    rejected: Type.Integer({ minimum: 0, description: 'Records refused; see errors.' }),
    duplicates: Type.Integer({
      minimum: 0,
      description:
        'Records whose eventId was already accepted within the dedup window; acknowledged, not republished.',
    }),
    eventIds: Type.Array(Type.String(), {
      description: 'Event ids of the accepted records, in order.',
    }),
    errors: Type.Array(
      Type.Object(
        {
          index: Type.Integer({
            minimum: 0,
            description: 'Position of the record in the batch (0-based).',
          }),
          line: Type.Optional(
            Type.Integer({ minimum: 1, description: 'Line number for NDJSON bodies (1-based).' }),
          ),
          code: Type.Union(REJECT_CODES.map((c) => Type.Literal(c))),
          issues: Type.Array(
            Type.Object(
              { path: Type.String(), message: Type.String() },
              { additionalProperties: false },
            ),
          ),
        },
        { additionalProperties: false },
      ),
      { description: 'Why each refused record was refused.' },
    ),
    alerts: Type.Integer({
      minimum: 0,
      description: 'Alerts raised by the inline detectors for these records.',
    }),
  },
  { additionalProperties: false },
);
export type IngestResultDto = Static<typeof IngestResultSchema>;

// Records go to Kafka, not PostgreSQL: NUL in a string is accepted, so not refused here either.
const record = openApiSchema(RawTelemetryEventSchema, { refuseNul: false });

/**
 * The request body by media type: JSON is one record or an array of records
 * (RawTelemetryEvent, docs/schemas/RawTelemetryEvent.v1.schema.json); NDJSON
 * is text, one record per line. What no schema can state: the tenantId of a
 * record must be the API key's (or absent), and its timestamp must not be
 * too far in the future; such records are refused one by one (422 when none
 * is left, with per-record reasons).
 */
export const EVENTS_BODY = {
  'application/json': {
    schema: {
      oneOf: [
        record,
        {
          type: 'array',
          items: record,
          description: 'At most INGEST_MAX_RECORDS records (413 beyond).',
        },
      ],
    },
  },
  'application/x-ndjson': { schema: { type: 'string' } },
};
