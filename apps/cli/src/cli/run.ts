import { createInterface } from 'node:readline';
import { findCommand, parseCommand, stringOption } from './args';
import { COMMANDS } from './commands';
import { type CliConfig, loadConfig } from './config';
import { type CommandRun, type Context, makeOutput } from './context';
import { CliError, EXIT, UsageError } from './errors';
import { commandHelp, mainHelp } from './help';
import { colorWanted, makeStyle } from './style';

/** Each command's module, loaded only when it runs (so `--help` stays fast). */
const HANDLERS: Record<string, () => Promise<CommandRun>> = {
  send: async () => (await import('../commands/send.command')).send,
  replay: async () => (await import('../commands/send.command')).replay,
  tail: async () => (await import('../commands/tail.command')).tail,
  agents: async () => (await import('../commands/agents.command')).agents,
  incidents: async () => (await import('../commands/incidents.command')).incidents,
  incident: async () => (await import('../commands/incidents.command')).incident,
  approvals: async () => (await import('../commands/approvals.command')).approvals,
  approve: async () => (await import('../commands/approvals.command')).approve,
  reject: async () => (await import('../commands/approvals.command')).reject,
  policies: async () => (await import('../commands/policies.command')).policies,
  'policy show': async () => (await import('../commands/policies.command')).showPolicy,
  'policy approve': async () => (await import('../commands/policies.command')).approvePolicy,
  'policy reject': async () => (await import('../commands/policies.command')).rejectPolicy,
  'policy retire': async () => (await import('../commands/policies.command')).retirePolicy,
  topics: async () => (await import('../commands/topics.command')).topics,
  doctor: async () => (await import('../commands/doctor.command')).doctor,
  demo: async () => (await import('../commands/demo.command')).demo,
};

export interface Io {
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: NodeJS.WritableStream & { readonly isTTY?: boolean; readonly columns?: number };
  readonly stderr: NodeJS.WritableStream & { readonly isTTY?: boolean; readonly columns?: number };
  readonly stdin: NodeJS.ReadableStream & { readonly isTTY?: boolean };
  readonly signal: AbortSignal;
}

/** Runs one `ward` command line and returns its exit code; never throws. */
export async function runCli(io: Io): Promise<number> {
  const colorFlag = io.argv.includes('--no-color')
    ? false
    : io.argv.includes('--color')
      ? true
      : undefined;
  const out = makeOutput(io.stdout, makeStyle(colorWanted(io.stdout, io.env, colorFlag)));
  const err = makeOutput(io.stderr, makeStyle(colorWanted(io.stderr, io.env, colorFlag)));
  const argv = [...io.argv];
  let commandName: string | undefined;
  try {
    if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h') {
      out.write(mainHelp(COMMANDS, out.style));
      return argv.length === 0 ? EXIT.usage : EXIT.ok;
    }
    if (argv[0] === '--version' || argv[0] === '-v') {
      out.line('ward 0.1.0');
      return EXIT.ok;
    }
    const found = findCommand(COMMANDS, argv);
    if (found === undefined) {
      throw new UsageError(`unknown command "${argv[0]}"`);
    }
    commandName = found.spec.name;
    const parsed = parseCommand(found.spec, found.rest);
    if (parsed.values['help'] === true) {
      out.write(commandHelp(found.spec, out.style));
      return EXIT.ok;
    }
    if (found.spec.name === 'help') {
      const target =
        parsed.positionals.length === 0 ? undefined : findCommand(COMMANDS, parsed.positionals);
      if (parsed.positionals.length > 0 && target === undefined) {
        throw new UsageError(`unknown command "${parsed.positionals.join(' ')}"`);
      }
      out.write(
        target === undefined ? mainHelp(COMMANDS, out.style) : commandHelp(target.spec, out.style),
      );
      return EXIT.ok;
    }
    let config: CliConfig | undefined;
    const ctx: Context = {
      values: parsed.values,
      positionals: parsed.positionals,
      json: parsed.values['json'] === true,
      out,
      err,
      stdin: io.stdin,
      signal: io.signal,
      config: () => {
        config ??= loadConfig(
          {
            ...Object.fromEntries(
              Object.entries(parsed.values).filter(([, v]) => typeof v === 'string'),
            ),
            ...(stringOption(parsed.values, 'config') !== undefined && {
              config: stringOption(parsed.values, 'config'),
            }),
          },
          io.env,
        );
        return config;
      },
      confirm: (question, defaultYes) => confirm(io, question, defaultYes),
    };
    const handler = await HANDLERS[found.spec.name]!();
    return (await handler(ctx)) ?? EXIT.ok;
  } catch (error) {
    if (error instanceof UsageError) {
      err.line(`${err.style.red('ward:')} ${error.message}`);
      const cmd = error.command ?? commandName;
      err.line(err.style.dim(cmd ? `see: ward ${cmd} --help` : 'see: ward --help'));
      return EXIT.usage;
    }
    if (error instanceof CliError) {
      err.line(`${err.style.red('✗')} ${error.message}`);
      if (error.hint !== undefined) {
        err.line(`  ${err.style.yellow('→')} ${error.hint}`);
      }
      return EXIT.failure;
    }
    err.line(`${err.style.red('ward:')} ${error instanceof Error ? error.message : String(error)}`);
    if (io.env['WARD_DEBUG'] && error instanceof Error && error.stack) {
      err.line(err.style.dim(error.stack));
    }
    return EXIT.failure;
  }
}

async function confirm(
  io: Io,
  question: string,
  defaultYes: boolean,
): Promise<boolean | undefined> {
  if (io.stdin.isTTY !== true || io.stderr.isTTY !== true) {
    return undefined;
  }
  const rl = createInterface({ input: io.stdin, output: io.stderr });
  try {
    const answer = await new Promise<string>((resolve) =>
      rl.question(`${question} ${defaultYes ? '[Y/n]' : '[y/N]'} `, resolve),
    );
    const a = answer.trim().toLowerCase();
    return a === '' ? defaultYes : a === 'y' || a === 'yes';
  } finally {
    rl.close();
  }
}
