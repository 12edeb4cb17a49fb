import { extname } from 'node:path';
import { withoutBom } from './line-splitter';

/**
 * How a file's bytes become records: `lines` is JSON Lines (one record per
 * line), `document` is one JSON document (object or array) that may span lines.
 */
export type JsonLayout = 'lines' | 'document';

const NEWLINE = 0x0a;

/** `.json` files are classified by content; every other file (`.jsonl`, `.ndjson`, explicit paths) is JSON Lines. */
export function isJsonDocumentCandidate(path: string): boolean {
  return extname(path).toLowerCase() === '.json';
}

/**
 * Classifies a `.json` file from its first bytes: JSON Lines when the first
 * non-blank line is a complete JSON value on its own (JSONL written with a
 * `.json` name), one document when it is not (`{`, `[`, pretty-printed
 * output). Undefined while there is no complete non-blank line yet: the caller
 * waits, and takes the file as one document once it has stopped growing.
 */
export function classifyJsonPrefix(prefix: Buffer): JsonLayout | undefined {
  const bytes = withoutBom(prefix, true);
  let pos = 0;
  for (;;) {
    const newline = bytes.indexOf(NEWLINE, pos);
    if (newline === -1) {
      return undefined;
    }
    const text = bytes.toString('utf8', pos, newline).trim();
    if (text !== '') {
      return parsesAsJson(text) ? 'lines' : 'document';
    }
    pos = newline + 1;
  }
}

export function parsesAsJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
