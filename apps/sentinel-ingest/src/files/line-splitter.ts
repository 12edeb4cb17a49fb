const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const EMPTY = Buffer.alloc(0);

/** A complete line cut from a file, before it is addressed to a path and inode. */
export interface SplitLine {
  readonly offset: number;
  readonly endOffset: number;
  readonly lineNumber?: number;
  readonly text: string;
  readonly oversized?: true;
}

/**
 * Cuts a byte stream read in arbitrary chunks into JSON Lines. Splitting
 * happens on bytes, so a chunk ending inside a multi-byte character is safe:
 * a line is decoded only once its newline has arrived.
 *
 * `lineStart` is the offset of the first byte not yet part of a complete line;
 * everything before it is consumed (delivered or blank) and is what the tailer
 * commits. At most `maxLineBytes` of an unfinished line is held in memory; a
 * longer line is skipped up to its newline and reported as one oversized line.
 */
export class LineSplitter {
  private carry: Buffer = EMPTY;
  private skipping = false;
  private start: number;
  private read: number;
  private lineNumber: number | undefined;

  constructor(
    private readonly maxLineBytes: number,
    offset: number,
    nextLineNumber: number | undefined,
    skipping = false,
  ) {
    this.start = offset;
    this.read = offset;
    this.lineNumber = nextLineNumber;
    this.skipping = skipping;
  }

  get lineStart(): number {
    return this.start;
  }

  get readOffset(): number {
    return this.read;
  }

  /** 1-based number of the line at `lineStart`, when counted from the start of the file. */
  get nextLineNumber(): number | undefined {
    return this.lineNumber;
  }

  reset(offset: number, nextLineNumber: number | undefined, skipping = false): void {
    this.carry = EMPTY;
    this.start = offset;
    this.read = offset;
    this.lineNumber = nextLineNumber;
    this.skipping = skipping;
  }

  /** Bytes read at `readOffset`; returns the lines they complete. */
  push(chunk: Buffer): SplitLine[] {
    const lines: SplitLine[] = [];
    const chunkOffset = this.read;
    let pos = 0;
    while (pos < chunk.length) {
      const newline = chunk.indexOf(NEWLINE, pos);
      if (newline === -1) {
        this.hold(chunk.subarray(pos));
        break;
      }
      const endOffset = chunkOffset + newline + 1;
      const line = this.complete(chunk.subarray(pos, newline), endOffset);
      if (line !== undefined) {
        lines.push(line);
      }
      pos = newline + 1;
    }
    this.read = chunkOffset + chunk.length;
    return lines;
  }

  /** The unfinished last line as if the file ended here (a rotated or deleted file read to its end). */
  flush(): SplitLine[] {
    if (this.read === this.start) {
      return [];
    }
    const line = this.complete(EMPTY, this.read);
    return line === undefined ? [] : [line];
  }

  private hold(bytes: Buffer): void {
    if (this.skipping) {
      return;
    }
    if (this.carry.length + bytes.length > this.maxLineBytes) {
      this.skipping = true;
      this.carry = EMPTY;
      return;
    }
    // Copied so the carry does not pin the whole read buffer.
    this.carry = Buffer.concat([this.carry, bytes]);
  }

  private complete(tail: Buffer, endOffset: number): SplitLine | undefined {
    const offset = this.start;
    const lineNumber = this.lineNumber;
    const oversized = this.skipping || this.carry.length + tail.length > this.maxLineBytes;
    const bytes = oversized
      ? EMPTY
      : this.carry.length === 0
        ? tail
        : Buffer.concat([this.carry, tail]);
    this.carry = EMPTY;
    this.skipping = false;
    this.start = endOffset;
    this.lineNumber = lineNumber === undefined ? undefined : lineNumber + 1;

    const numbered = lineNumber === undefined ? {} : { lineNumber };
    if (oversized) {
      return { offset, endOffset, ...numbered, text: '', oversized: true };
    }
    const text = decodeLine(bytes, offset === 0);
    return text.trim() === '' ? undefined : { offset, endOffset, ...numbered, text };
  }
}

function decodeLine(bytes: Buffer, atFileStart: boolean): string {
  const content = withoutBom(bytes, atFileStart);
  const end = content[content.length - 1] === CARRIAGE_RETURN ? content.length - 1 : content.length;
  return content.toString('utf8', 0, end);
}

/** Removes a UTF-8 byte order mark, which editors on Windows put at the start of a file. */
export function withoutBom(bytes: Buffer, atFileStart: boolean): Buffer {
  return atFileStart && bytes.subarray(0, BOM.length).equals(BOM)
    ? bytes.subarray(BOM.length)
    : bytes;
}
