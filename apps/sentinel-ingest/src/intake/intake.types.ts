import { type DeadLetterReason, type IntakeChannel } from '@ward/contracts';

/** One record as a channel hands it over, before normalization. */
export interface IntakeRecord {
  /** Position in the request, message batch or file read (0-based). */
  readonly index: number;
  /** 1-based line for NDJSON bodies and files. */
  readonly line?: number;
  readonly value?: unknown;
  /** Set when the channel could not even parse the record. */
  readonly error?: string;
  readonly bytes: number;
}

/**
 * Where a record's tenant comes from: `bound` (an API key: a record naming
 * another tenant is refused) or `default` (a trusted channel: the record may
 * name its tenant, otherwise this one).
 */
export type TenantBinding =
  | { readonly kind: 'bound'; readonly tenantId: string }
  | { readonly kind: 'default'; readonly tenantId: string };

export interface IntakeSource {
  readonly channel: IntakeChannel;
  readonly origin?: string;
  readonly receivedAt: Date;
  readonly tenant: TenantBinding;
}

export const REJECT_CODES = [
  'invalid_json',
  'oversized',
  'schema_violation',
  'tenant_mismatch',
  'unsupported_shape',
] as const;
export type RejectCode = (typeof REJECT_CODES)[number];

export interface RecordIssue {
  readonly path: string;
  readonly message: string;
}

export interface RecordError {
  readonly index: number;
  readonly line?: number;
  readonly code: RejectCode;
  readonly issues: readonly RecordIssue[];
}

export interface IntakeResult {
  readonly accepted: number;
  readonly rejected: number;
  readonly duplicates: number;
  readonly eventIds: readonly string[];
  readonly errors: readonly RecordError[];
  /** Inline-detector alerts raised by this intake. */
  readonly alerts: number;
}

/** How each refusal is named when the record came from a topic or a file and goes to the DLQ. */
export const DLQ_REASON: Readonly<Record<RejectCode, DeadLetterReason>> = {
  invalid_json: 'invalid_json',
  oversized: 'oversized',
  schema_violation: 'schema_violation',
  tenant_mismatch: 'schema_violation',
  unsupported_shape: 'unsupported_shape',
};
