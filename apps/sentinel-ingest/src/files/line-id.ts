import { createHash } from 'node:crypto';
import { type TailedLine } from './file-tailer.types';

/**
 * Deterministic id of a line: the same bytes at the same place of the same
 * inode get the same id, so a batch delivered again after a crash is
 * recognised by the sink's de-duplication. The content digest keeps ids apart
 * when a file is truncated and new lines land at offsets already used (copytruncate),
 * or when an inode number is reused.
 */
export function lineId(line: Pick<TailedLine, 'dev' | 'ino' | 'offset' | 'text'>): string {
  const digest = createHash('sha256').update(line.text).digest('hex').slice(0, 16);
  return `file:${line.dev}:${line.ino}:${line.offset}:${digest}`;
}
