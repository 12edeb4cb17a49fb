import { classifyJsonPrefix, isJsonDocumentCandidate } from './json-layout';

describe('classifyJsonPrefix', () => {
  it('takes a file whose first non-blank line is a JSON value as JSON Lines', () => {
    expect(classifyJsonPrefix(Buffer.from('\n{"a":1}\n{"b"'))).toBe('lines');
    expect(classifyJsonPrefix(Buffer.from('\uFEFF[1,2]\r\n'))).toBe('lines');
  });

  it('takes a first line that is not JSON on its own as the start of one document', () => {
    expect(classifyJsonPrefix(Buffer.from('{\n  "a": 1\n}\n'))).toBe('document');
    expect(classifyJsonPrefix(Buffer.from('[\n'))).toBe('document');
  });

  it('cannot tell before a complete non-blank line', () => {
    expect(classifyJsonPrefix(Buffer.from(''))).toBeUndefined();
    expect(classifyJsonPrefix(Buffer.from('\n  \n{"a":1}'))).toBeUndefined();
  });
});

describe('isJsonDocumentCandidate', () => {
  it('is true only for .json', () => {
    expect(isJsonDocumentCandidate('/x/a.JSON')).toBe(true);
    expect(isJsonDocumentCandidate('/x/a.jsonl')).toBe(false);
    expect(isJsonDocumentCandidate('/x/a.ndjson')).toBe(false);
  });
});
