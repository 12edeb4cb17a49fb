import { BadRequestException, NotFoundException } from '@nestjs/common';
import { type Static, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
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
  return result.value;
}

/** An optional integer query parameter in [min, max]; 400 naming it otherwise. */
export function intQuery(
  name: string,
  raw: string | undefined,
  min: number,
  max: number,
): number | undefined {
  if (raw === undefined || raw === '') {
    return undefined;
  }
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new BadRequestException(`${name} must be an integer in [${min}, ${max}]`);
  }
  return n;
}
