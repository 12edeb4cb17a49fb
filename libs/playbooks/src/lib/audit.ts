import { createHash } from 'node:crypto';

/**
 * The response audit trail as a hash chain: each entry's hash covers the
 * previous entry's hash and the entry's canonical form, so changing, removing
 * or reordering any entry breaks every hash after it. Pure: the store appends
 * and reads; this module says what the hashes must be.
 */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * Canonical JSON: object keys sorted by code point, no whitespace, numbers as
 * JavaScript prints them. Refuses what JSON cannot carry faithfully.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') {
    return JSON.stringify(value);
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) {
      throw new Error(`canonical JSON cannot hold ${value}`);
    }
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) {
    return `[${value.map(canonicalJson).join(',')}]`;
  }
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  throw new Error(`canonical JSON cannot hold a ${typeof value}`);
}

export function chainHash(prevHash: string, canonicalBody: string): string {
  return createHash('sha256').update(prevHash).update('\n').update(canonicalBody).digest('hex');
}

export interface AuditRecord {
  readonly seq: number;
  readonly prevHash: string;
  readonly hash: string;
  /** The entry as stored: its canonical JSON text. */
  readonly body: string;
}

export type ChainVerdict =
  | { readonly ok: true; readonly entries: number; readonly lastHash: string }
  | { readonly ok: false; readonly seq: number; readonly reason: string; readonly entries: number };

/**
 * Checks records in seq order, continuing from `prev` (the hash before the
 * first one). Names the first broken entry and why.
 */
export class ChainVerifier {
  private prev: string;
  private expectedSeq: number | undefined;
  private count = 0;
  private broken: ChainVerdict | undefined;

  constructor(prev = GENESIS_HASH, firstSeq?: number) {
    this.prev = prev;
    this.expectedSeq = firstSeq;
  }

  /** False once a broken entry is found (later records are not needed). */
  push(record: AuditRecord): boolean {
    if (this.broken !== undefined) {
      return false;
    }
    const fail = (reason: string) => {
      this.broken = { ok: false, seq: record.seq, reason, entries: this.count };
      return false;
    };
    if (this.expectedSeq !== undefined && record.seq !== this.expectedSeq) {
      return fail(`entry ${this.expectedSeq} is missing (found ${record.seq} next)`);
    }
    if (record.prevHash !== this.prev) {
      return fail('its previous-hash does not match the entry before it');
    }
    let canonical: string;
    try {
      canonical = canonicalJson(JSON.parse(record.body));
    } catch {
      return fail('its body is not JSON');
    }
    if (canonical !== record.body) {
      return fail('its body is not in canonical form');
    }
    if (chainHash(record.prevHash, record.body) !== record.hash) {
      return fail('its hash does not match its content');
    }
    this.prev = record.hash;
    this.expectedSeq = record.seq + 1;
    this.count += 1;
    return true;
  }

  verdict(): ChainVerdict {
    return this.broken ?? { ok: true, entries: this.count, lastHash: this.prev };
  }
}
