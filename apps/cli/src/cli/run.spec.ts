import { createServer } from 'node:net';
import { PassThrough } from 'node:stream';
import { runCli } from './run';
import { colorWanted } from './style';

function io(argv: string[]) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: string[] = [];
  const err: string[] = [];
  stdout.on('data', (c: Buffer) => out.push(c.toString()));
  stderr.on('data', (c: Buffer) => err.push(c.toString()));
  return {
    io: {
      argv,
      env: {},
      stdout,
      stderr,
      stdin: new PassThrough(),
      signal: new AbortController().signal,
    },
    out: () => out.join(''),
    err: () => err.join(''),
  };
}

describe('ward', () => {
  it('exits 0 with help, 2 with no command', async () => {
    const help = io(['--help']);
    expect(await runCli(help.io)).toBe(0);
    expect(help.out()).toContain('Usage: ward <command>');
    const none = io([]);
    expect(await runCli(none.io)).toBe(2);
    const cmd = io(['help', 'policy', 'approve']);
    expect(await runCli(cmd.io)).toBe(0);
    expect(cmd.out()).toContain('Usage: ward policy approve <id> [options]');
  });

  it('exits 2 on a usage error and points at the help', async () => {
    const unknown = io(['frobnicate']);
    expect(await runCli(unknown.io)).toBe(2);
    expect(unknown.err()).toBe('ward: unknown command "frobnicate"\nsee: ward --help\n');
    const flag = io(['agents', '--bogus']);
    expect(await runCli(flag.io)).toBe(2);
    expect(flag.err()).toContain("ward: Unknown option '--bogus'");
    expect(flag.err()).toContain('see: ward agents --help');
    const reason = io(['approve', 'abc']);
    expect(await runCli(reason.io)).toBe(2);
    expect(reason.err()).toContain('--reason is required');
    const stream = io(['tail', 'logs']);
    expect(await runCli(stream.io)).toBe(2);
    expect(stream.err()).toContain(
      'unknown stream "logs": one of alerts, incidents, actions, policies',
    );
  });

  it('exits 1 when an operation fails, saying what to do', async () => {
    const closed = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    const url = `http://127.0.0.1:${closed}`;
    const run = io(['agents', '--monitor-url', url, '--token', 't', '--tenant', 'x']);
    expect(await runCli(run.io)).toBe(1);
    expect(run.err()).toContain(`✗ behavioral-monitor at ${url} refused the connection`);
    expect(run.err()).toContain('npm start');
  });

  it('lists the demo scenarios', async () => {
    const list = io(['demo']);
    expect(await runCli(list.io)).toBe(0);
    expect(list.out()).toContain('runaway');
    expect(list.out()).toContain('lateral-movement');
  });

  it('colors only a terminal, never with NO_COLOR, unless told', () => {
    expect(colorWanted({ isTTY: true }, {})).toBe(true);
    expect(colorWanted({ isTTY: false }, {})).toBe(false);
    expect(colorWanted({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(colorWanted({ isTTY: false }, { FORCE_COLOR: '1' })).toBe(true);
    expect(colorWanted({ isTTY: true }, {}, false)).toBe(false);
  });
});
