/**
 * Small fixed-size sketches that keep per-agent state bounded whatever the
 * agent does: a 32-bit string hash, a linear-counting bitmap for distinct
 * counts and a Bloom filter for "seen before".
 */

/** FNV-1a, 32 bits, over UTF-16 code units. Deterministic across runs and machines. */
export function hash32(text: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  // Final avalanche (murmur3 fmix32) so nearby strings spread over all bits.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Bits of a distinct-count bitmap: exact in practice up to a few dozen, within ~5% to ~500. */
export const DISTINCT_BITS = 256;
export const DISTINCT_WORDS = DISTINCT_BITS / 32;

/** Sets the bit of `h` in the bitmap at `words[offset .. offset + DISTINCT_WORDS)`; true when it was new. */
export function distinctAdd(words: Uint32Array, offset: number, h: number): boolean {
  const bit = h % DISTINCT_BITS;
  const index = offset + (bit >>> 5);
  const mask = 1 << (bit & 31);
  const before = words[index]!;
  if ((before & mask) !== 0) {
    return false;
  }
  words[index] = before | mask;
  return true;
}

/** Linear-counting estimate of the distinct values added to the bitmap. */
export function distinctEstimate(words: Uint32Array, offset: number): number {
  let set = 0;
  for (let i = 0; i < DISTINCT_WORDS; i++) {
    set += popcount(words[offset + i]!);
  }
  if (set === 0) {
    return 0;
  }
  const zeros = DISTINCT_BITS - set;
  if (zeros === 0) {
    return DISTINCT_BITS * Math.log(DISTINCT_BITS);
  }
  const estimate = -DISTINCT_BITS * Math.log(zeros / DISTINCT_BITS);
  // Small counts are exact unless two values collided; round so they stay integers.
  return Math.round(estimate);
}

export function popcount(x: number): number {
  let v = x >>> 0;
  v = v - ((v >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) & 0xff;
}

/** Bloom filter bits per agent for first-use detection (k = 3; ~2% false positives at 100 items). */
export const BLOOM_BITS = 1024;
export const BLOOM_WORDS = BLOOM_BITS / 32;

/** Adds `text` to the filter; true when it was (probably) not there before. */
export function bloomAdd(words: Uint32Array, offset: number, text: string): boolean {
  const h1 = hash32(text);
  const h2 = hash32(text, 0x9747b28c) | 1;
  let added = false;
  for (let k = 0; k < 3; k++) {
    const bit = (h1 + Math.imul(k, h2)) >>> 0;
    const b = bit % BLOOM_BITS;
    const index = offset + (b >>> 5);
    const mask = 1 << (b & 31);
    if ((words[index]! & mask) === 0) {
      words[index] = words[index]! | mask;
      added = true;
    }
  }
  return added;
}
