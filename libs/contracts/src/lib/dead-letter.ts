import { type Static, Type } from '@sinclair/typebox';
import { Contract } from './contract';
import { isoDateTime } from './primitives';

export const DEAD_LETTER_REASONS = [
  'invalid_json',
  'schema_violation',
  'unsupported_shape',
  'oversized',
  'rejected_by_handler',
] as const;
export type DeadLetterReason = (typeof DEAD_LETTER_REASONS)[number];

export const DeadLetterSchema = Type.Object(
  {
    schemaVersion: Type.Literal(1),
    sourceTopic: Type.String(),
    partition: Type.Integer({ minimum: 0 }),
    offset: Type.String({ pattern: '^\\d+$' }),
    consumerGroup: Type.String(),
    reason: Type.Object(
      {
        code: Type.Union(DEAD_LETTER_REASONS.map((r) => Type.Literal(r))),
        message: Type.String({ maxLength: 4000 }),
      },
      { additionalProperties: false },
    ),
    key: Type.Union([Type.String(), Type.Null()], { description: 'Original key, base64.' }),
    value: Type.Union([
      Type.Object(
        {
          encoding: Type.Union([Type.Literal('utf8'), Type.Literal('base64')]),
          data: Type.String(),
        },
        { additionalProperties: false },
      ),
      Type.Null(),
    ]),
    headers: Type.Record(Type.String(), Type.String(), {
      description: 'Original headers, values base64.',
    }),
    messageTimestamp: Type.String({ description: 'Original Kafka message timestamp (ms).' }),
    failedAt: isoDateTime(),
  },
  { additionalProperties: false },
);

export type DeadLetter = Static<typeof DeadLetterSchema>;
export const DeadLetterContract = new Contract('DeadLetter', 1, DeadLetterSchema);
