import { type AuditRecord, canonicalJson, ChainVerifier, chainHash, GENESIS_HASH } from './audit';

function chain(bodies: unknown[]): AuditRecord[] {
  let prev = GENESIS_HASH;
  return bodies.map((b, i) => {
    const body = canonicalJson(b);
    const hash = chainHash(prev, body);
    const record = { seq: i + 1, prevHash: prev, hash, body };
    prev = hash;
    return record;
  });
}

const verify = (records: AuditRecord[]) => {
  const v = new ChainVerifier(GENESIS_HASH, 1);
  records.forEach((r) => v.push(r));
  return v.verdict();
};

describe('audit chain', () => {
  it('writes canonical JSON: sorted keys, no whitespace, undefined dropped', () => {
    expect(canonicalJson({ b: 1, a: [true, null, 'x'], c: { z: 1.5, y: undefined } })).toBe(
      '{"a":[true,null,"x"],"b":1,"c":{"z":1.5}}',
    );
    expect(() => canonicalJson({ n: Number.NaN })).toThrow('canonical JSON cannot hold NaN');
  });

  it('hashes the previous hash and the canonical body (checked by hand with sha256sum)', () => {
    // printf '%s\n%s' 000...000 '{"a":1}' | sha256sum
    expect(chainHash(GENESIS_HASH, '{"a":1}')).toBe(
      'f21735afd2cd6af4fc5804b0045cebfd545aef8396d29d030c39cb8880b45b7f',
    );
  });

  it('accepts an intact chain and names the first broken entry otherwise', () => {
    const records = chain([
      { kind: 'run_started' },
      { kind: 'step_succeeded', step: 'a' },
      { kind: 'run_finished' },
    ]);
    expect(verify(records)).toEqual({ ok: true, entries: 3, lastHash: records[2]!.hash });

    const edited = records.map((r) =>
      r.seq === 2 ? { ...r, body: '{"kind":"step_failed","step":"a"}' } : r,
    );
    expect(verify(edited)).toEqual({
      ok: false,
      seq: 2,
      reason: 'its hash does not match its content',
      entries: 1,
    });

    const rehashed = edited.map((r) =>
      r.seq === 2 ? { ...r, hash: chainHash(r.prevHash, r.body) } : r,
    );
    expect(verify(rehashed)).toMatchObject({
      ok: false,
      seq: 3,
      reason: 'its previous-hash does not match the entry before it',
    });

    expect(verify([records[0]!, records[2]!])).toMatchObject({
      ok: false,
      seq: 3,
      reason: 'entry 2 is missing (found 3 next)',
    });

    const spaced = records.map((r) =>
      r.seq === 1 ? { ...r, body: '{ "kind": "run_started" }' } : r,
    );
    expect(verify(spaced)).toMatchObject({
      ok: false,
      seq: 1,
      reason: 'its body is not in canonical form',
    });
  });
});
