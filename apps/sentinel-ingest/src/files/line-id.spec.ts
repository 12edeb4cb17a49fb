import { lineId } from './line-id';

describe('lineId', () => {
  const line = { dev: 2049, ino: 1234, offset: 40, text: '{"a":1}' };

  it('is stable for the same bytes at the same place of the same inode', () => {
    expect(lineId(line)).toBe(lineId({ ...line }));
    expect(lineId(line)).toMatch(/^file:2049:1234:40:[0-9a-f]{16}$/);
  });

  it('differs when other content lands at the same offset (copytruncate) or elsewhere', () => {
    expect(lineId({ ...line, text: '{"a":2}' })).not.toBe(lineId(line));
    expect(lineId({ ...line, offset: 41 })).not.toBe(lineId(line));
    expect(lineId({ ...line, ino: 1235 })).not.toBe(lineId(line));
  });

  it('fits the eventId contract (at most 128 of [A-Za-z0-9._:-])', () => {
    const id = lineId({
      dev: Number.MAX_SAFE_INTEGER,
      ino: Number.MAX_SAFE_INTEGER,
      offset: Number.MAX_SAFE_INTEGER,
      text: 'x',
    });
    expect(id).toMatch(/^[A-Za-z0-9._:-]{1,128}$/);
  });
});
