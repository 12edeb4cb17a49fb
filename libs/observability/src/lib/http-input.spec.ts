import { Type } from '@sinclair/typebox';
import { intQuery, NO_NUL_PATTERN, nulPointer, openApiSchema } from './http-input';

describe(openApiSchema.name, () => {
  it('writes const as a one-value enum, at any depth, and drops TypeBox symbols', () => {
    const schema = Type.Object({
      decision: Type.Union([Type.Literal('approve'), Type.Literal('reject')]),
      tier: Type.Union([Type.Literal(1), Type.Null()]),
    });
    const sut = openApiSchema(schema);
    expect(JSON.stringify(sut)).not.toContain('"const"');
    expect(sut).toMatchObject({
      properties: {
        decision: { anyOf: [{ enum: ['approve'] }, { enum: ['reject'] }] },
        tier: { anyOf: [{ enum: [1] }, { type: 'null' }] },
      },
    });
    expect(Object.getOwnPropertySymbols(sut)).toEqual([]);
  });

  it('writes a catch-all record as additionalProperties and marks free text as refusing NUL', () => {
    const sut = openApiSchema(
      Type.Object({
        overrides: Type.Record(Type.String(), Type.Number()),
        reason: Type.String({ minLength: 1 }),
        at: Type.String({ format: 'date-time' }),
      }),
    );
    expect(sut).toMatchObject({
      properties: {
        overrides: { type: 'object', additionalProperties: { type: 'number' } },
        reason: { type: 'string', minLength: 1, pattern: NO_NUL_PATTERN },
        at: { type: 'string', format: 'date-time' },
      },
    });
    expect(JSON.stringify(sut)).not.toContain('patternProperties');
    expect(new RegExp(NO_NUL_PATTERN).test('a\u0000b')).toBe(false);
    expect(new RegExp(NO_NUL_PATTERN).test('plain text')).toBe(true);
  });
});

describe(intQuery.name, () => {
  it('reads an integer in range, and refuses an empty, fractional or out-of-range value', () => {
    expect(intQuery('limit', undefined, 1, 5)).toBeUndefined();
    expect(intQuery('limit', '3', 1, 5)).toBe(3);
    for (const bad of ['', '2.5', '6', '0x2', ' 3']) {
      expect(() => intQuery('limit', bad, 1, 5)).toThrow(/limit must be an integer in \[1, 5\]/);
    }
  });
});

describe(nulPointer.name, () => {
  it('points at the first string or key holding NUL', () => {
    expect(nulPointer({ a: 'ok', b: ['x', 'y\u0000'] })).toBe('/b/1');
    expect(nulPointer({ 'k\u0000': 1 })).toBe('/k\u0000');
    expect(nulPointer({ a: 'fine', n: 1, z: null })).toBeUndefined();
  });
});
