// Scratch space reused by every call (the function is synchronous): a count
// per code unit below 256, which covers nearly every character of serialized
// parameters, and a Map for the rest.
const LOW_COUNTS = new Uint32Array(256);
const ORDER: number[] = [];

/**
 * Shannon entropy in bits per character of a string (0 for empty input).
 * High values in tool parameters point at encoded or encrypted payloads.
 * The terms are summed in the order each character first appears, so the
 * result is the same to the last bit whatever the counting uses.
 */
export function shannonEntropy(text: string): number {
  const length = text.length;
  if (length === 0) {
    return 0;
  }
  let high: Map<number, number> | undefined;
  ORDER.length = 0;
  for (let i = 0; i < length; i++) {
    const code = text.charCodeAt(i);
    if (code < 256) {
      const seen = LOW_COUNTS[code]!;
      if (seen === 0) {
        ORDER.push(code);
      }
      LOW_COUNTS[code] = seen + 1;
    } else {
      high ??= new Map();
      const seen = high.get(code);
      if (seen === undefined) {
        ORDER.push(code);
      }
      high.set(code, (seen ?? 0) + 1);
    }
  }
  let entropy = 0;
  for (const code of ORDER) {
    let count: number;
    if (code < 256) {
      count = LOW_COUNTS[code]!;
      LOW_COUNTS[code] = 0;
    } else {
      count = high!.get(code)!;
    }
    const p = count / length;
    entropy -= p * Math.log2(p);
  }
  return entropy;
}
