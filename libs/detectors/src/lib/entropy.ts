/**
 * Shannon entropy in bits per character of a string (0 for empty input).
 * High values in tool parameters point at encoded or encrypted payloads.
 */
export function shannonEntropy(text: string): number {
  const length = text.length;
  if (length === 0) {
    return 0;
  }
  const counts = new Map<number, number>();
  for (let i = 0; i < length; i++) {
    const code = text.charCodeAt(i);
    counts.set(code, (counts.get(code) ?? 0) + 1);
  }
  let entropy = 0;
  for (const count of counts.values()) {
    const p = count / length;
    entropy -= p * Math.log2(p);
  }
  return entropy;
}
