import { infraEnv, uniqueTag } from '@ward/testing';
import { type DataSource } from 'typeorm';
import { createDataSource } from '../data-source';
import { AuditRepository } from './audit.repository';

/**
 * The hash-chained audit log against PostgreSQL, on a throwaway copy of the
 * audit_log table (tampering with the real one would break it for good).
 */
describe('AuditRepository against PostgreSQL', () => {
  const schema = uniqueTag('audit')
    .replace(/[^a-z0-9]/gi, '_')
    .toLowerCase();
  const table = `${schema}.audit_log`;
  let a: DataSource;
  let b: DataSource;

  beforeAll(async () => {
    a = await createDataSource({ url: infraEnv().DATABASE_URL }).initialize();
    b = await createDataSource({ url: infraEnv().DATABASE_URL }).initialize();
    await a.query(`CREATE SCHEMA ${schema}`);
    await a.query(`CREATE TABLE ${table} (LIKE public.audit_log INCLUDING ALL)`);
  });

  afterAll(async () => {
    await a?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await a?.destroy();
    await b?.destroy();
  });

  it('keeps one unbroken chain under concurrent writers on two connection pools', async () => {
    const writers = [AuditRepository.onTable(a, table), AuditRepository.onTable(b, table)];
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        writers[i % 2]!.append([
          {
            tenantId: 'acme',
            kind: 'step_succeeded',
            body: { run: `r${i}`, step: 'a', attempt: 1 },
          },
          { tenantId: 'acme', kind: 'step_started', body: { run: `r${i}`, step: 'b' } },
        ]),
      ),
    );
    const verdict = await writers[0]!.verify();
    expect(verdict).toMatchObject({ ok: true, entries: 80 });
    const seqs = await a.query<{ seq: string }[]>(`SELECT seq FROM ${table} ORDER BY seq`);
    expect(seqs.map((r) => Number(r.seq))).toEqual(Array.from({ length: 80 }, (_, i) => i + 1));
  });

  it('names the first tampered, re-hashed or deleted entry', async () => {
    const repo = AuditRepository.onTable(a, table);
    const body = await a.query<{ body: string }[]>(`SELECT body FROM ${table} WHERE seq = 17`);
    await a.query(
      `UPDATE ${table} SET body = replace(body, '"attempt":1', '"attempt":2') WHERE seq = 17`,
    );
    expect(await repo.verify()).toEqual({
      ok: false,
      seq: 17,
      reason: 'its hash does not match its content',
      entries: 16,
    });
    await a.query(`UPDATE ${table} SET body = $1 WHERE seq = 17`, [body[0]!.body]);
    expect(await repo.verify()).toMatchObject({ ok: true, entries: 80 });

    await a.query(`DELETE FROM ${table} WHERE seq = 40`);
    expect(await repo.verify()).toMatchObject({
      ok: false,
      seq: 41,
      reason: 'entry 40 is missing (found 41 next)',
    });
  });
});
