import { replaceNul } from './storable';

describe('replaceNul', () => {
  it('returns the record itself when it holds no NUL', () => {
    const record = { a: 'plain', b: ['x', { c: 1 }], d: null };
    expect(replaceNul(record)).toBe(record);
  });

  it('replaces NUL in strings and keys at any depth with U+FFFD, leaving the rest alone', () => {
    const record = {
      tools: ['shell\u0000exec'],
      nested: { ['k\u0000ey']: ['a\u0000\u0000b', 7, true] },
      untouched: 'caf\u00e9 \u4e2d',
    };
    expect(replaceNul(record)).toEqual({
      tools: ['shell\ufffdexec'],
      nested: { ['k\ufffdey']: ['a\ufffd\ufffdb', 7, true] },
      untouched: 'caf\u00e9 \u4e2d',
    });
    // The original is not changed.
    expect(record.tools[0]).toBe('shell\u0000exec');
  });

  it('keeps a literal backslash-u0000 text, which is not a NUL', () => {
    const literal = { a: '\\u0000', b: '\\\\u0000', c: '\\\u0000' };
    expect(replaceNul(literal)).toEqual({ a: '\\u0000', b: '\\\\u0000', c: '\\\ufffd' });
  });
});
