/**
 * The small, safe language of `${...}` references and `when:` conditions:
 * dotted paths with indexes (`incident.agents[0]`, `steps.quarantine.output.id`),
 * string, number and boolean literals, comparisons (== != < <= > >=, with
 * severities ordered low < medium < high < critical), `in` (membership in a
 * list, or substring), `and`, `or`, `not` and parentheses. Nothing is
 * evaluated as code.
 */
export type Value = unknown;

export class ExpressionError extends Error {}

type Token =
  | { kind: 'path'; segments: (string | number)[] }
  | { kind: 'literal'; value: string | number | boolean | null }
  | { kind: 'op'; value: string }
  | { kind: 'paren'; value: '(' | ')' };

const SEVERITY_ORDER: Record<string, number> = { low: 0, medium: 1, high: 2, critical: 3 };

export function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '(' || c === ')') {
      tokens.push({ kind: 'paren', value: c });
      i++;
      continue;
    }
    if (c === '"' || c === "'") {
      let j = i + 1;
      let text = '';
      while (j < source.length && source[j] !== c) {
        if (source[j] === '\\' && j + 1 < source.length) {
          j++;
        }
        text += source[j];
        j++;
      }
      if (j >= source.length) {
        throw new ExpressionError(`unterminated string at ${i + 1}`);
      }
      tokens.push({ kind: 'literal', value: text });
      i = j + 1;
      continue;
    }
    const op = /^(==|!=|<=|>=|<|>)/.exec(source.slice(i));
    if (op) {
      tokens.push({ kind: 'op', value: op[1]! });
      i += op[1]!.length;
      continue;
    }
    const num = /^-?\d+(\.\d+)?/.exec(source.slice(i));
    if (num) {
      tokens.push({ kind: 'literal', value: Number(num[0]) });
      i += num[0].length;
      continue;
    }
    const word = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_-]*|\[\d+\])*/.exec(
      source.slice(i),
    );
    if (word) {
      const w = word[0];
      if (w === 'and' || w === 'or' || w === 'not' || w === 'in') {
        tokens.push({ kind: 'op', value: w });
      } else if (w === 'true' || w === 'false') {
        tokens.push({ kind: 'literal', value: w === 'true' });
      } else if (w === 'null') {
        tokens.push({ kind: 'literal', value: null });
      } else {
        tokens.push({ kind: 'path', segments: parsePath(w) });
      }
      i += w.length;
      continue;
    }
    throw new ExpressionError(`unexpected ${JSON.stringify(c)} at ${i + 1}`);
  }
  return tokens;
}

function parsePath(text: string): (string | number)[] {
  const out: (string | number)[] = [];
  for (const m of text.matchAll(/([A-Za-z_][A-Za-z0-9_-]*)|\[(\d+)\]/g)) {
    out.push(m[1] !== undefined ? m[1] : Number(m[2]));
  }
  return out;
}

/** Looks a dotted path up in the context; undefined when any step is missing. */
export function lookup(
  context: Readonly<Record<string, unknown>>,
  segments: readonly (string | number)[],
): Value {
  let current: unknown = context;
  for (const s of segments) {
    if (current === null || typeof current !== 'object') {
      return undefined;
    }
    if (typeof s === 'number') {
      current = Array.isArray(current) ? current[s] : undefined;
    } else if (Object.prototype.hasOwnProperty.call(current, s)) {
      current = (current as Record<string, unknown>)[s];
    } else {
      return undefined;
    }
  }
  return current;
}

type Node =
  | { kind: 'value'; token: Token & ({ kind: 'path' } | { kind: 'literal' }) }
  | { kind: 'not'; operand: Node }
  | { kind: 'binary'; op: string; left: Node; right: Node };

/** Parses a condition; throws ExpressionError naming what is wrong. */
export function parseCondition(source: string): Node {
  const tokens = tokenize(source);
  let pos = 0;
  const peek = () => tokens[pos];
  const isOp = (v: string) => {
    const t = peek();
    return t?.kind === 'op' && t.value === v;
  };
  const primary = (): Node => {
    const t = peek();
    if (t === undefined) {
      throw new ExpressionError('unexpected end of condition');
    }
    if (t.kind === 'paren' && t.value === '(') {
      pos++;
      const inner = or();
      const close = peek();
      if (close?.kind !== 'paren' || close.value !== ')') {
        throw new ExpressionError('missing )');
      }
      pos++;
      return inner;
    }
    if (t.kind === 'op' && t.value === 'not') {
      pos++;
      return { kind: 'not', operand: primary() };
    }
    if (t.kind === 'path' || t.kind === 'literal') {
      pos++;
      return { kind: 'value', token: t };
    }
    throw new ExpressionError(`unexpected ${t.value}`);
  };
  const comparison = (): Node => {
    const left = primary();
    const t = peek();
    if (t?.kind === 'op' && ['==', '!=', '<', '<=', '>', '>=', 'in'].includes(t.value)) {
      pos++;
      return { kind: 'binary', op: t.value, left, right: primary() };
    }
    return left;
  };
  const and = (): Node => {
    let left = comparison();
    while (isOp('and')) {
      pos++;
      left = { kind: 'binary', op: 'and', left, right: comparison() };
    }
    return left;
  };
  const or = (): Node => {
    let left = and();
    while (isOp('or')) {
      pos++;
      left = { kind: 'binary', op: 'or', left, right: and() };
    }
    return left;
  };
  const node = or();
  if (pos < tokens.length) {
    throw new ExpressionError(
      `unexpected ${JSON.stringify(source.slice(0, 200))} after a complete condition`,
    );
  }
  return node;
}

/** The paths a condition reads, to check references before a run. */
export function conditionPaths(node: Node): (string | number)[][] {
  if (node.kind === 'value') {
    return node.token.kind === 'path' ? [node.token.segments] : [];
  }
  if (node.kind === 'not') {
    return conditionPaths(node.operand);
  }
  return [...conditionPaths(node.left), ...conditionPaths(node.right)];
}

const rank = (v: unknown) => (typeof v === 'string' && v in SEVERITY_ORDER ? SEVERITY_ORDER[v] : v);

function compare(op: string, a: unknown, b: unknown): boolean {
  if (op === '==') {
    return a === b;
  }
  if (op === '!=') {
    return a !== b;
  }
  if (op === 'in') {
    if (Array.isArray(b)) {
      return b.includes(a);
    }
    return typeof a === 'string' && typeof b === 'string' && b.includes(a);
  }
  const x = rank(a);
  const y = rank(b);
  if (typeof x !== typeof y || (typeof x !== 'number' && typeof x !== 'string')) {
    return false;
  }
  const [p, q] = [x, y as number | string];
  return op === '<' ? p < q : op === '<=' ? p <= q : op === '>' ? p > q : p >= q;
}

export function evaluate(node: Node, context: Readonly<Record<string, unknown>>): unknown {
  switch (node.kind) {
    case 'value':
      return node.token.kind === 'literal'
        ? node.token.value
        : lookup(context, node.token.segments);
    case 'not':
      return !truthy(evaluate(node.operand, context));
    case 'binary':
      if (node.op === 'and') {
        return truthy(evaluate(node.left, context)) && truthy(evaluate(node.right, context));
      }
      if (node.op === 'or') {
        return truthy(evaluate(node.left, context)) || truthy(evaluate(node.right, context));
      }
      return compare(node.op, evaluate(node.left, context), evaluate(node.right, context));
  }
}

export function truthy(v: unknown): boolean {
  return !(
    v === undefined ||
    v === null ||
    v === false ||
    v === 0 ||
    v === '' ||
    (Array.isArray(v) && v.length === 0)
  );
}

const REFERENCE = /\$\$\{|\$\{([^}]*)\}/g;

/** The `${...}` references in a template string (not the `$${` escapes). */
export function references(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(REFERENCE)) {
    if (m[1] !== undefined) {
      out.push(m[1].trim());
    }
  }
  return out;
}

/**
 * Substitutes `${path}` references in parameters, recursively. A string that
 * is exactly one reference takes the referenced value as it is (a list stays a
 * list); references inside longer strings are rendered as text. `$${` writes a
 * literal `${`. A reference to nothing is an error naming it.
 */
export function substitute(value: unknown, context: Readonly<Record<string, unknown>>): unknown {
  if (typeof value === 'string') {
    const whole = /^\$\{([^}]*)\}$/.exec(value);
    if (whole) {
      return resolve(whole[1]!.trim(), context);
    }
    return value.replace(REFERENCE, (_match: string, ref: string | undefined) => {
      if (ref === undefined) {
        return '${';
      }
      const v = resolve(ref.trim(), context);
      return typeof v === 'string' ? v : JSON.stringify(v);
    });
  }
  if (Array.isArray(value)) {
    return value.map((v) => substitute(v, context));
  }
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, context)]));
  }
  return value;
}

function resolve(ref: string, context: Readonly<Record<string, unknown>>): unknown {
  if (!/^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_-]*|\[\d+\])*$/.test(ref)) {
    throw new ExpressionError(
      `\${${ref}} is not a reference (a dotted path such as incident.agents[0])`,
    );
  }
  const v = lookup(context, parsePath(ref));
  if (v === undefined) {
    throw new ExpressionError(`\${${ref}} refers to nothing`);
  }
  return v;
}

export { parsePath };
