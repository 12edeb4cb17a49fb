import { recordsFromJson, recordsFromNdjson, TooManyRecordsError } from './body-records';

describe('recordsFromJson', () => {
  it('takes one object as one record and an array as one record per element', () => {
    expect(recordsFromJson({ a: 1 }, 10)).toEqual([{ index: 0, value: { a: 1 }, bytes: 7 }]);
    expect(recordsFromJson([{ a: 1 }, { b: 2 }], 10).map((r) => r.index)).toEqual([0, 1]);
  });

  it('refuses more records than the limit', () => {
    expect(() => recordsFromJson([1, 2, 3], 2)).toThrow(TooManyRecordsError);
  });
});

describe('recordsFromNdjson', () => {
  it('parses each non-blank line alone and reports bad lines with their number', () => {
    const sut = recordsFromNdjson('{"a":1}\n\n{oops\r\n{"b":2}', 10);
    expect(sut).toHaveLength(3);
    expect(sut[0]).toMatchObject({ index: 0, line: 1, value: { a: 1 } });
    expect(sut[1]).toMatchObject({ index: 1, line: 3 });
    expect(sut[1]!.error).toMatch(/^line 3 is not JSON/);
    expect(sut[2]).toMatchObject({ index: 2, line: 4, value: { b: 2 } });
  });

  it('counts bytes per line and enforces the record limit', () => {
    expect(recordsFromNdjson('{"é":1}\n', 10)[0]!.bytes).toBe(8);
    expect(() => recordsFromNdjson('1\n2\n3\n', 2)).toThrow(TooManyRecordsError);
  });
});
