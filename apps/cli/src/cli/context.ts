import { type OptionValues } from './args';
import { type CliConfig } from './config';
import { type Style } from './style';

export interface Output {
  readonly style: Style;
  readonly isTTY: boolean;
  /** Terminal width, or 100 when not a terminal. */
  readonly columns: number;
  write(text: string): void;
  line(text?: string): void;
}

export interface Context {
  readonly values: OptionValues;
  readonly positionals: readonly string[];
  readonly json: boolean;
  readonly out: Output;
  readonly err: Output;
  readonly stdin: NodeJS.ReadableStream & { readonly isTTY?: boolean };
  /** Aborted on Ctrl-C: long-running commands stop cleanly. */
  readonly signal: AbortSignal;
  config(): CliConfig;
  /** Asks a yes/no question on the terminal; undefined when there is none to ask on. */
  confirm(question: string, defaultYes: boolean): Promise<boolean | undefined>;
}

/** What a command returns: its exit code (0 when void). */
export type CommandResult = number | void;
export type CommandRun = (ctx: Context) => Promise<CommandResult>;

export function makeOutput(
  stream: NodeJS.WritableStream & { readonly isTTY?: boolean; readonly columns?: number },
  style: Style,
): Output {
  return {
    style,
    isTTY: stream.isTTY === true,
    columns: stream.columns ?? 100,
    write: (text) => {
      stream.write(text);
    },
    line: (text = '') => {
      stream.write(`${text}\n`);
    },
  };
}
