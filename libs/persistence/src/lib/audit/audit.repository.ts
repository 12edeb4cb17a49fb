import { Injectable } from '@nestjs/common';
import {
  type AuditRecord,
  canonicalJson,
  chainHash,
  type ChainVerdict,
  ChainVerifier,
  GENESIS_HASH,
} from '@ward/playbooks';
import { DataSource, type EntityManager } from 'typeorm';

const LOCK = 'ward:audit-log';
const PAGE = 1000;

export interface AuditEntry {
  readonly tenantId?: string;
  readonly kind: string;
  /** Anything JSON: stored in canonical form and covered by the hash. */
  readonly body: Record<string, unknown>;
}

/**
 * The hash-chained audit log. Appends serialize on one advisory lock, so
 * concurrent writers (threads, replicas) extend one chain; `verify`
 * recomputes it page by page and names the first broken entry.
 */
@Injectable()
export class AuditRepository {
  private table = 'audit_log';

  constructor(private readonly dataSource: DataSource) {}

  /** The same log kept in another table (tests use a throwaway copy). */
  static onTable(dataSource: DataSource, table: string): AuditRepository {
    if (!/^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$/.test(table)) {
      throw new Error(`not a table name: ${table}`);
    }
    const repo = new AuditRepository(dataSource);
    repo.table = table;
    return repo;
  }

  /** Appends entries in order, in the caller's transaction if given; returns their records. */
  async append(entries: readonly AuditEntry[], tx?: EntityManager): Promise<AuditRecord[]> {
    if (entries.length === 0) {
      return [];
    }
    const work = async (m: EntityManager) => {
      await m.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [
        `${LOCK}:${this.table}`,
      ]);
      const last = await m.query<{ seq: string; hash: string }[]>(
        `SELECT seq, hash FROM ${this.table} ORDER BY seq DESC LIMIT 1`,
      );
      let seq = last[0] === undefined ? 0 : Number(last[0].seq);
      let prev = last[0]?.hash ?? GENESIS_HASH;
      const records: AuditRecord[] = [];
      for (const e of entries) {
        const body = canonicalJson({ ...e.body, kind: e.kind, tenantId: e.tenantId ?? null });
        const hash = chainHash(prev, body);
        seq += 1;
        records.push({ seq, prevHash: prev, hash, body });
        await m.query(
          `INSERT INTO ${this.table} (seq, tenant_id, kind, body, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6)`,
          [seq, e.tenantId ?? null, e.kind, body, prev, hash],
        );
        prev = hash;
      }
      return records;
    };
    return tx === undefined ? this.dataSource.transaction(work) : work(tx);
  }

  /** Recomputes the whole chain from the first entry. */
  async verify(): Promise<ChainVerdict> {
    const verifier = new ChainVerifier(GENESIS_HASH, 1);
    let after = 0;
    for (;;) {
      const rows = await this.dataSource.query<
        { seq: string; prev_hash: string; hash: string; body: string }[]
      >(
        `SELECT seq, prev_hash, hash, body FROM ${this.table} WHERE seq > $1 ORDER BY seq LIMIT $2`,
        [after, PAGE],
      );
      for (const r of rows) {
        if (
          !verifier.push({ seq: Number(r.seq), prevHash: r.prev_hash, hash: r.hash, body: r.body })
        ) {
          return verifier.verdict();
        }
      }
      if (rows.length < PAGE) {
        return verifier.verdict();
      }
      after = Number(rows.at(-1)!.seq);
    }
  }
}
