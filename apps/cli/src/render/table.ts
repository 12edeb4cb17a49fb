import { padEnd, type Style, visibleLength } from '../cli/style';

export interface Column<T> {
  readonly header: string;
  readonly value: (row: T) => string;
  /** Right-align (numbers). */
  readonly right?: boolean;
  /** This column is cut to fit the width (the last, free-text one). */
  readonly flexible?: boolean;
}

/**
 * A plain table: bold headers, columns two spaces apart, the flexible column
 * cut with … so every line fits `width`.
 */
export function renderTable<T>(
  rows: readonly T[],
  columns: readonly Column<T>[],
  style: Style,
  width = 120,
): string {
  const cells = rows.map((r) => columns.map((c) => c.value(r)));
  const widths = columns.map((c, i) =>
    Math.max(c.header.length, ...cells.map((row) => visibleLength(row[i]!))),
  );
  const flex = columns.findIndex((c) => c.flexible === true);
  if (flex >= 0) {
    const others = widths.reduce((n, w, i) => (i === flex ? n : n + w + 2), 0);
    widths[flex] = Math.max(columns[flex]!.header.length, Math.min(widths[flex]!, width - others));
  }
  const line = (values: readonly string[], header: boolean) =>
    values
      .map((v, i) => {
        const w = widths[i]!;
        const cut = visibleLength(v) > w ? truncate(v, w) : v;
        const text = columns[i]!.right
          ? ' '.repeat(Math.max(0, w - visibleLength(cut))) + cut
          : i === values.length - 1
            ? cut
            : padEnd(cut, w);
        return header ? style.bold(text) : text;
      })
      .join('  ')
      .trimEnd();
  return (
    [
      line(
        columns.map((c) => c.header),
        true,
      ),
      ...cells.map((r) => line(r, false)),
    ].join('\n') + '\n'
  );
}

/** Cuts plain text to `width` with an ellipsis (styled text is cut without its escapes). */
export function truncate(text: string, width: number): string {
  // eslint-disable-next-line no-control-regex
  const plain = text.replace(/\u001b\[[0-9;]*m/g, '');
  return plain.length <= width ? plain : `${plain.slice(0, Math.max(0, width - 1))}…`;
}
