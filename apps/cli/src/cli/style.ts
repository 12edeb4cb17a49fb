/**
 * Terminal styling: ANSI colors only when the stream is a terminal and
 * NO_COLOR is not set (https://no-color.org), or when forced on or off.
 */
export interface Style {
  readonly enabled: boolean;
  bold(text: string): string;
  dim(text: string): string;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  blue(text: string): string;
  magenta(text: string): string;
  cyan(text: string): string;
  /** Bold red for critical, red for high, yellow for medium, dim for low. */
  severity(severity: string, text?: string): string;
}

export function colorWanted(
  stream: { readonly isTTY?: boolean },
  env: Readonly<Record<string, string | undefined>>,
  flag?: boolean,
): boolean {
  if (flag !== undefined) {
    return flag;
  }
  if (env['NO_COLOR'] !== undefined && env['NO_COLOR'] !== '') {
    return false;
  }
  if (env['FORCE_COLOR'] !== undefined && env['FORCE_COLOR'] !== '0') {
    return true;
  }
  return stream.isTTY === true;
}

export function makeStyle(enabled: boolean): Style {
  const wrap = (open: string, close: string) => (text: string) =>
    enabled ? `\u001b[${open}m${text}\u001b[${close}m` : text;
  const bold = wrap('1', '22');
  const red = wrap('31', '39');
  const yellow = wrap('33', '39');
  const dim = wrap('2', '22');
  return {
    enabled,
    bold,
    dim,
    red,
    green: wrap('32', '39'),
    yellow,
    blue: wrap('34', '39'),
    magenta: wrap('35', '39'),
    cyan: wrap('36', '39'),
    severity(severity, text = severity.toUpperCase()) {
      switch (severity) {
        case 'critical':
          return bold(red(text));
        case 'high':
          return red(text);
        case 'medium':
          return yellow(text);
        default:
          return dim(text);
      }
    },
  };
}

/** Visible width of a string: ANSI escapes take no room. */
export function visibleLength(text: string): number {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[[0-9;]*m/g, '').length;
}

export function padEnd(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - visibleLength(text)));
}
