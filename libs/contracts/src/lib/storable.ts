/**
 * A copy of a record with every U+0000 (in strings and keys) replaced by
 * U+FFFD, or the record itself when it holds none. PostgreSQL text and jsonb
 * cannot hold NUL, and telemetry may carry it (an agent's tool name, a
 * resource, an indicator): records derived from telemetry and stored by the
 * services (alerts, and what is built from them) go through this where they
 * are made, so a hostile string can never make their insert fail and stall a
 * partition behind it.
 */
export function replaceNul<T>(record: T): T {
  const text = JSON.stringify(record);
  if (text === undefined || !text.includes('\\u0000')) {
    return record;
  }
  // `\u0000` escapes only: an escaped backslash followed by "u0000" is literal text.
  return JSON.parse(text.replace(/(?<!\\)((?:\\\\)*)\\u0000/g, '$1\\ufffd')) as T;
}
