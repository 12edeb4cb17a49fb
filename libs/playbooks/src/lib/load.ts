import { type Playbook, PlaybookContract } from '@ward/contracts';
import { isNode, LineCounter, parseDocument, type Document } from 'yaml';
import {
  conditionPaths,
  ExpressionError,
  parseCondition,
  references,
  parsePath,
} from './expression';

/** A problem in a playbook file, where it is. */
export interface PlaybookProblem {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** JSON pointer of the offending field, `/` for the document. */
  readonly path: string;
  readonly message: string;
}

export type PlaybookParse =
  | { readonly ok: true; readonly playbook: Playbook }
  | { readonly ok: false; readonly problems: readonly PlaybookProblem[] };

export const MAX_PLAYBOOK_BYTES = 256 * 1024;

/** The roots a `${...}` reference or a condition may start from. */
const ROOTS = new Set(['incident', 'steps', 'run', 'playbook']);

export function formatProblem(p: PlaybookProblem): string {
  return `${p.file}:${p.line}:${p.column}: ${p.path === '/' ? '' : `${p.path}: `}${p.message}`;
}

/** Milliseconds of a duration such as 500ms, 30s, 5m, 2h, 1d. */
export function durationMs(text: string): number {
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(text);
  if (!m) {
    throw new Error(`not a duration: ${text}`);
  }
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms'];
  return Number(m[1]) * unit;
}

/**
 * Parses and validates one playbook file: YAML syntax, the published JSON
 * Schema, then what a schema cannot say (unique step ids, known actions,
 * references only to the incident, the run and earlier steps, conditions that
 * parse, sane durations). Every problem names its line and column.
 */
export function parsePlaybook(
  text: string,
  file: string,
  knownActions: ReadonlySet<string>,
): PlaybookParse {
  if (Buffer.byteLength(text, 'utf8') > MAX_PLAYBOOK_BYTES) {
    return {
      ok: false,
      problems: [
        { file, line: 1, column: 1, path: '/', message: `larger than ${MAX_PLAYBOOK_BYTES} bytes` },
      ],
    };
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: true });
  const at = (offset: number | undefined) => {
    const pos = lines.linePos(offset ?? 0);
    return { line: pos.line, column: pos.col };
  };
  if (doc.errors.length > 0) {
    return {
      ok: false,
      problems: doc.errors.slice(0, 10).map((e) => ({
        file,
        ...at(e.pos[0]),
        path: '/',
        message: e.message.split('\n')[0]!,
      })),
    };
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    return {
      ok: false,
      problems: [{ file, line: 1, column: 1, path: '/', message: (error as Error).message }],
    };
  }
  const located = (path: string, message: string): PlaybookProblem => ({
    file,
    ...at(offsetOf(doc, path)),
    path,
    message,
  });
  const checked = PlaybookContract.validate(value);
  if (!checked.ok) {
    return { ok: false, problems: checked.issues.map((i) => located(i.path, i.message)) };
  }
  const playbook = checked.value;
  const problems: PlaybookProblem[] = [];
  const seen = new Set<string>();
  playbook.steps.forEach((step, index) => {
    const base = `/steps/${index}`;
    if (seen.has(step.id)) {
      problems.push(located(`${base}/id`, `step id ${step.id} is used twice`));
    }
    if (!knownActions.has(step.action)) {
      problems.push(
        located(
          `${base}/action`,
          `unknown action ${step.action} (known: ${[...knownActions].sort().join(', ')})`,
        ),
      );
    }
    const earlier = new Set(seen);
    const checkRef = (path: string, segments: readonly (string | number)[]) => {
      const [root, second] = segments;
      if (typeof root !== 'string' || !ROOTS.has(root)) {
        problems.push(
          located(path, `${String(root)} is not a reference root (use ${[...ROOTS].join(', ')})`),
        );
      } else if (root === 'steps' && (typeof second !== 'string' || !earlier.has(second))) {
        problems.push(located(path, `steps.${String(second)} is not an earlier step`));
      }
    };
    const walk = (v: unknown, path: string): void => {
      if (typeof v === 'string') {
        for (const ref of references(v)) {
          if (!/^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_-]*|\[\d+\])*$/.test(ref)) {
            problems.push(located(path, `\${${ref}} is not a reference`));
          } else {
            checkRef(path, parsePath(ref));
          }
        }
      } else if (Array.isArray(v)) {
        v.forEach((x, i) => walk(x, `${path}/${i}`));
      } else if (v !== null && typeof v === 'object') {
        for (const [k, x] of Object.entries(v)) {
          walk(x, `${path}/${k}`);
        }
      }
    };
    walk(step.with ?? {}, `${base}/with`);
    if (step.when !== undefined) {
      try {
        for (const segments of conditionPaths(parseCondition(step.when))) {
          checkRef(`${base}/when`, segments);
        }
      } catch (error) {
        if (!(error instanceof ExpressionError)) {
          throw error;
        }
        problems.push(located(`${base}/when`, `condition: ${error.message}`));
      }
    }
    if (step.retries?.backoff !== undefined && step.retries.maxBackoff !== undefined) {
      if (durationMs(step.retries.maxBackoff) < durationMs(step.retries.backoff)) {
        problems.push(located(`${base}/retries/maxBackoff`, 'maxBackoff is shorter than backoff'));
      }
    }
    seen.add(step.id);
  });
  return problems.length > 0 ? { ok: false, problems } : { ok: true, playbook };
}

/** Source offset of the node at a JSON pointer (its nearest existing ancestor). */
function offsetOf(doc: Document, pointer: string): number {
  const segments = pointer
    .split('/')
    .slice(1)
    .filter((s) => s !== '')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
  for (let n = segments.length; n >= 0; n--) {
    // A key of a map: point at the key (where an editor shows the property).
    if (n > 0) {
      const parent = n === 1 ? doc.contents : doc.getIn(segments.slice(0, n - 1), true);
      const key = segments[n - 1];
      if (isMapWithKey(parent, key)) {
        const pair = parent.items.find((p) => keyName(p.key) === key)!;
        if (isNode(pair.key) && pair.key.range) {
          return pair.key.range[0];
        }
      }
    }
    const node = n === 0 ? doc.contents : doc.getIn(segments.slice(0, n), true);
    if (isNode(node) && node.range) {
      return node.range[0];
    }
  }
  return 0;
}

function keyName(key: unknown): unknown {
  return isNode(key) && 'value' in key ? (key as { value: unknown }).value : key;
}

function isMapWithKey(
  node: unknown,
  key: unknown,
): node is { items: { key: unknown; value: unknown }[] } {
  return (
    node !== null &&
    typeof node === 'object' &&
    'items' in node &&
    Array.isArray(node.items) &&
    (node as { items: { key: unknown }[] }).items.some(
      (p) => p !== null && typeof p === 'object' && 'key' in p && keyName(p.key) === key,
    )
  );
}
