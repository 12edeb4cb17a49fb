import { LineSplitter } from './line-splitter';

const bytes = (text: string) => Buffer.from(text, 'utf8');

describe('LineSplitter', () => {
  it('cuts complete lines, skips blank ones, strips CRLF and keeps the unfinished rest', () => {
    const sut = new LineSplitter(1024, 0, 1);

    const lines = sut.push(bytes('{"a":1}\r\n\n  \r\n{"b":2}\n{"c"'));

    expect(lines).toEqual([
      { offset: 0, endOffset: 9, lineNumber: 1, text: '{"a":1}' },
      { offset: 14, endOffset: 22, lineNumber: 4, text: '{"b":2}' },
    ]);
    expect(sut.lineStart).toBe(22);
    expect(sut.readOffset).toBe(26);
    expect(sut.nextLineNumber).toBe(5);
  });

  it('joins a line across chunks, even one cut inside a multi-byte character', () => {
    const sut = new LineSplitter(1024, 10, undefined);
    const line = bytes('{"emoji":"😀é"}\n');

    expect(sut.push(line.subarray(0, 12))).toEqual([]);
    expect(sut.push(line.subarray(12))).toEqual([
      { offset: 10, endOffset: 10 + line.length, text: '{"emoji":"😀é"}' },
    ]);
  });

  it('strips a byte order mark only at the start of the file', () => {
    const sut = new LineSplitter(1024, 0, 1);

    const [first, second] = sut.push(Buffer.concat([bytes('\uFEFF1\n'), bytes('\uFEFF2\n')]));

    expect(first?.text).toBe('1');
    expect(second?.text).toBe('\uFEFF2');
  });

  it('reports a line longer than maxLineBytes as oversized without holding it', () => {
    const sut = new LineSplitter(8, 0, 1);

    expect(sut.push(bytes('0123456789'))).toEqual([]);
    expect(sut.push(bytes('abcdef\n{"ok":1}\n'))).toEqual([
      { offset: 0, endOffset: 17, lineNumber: 1, text: '', oversized: true },
      { offset: 17, endOffset: 26, lineNumber: 2, text: '{"ok":1}' },
    ]);
  });

  it('flushes an unfinished last line, oversized or not', () => {
    const partial = new LineSplitter(8, 0, 1);
    partial.push(bytes('1\n{"x"'));
    expect(partial.flush()).toEqual([{ offset: 2, endOffset: 6, lineNumber: 2, text: '{"x"' }]);
    expect(partial.lineStart).toBe(6);

    const long = new LineSplitter(4, 0, undefined);
    long.push(bytes('123456'));
    expect(long.flush()).toEqual([{ offset: 0, endOffset: 6, text: '', oversized: true }]);
  });

  it('starts again from a committed offset after reset', () => {
    const sut = new LineSplitter(1024, 0, 1);
    sut.push(bytes('1\n2'));

    sut.reset(2, 2);

    expect(sut.push(bytes('2\n'))).toEqual([{ offset: 2, endOffset: 4, lineNumber: 2, text: '2' }]);
  });
});
