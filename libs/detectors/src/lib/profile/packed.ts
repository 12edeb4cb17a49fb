/**
 * Word-level helpers of the packed profile (see `AgentProfile` in state.ts):
 * doubles kept as two 32-bit words, and event ids kept as Latin-1 bytes.
 */

// A profile holds one Uint32Array (one view object per agent instead of two);
// its doubles go through this scratch pair, which copies the 8 bytes verbatim.
const f64 = new Float64Array(1);
const f64Words = new Uint32Array(f64.buffer);

export function getF64(words: Uint32Array, at: number): number {
  f64Words[0] = words[at]!;
  f64Words[1] = words[at + 1]!;
  return f64[0]!;
}

export function setF64(words: Uint32Array, at: number, value: number): void {
  f64[0] = value;
  words[at] = f64Words[0]!;
  words[at + 1] = f64Words[1]!;
}

/** Longest id kept packed; longer ones (and ids with characters above U+00FF) are kept as strings. */
export const MAX_PACKED_ID = 254;
/** First byte of an entry holding an id kept as a string instead. */
export const UNPACKED_ID = 0xff;

/** Words an id of `length` characters takes packed: a length byte, then one byte per character. */
export function idWords(length: number): number {
  return (length + 4) >> 2;
}

export function isLatin1(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) > 0xff) {
      return false;
    }
  }
  return true;
}

/**
 * Writes `id` into the entry of `width` words at `at` (length byte, then the
 * characters, zeros after). False, with the entry marked as unpacked, when a
 * character does not fit a byte. The caller checks the length fits.
 */
export function writeId(words: Uint32Array, at: number, width: number, id: string): boolean {
  const n = id.length;
  // Every character is or-ed into `all`: one check at the end instead of one per character.
  let all = 0;
  let i = 0;
  let w = at;
  let word = n;
  for (; i < 3 && i < n; i++) {
    const c = id.charCodeAt(i);
    all |= c;
    word |= c << (8 * (i + 1));
  }
  words[w++] = word;
  for (; i + 3 < n; i += 4) {
    const c0 = id.charCodeAt(i);
    const c1 = id.charCodeAt(i + 1);
    const c2 = id.charCodeAt(i + 2);
    const c3 = id.charCodeAt(i + 3);
    all |= c0 | c1 | c2 | c3;
    words[w++] = c0 | (c1 << 8) | (c2 << 16) | (c3 << 24);
  }
  if (i < n) {
    word = 0;
    for (let shift = 0; i < n; i++, shift += 8) {
      const c = id.charCodeAt(i);
      all |= c;
      word |= c << shift;
    }
    words[w++] = word;
  }
  if (all > 0xff) {
    words.fill(0, at, at + width);
    words[at] = UNPACKED_ID;
    return false;
  }
  if (w < at + width) {
    words.fill(0, w, at + width);
  }
  return true;
}

/** The id packed at `at`, or undefined when the entry is marked as unpacked. */
export function readId(words: Uint32Array, at: number): string | undefined {
  const length = words[at]! & 0xff;
  if (length === UNPACKED_ID) {
    return undefined;
  }
  const codes = new Array<number>(length);
  for (let i = 0; i < length; i++) {
    const k = i + 1;
    codes[i] = (words[at + (k >> 2)]! >>> ((k & 3) * 8)) & 0xff;
  }
  return String.fromCharCode(...codes);
}
