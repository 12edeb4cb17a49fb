import { BadRequestException, NotFoundException } from '@nestjs/common';
import { type Static, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { ApiBody, ApiExtension, ApiQuery } from '@nestjs/swagger';
import { type Contract, formatIssues, TenantId } from '@ward/contracts';

/** A `:tenantId` path parameter; an impossible tenant id is a 404, like an unknown one. */
export function tenantParam(raw: string): string {
  if (!Value.Check(TenantId, raw)) {
    throw new NotFoundException();
  }
  return raw;
}

/** A request body checked against its contract; 400 naming every offending field. */
export function validBody<S extends TSchema>(contract: Contract<S>, body: unknown): Static<S> {
  const result = contract.validate(body);
  if (!result.ok) {
    throw new BadRequestException(formatIssues(result.issues));
  }
  const nul = nulPointer(result.value);
  if (nul !== undefined) {
    throw new BadRequestException(`${nul}: must not contain NUL (\\u0000) characters`);
  }
  return result.value;
}

/** An optional integer query parameter in [min, max]; 400 naming it otherwise (an empty value too). */
export function intQuery(
  name: string,
  raw: string | undefined,
  min: number,
  max: number,
): number | undefined {
  if (raw === undefined) {
    return undefined;
  }
  const n = Number(raw);
  if (typeof raw !== 'string' || !/^-?\d+$/.test(raw) || n < min || n > max) {
    throw new BadRequestException(`${name} must be an integer in [${min}, ${max}]`);
  }
  return n;
}

/** Documents an optional integer query parameter in [min, max] (what intQuery accepts). */
export function ApiIntQuery(
  name: string,
  min: number,
  max: number,
  description?: string,
): MethodDecorator {
  return ApiQuery({
    name,
    required: false,
    schema: { type: 'integer', minimum: min, maximum: max },
    ...(description !== undefined && { description }),
  });
}

/** PostgreSQL text cannot hold NUL, so no API string may carry one (refused with 400, documented so). */
export const NO_NUL_PATTERN = '^[^\\u0000]*$';

/**
 * A contract's JSON Schema as a plain object for an OpenAPI 3.0 document:
 * TypeBox's symbols dropped; `const` (which 3.0 lacks, so tools ignore it)
 * written as a one-value `enum`; TypeBox's catch-all `patternProperties`
 * (not in 3.0 either) as `additionalProperties`; and free-text strings
 * marked as refusing NUL, as validBody does (unless `refuseNul` is false:
 * for bodies that never reach PostgreSQL and so may carry NUL).
 */
export function openApiSchema(
  schema: TSchema,
  options: { readonly refuseNul?: boolean } = {},
): Record<string, unknown> {
  const refuseNul = options.refuseNul ?? true;
  return JSON.parse(JSON.stringify(schema), (_key, value: unknown) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      return value;
    }
    let node = value as Record<string, unknown>;
    if ('const' in node) {
      const { const: only, ...rest } = node;
      node = { ...rest, enum: [only] };
    }
    const patterns = node.patternProperties as Record<string, unknown> | undefined;
    if (patterns !== undefined && Object.keys(patterns).length === 1 && '^(.*)$' in patterns) {
      const { patternProperties: _catchAll, ...rest } = node;
      node = { ...rest, additionalProperties: patterns['^(.*)$'] };
    }
    if (
      refuseNul &&
      node.type === 'string' &&
      node.enum === undefined &&
      node.pattern === undefined &&
      node.format === undefined
    ) {
      node = { ...node, pattern: NO_NUL_PATTERN };
    }
    return node;
  }) as Record<string, unknown>;
}

/** The JSON pointer of the first string (or key) holding a NUL character, if any. */
export function nulPointer(value: unknown, path = ''): string | undefined {
  if (typeof value === 'string') {
    return value.includes('\u0000') ? path || '/' : undefined;
  }
  if (typeof value !== 'object' || value === null) {
    return undefined;
  }
  for (const [key, child] of Object.entries(value)) {
    const at = `${path}/${key}`;
    if (key.includes('\u0000')) {
      return at;
    }
    const found = nulPointer(child, at);
    if (found !== undefined) {
      return found;
    }
  }
  return undefined;
}

/**
 * Documents a request body by the very contract validBody checks it against,
 * so the OpenAPI document cannot drift from what the API accepts.
 */
export function ApiContractBody(
  contract: Contract<TSchema>,
  options: { readonly description?: string; readonly required?: boolean } = {},
): MethodDecorator {
  return ApiBody({
    schema: openApiSchema(contract.schema),
    ...(options.description !== undefined && { description: options.description }),
    ...(options.required === false && { required: false }),
  });
}

/** The extension ApiBodyByMediaType leaves for createOpenApiDocument to turn into the request body. */
export const BODY_BY_MEDIA_TYPE = 'x-ward-body-by-media-type';

/**
 * Documents a request body whose schema depends on its media type (ApiBody
 * gives every media type the same schema): e.g. JSON records for
 * application/json and a string for NDJSON.
 */
export function ApiBodyByMediaType(
  content: Record<string, { readonly schema: object }>,
  options: { readonly description?: string; readonly required?: boolean } = {},
): MethodDecorator {
  return ApiExtension(BODY_BY_MEDIA_TYPE, {
    content,
    required: options.required ?? true,
    ...(options.description !== undefined && { description: options.description }),
  });
}
