import { type CommandSpec, GLOBAL_OPTIONS, GROUP_OPTIONS, type OptionSpec } from './args';
import { type Style } from './style';

const GROUP_TITLES: Record<string, string> = {
  tenant: 'Tenant',
  http: 'Service APIs',
  ingest: 'Ingest',
  kafka: 'Kafka',
  infra: 'PostgreSQL and Redis',
};

function optionLines(options: Readonly<Record<string, OptionSpec>>): string[] {
  const rows = Object.entries(options).map(([name, o]) => {
    const flag = `${o.short !== undefined ? `-${o.short}, ` : '    '}--${name}${o.value !== undefined ? ` <${o.value}>` : ''}`;
    return [flag, o.description] as const;
  });
  const width = Math.max(...rows.map(([f]) => f.length));
  return rows.map(([f, d]) => `  ${f.padEnd(width)}  ${d}`);
}

export function commandHelp(spec: CommandSpec, style: Style): string {
  const args = spec.positionals.map((p) => (p.required ? `<${p.name}>` : `[${p.name}]`)).join(' ');
  const lines = [
    `${style.bold(`ward ${spec.name}`)}: ${spec.summary}`,
    '',
    `${style.bold('Usage:')} ward ${spec.name}${args ? ` ${args}` : ''} [options]`,
  ];
  if (spec.description !== undefined) {
    lines.push('', ...wrap(spec.description, 78));
  }
  if (spec.positionals.length > 0) {
    const width = Math.max(...spec.positionals.map((p) => p.name.length));
    lines.push(
      '',
      style.bold('Arguments:'),
      ...spec.positionals.map((p) => `  ${p.name.padEnd(width)}  ${p.description}`),
    );
  }
  if (Object.keys(spec.options).length > 0) {
    lines.push('', style.bold('Options:'), ...optionLines(spec.options));
  }
  for (const group of spec.uses) {
    lines.push('', style.bold(`${GROUP_TITLES[group]}:`), ...optionLines(GROUP_OPTIONS[group]!));
  }
  lines.push('', style.bold('Global:'), ...optionLines(GLOBAL_OPTIONS));
  if (spec.examples.length > 0) {
    lines.push('', style.bold('Examples:'), ...spec.examples.map((e) => `  ${e}`));
  }
  return `${lines.join('\n')}\n`;
}

export function mainHelp(commands: readonly CommandSpec[], style: Style): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return `${[
    `${style.bold('ward')}: the command line of Ward, the behavioral defense mesh for AI agents`,
    '',
    `${style.bold('Usage:')} ward <command> [arguments] [options]`,
    '',
    style.bold('Commands:'),
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    style.bold('Start here:'),
    '  npm start            # in one terminal: Kafka, PostgreSQL, Redis and the five services',
    '  ward doctor          # is everything up? says what to fix when not',
    '  ward demo            # the storylines; ward demo runaway plays one',
    '',
    'Settings come from flags, then the environment, then .ward/ (written by npm start),',
    'then the defaults; `ward <command> --help` lists the flags. Exit codes: 0 ok,',
    '1 the operation failed, 2 the command line was wrong. More: docs/CLI.md',
  ].join('\n')}\n`;
}

export function wrap(text: string, width: number, indent = ''): string[] {
  const out: string[] = [];
  for (const paragraph of text.split('\n')) {
    let line = '';
    for (const word of paragraph.split(/\s+/).filter((w) => w !== '')) {
      if (line !== '' && indent.length + line.length + 1 + word.length > width) {
        out.push(indent + line);
        line = word;
      } else {
        line = line === '' ? word : `${line} ${word}`;
      }
    }
    out.push(indent + line);
  }
  return out;
}
