import { findCommand, intOption, parseCommand, type CommandSpec } from './args';
import { COMMANDS } from './commands';
import { UsageError } from './errors';
import { commandHelp, mainHelp } from './help';
import { makeStyle } from './style';

const plain = makeStyle(false);
const spec = (name: string): CommandSpec => COMMANDS.find((c) => c.name === name)!;

describe('command line', () => {
  it('finds one- and two-word commands', () => {
    expect(findCommand(COMMANDS, ['policy', 'approve', 'abc'])).toMatchObject({
      spec: { name: 'policy approve' },
      rest: ['abc'],
    });
    expect(findCommand(COMMANDS, ['tail', 'alerts'])).toMatchObject({
      spec: { name: 'tail' },
      rest: ['alerts'],
    });
    expect(findCommand(COMMANDS, ['nope'])).toBeUndefined();
  });

  it('parses the flags of the command, its groups and the global ones', () => {
    const sut = parseCommand(spec('tail'), ['alerts', '--count', '3', '-t', 'acme', '--json']);
    expect(sut.positionals).toEqual(['alerts']);
    expect(sut.values).toMatchObject({ count: '3', tenant: 'acme', json: true });
  });

  it('refuses unknown flags, missing and extra arguments as usage errors', () => {
    expect(() => parseCommand(spec('tail'), ['alerts', '--speed', '2'])).toThrow(UsageError);
    expect(() => parseCommand(spec('tail'), [])).toThrow(/missing <stream>/);
    expect(() => parseCommand(spec('agents'), ['extra'])).toThrow(/unexpected argument "extra"/);
  });

  it('lets --help through without the required arguments', () => {
    expect(parseCommand(spec('incident'), ['--help']).values['help']).toBe(true);
  });

  it('checks whole numbers and their range', () => {
    expect(intOption({ limit: '7' }, 'limit', { min: 1, max: 10 })).toBe(7);
    expect(intOption({}, 'limit', { min: 1, max: 10 }, 5)).toBe(5);
    expect(() => intOption({ limit: '0' }, 'limit', { min: 1, max: 10 })).toThrow(
      '--limit must be a whole number from 1 to 10, got "0"',
    );
    expect(() => intOption({ limit: '2.5' }, 'limit', { min: 1, max: 10 })).toThrow(UsageError);
  });

  it('gives every command a help text with its usage, options and an example', () => {
    for (const c of COMMANDS) {
      const help = commandHelp(c, plain);
      expect(help).toContain(`Usage: ward ${c.name}`);
      expect(help).toContain('--help');
      expect(c.examples.length).toBeGreaterThan(0);
    }
    const main = mainHelp(COMMANDS, plain);
    for (const c of COMMANDS) {
      expect(main).toContain(c.name);
    }
    expect(main).toContain('Exit codes: 0 ok');
  });

  it('prints no escape codes without color', () => {
    expect(commandHelp(spec('demo'), plain)).not.toContain('\u001b[');
    expect(commandHelp(spec('demo'), makeStyle(true))).toContain('\u001b[1m');
  });
});
