/** Limits that keep a scan linear and bounded whatever the input. */
export const MAX_DEPTH = 32;
export const MAX_SCANNED_CHARS = 256 * 1024;
export const MAX_FINDINGS = 100;

export interface StringVisit {
  readonly path: string;
  readonly key: string | undefined;
  readonly text: string;
}

const escapePointer = (segment: string) => segment.replace(/~/g, '~0').replace(/\//g, '~1');

/**
 * Every string in a JSON value with its JSON pointer and the key that holds
 * it, depth-first, stopping at the depth and character budgets.
 */
export function visitStrings(
  value: unknown,
  root: string,
  visit: (v: StringVisit) => boolean | void,
): void {
  let budget = MAX_SCANNED_CHARS;
  const walk = (node: unknown, path: string, key: string | undefined, depth: number): boolean => {
    if (budget <= 0) {
      return false;
    }
    if (depth > MAX_DEPTH) {
      // Skip what is too deep, but keep scanning its siblings: nesting one
      // decoy deeply must not hide the rest of the value from the scan.
      return true;
    }
    if (typeof node === 'string') {
      const text = node.length > budget ? node.slice(0, budget) : node;
      budget -= text.length;
      return visit({ path, key, text }) !== false;
    }
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        if (!walk(node[i], `${path}/${i}`, key, depth + 1)) {
          return false;
        }
      }
      return true;
    }
    if (node !== null && typeof node === 'object') {
      for (const k of Object.keys(node)) {
        if (
          !walk((node as Record<string, unknown>)[k], `${path}/${escapePointer(k)}`, k, depth + 1)
        ) {
          return false;
        }
      }
    }
    return true;
  };
  walk(value, root, undefined, 0);
}
