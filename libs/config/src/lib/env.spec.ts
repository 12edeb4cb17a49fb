import { ConfigError, describeEnv, env, readEnv, redactUrl } from './env';

const spec = {
  PORT: env.int({ default: 3000, min: 1, max: 65535, description: 'port' }),
  RATIO: env.number({ default: 0.5, min: 0, max: 1, description: 'ratio' }),
  FLAG: env.bool({ default: false, description: 'flag' }),
  MODE: env.oneOf(['a', 'b'], { default: 'a', description: 'mode' }),
  HOSTS: env.list({ default: ['x:1'], itemPattern: /^[a-z]+:\d+$/, description: 'hosts' }),
  DB: env.url({
    default: 'postgres://u:p@h/db',
    protocols: ['postgres'],
    secret: true,
    description: 'db',
  }),
  NEEDED: env.string({ description: 'needed' }),
};

describe('readEnv', () => {
  it('applies defaults and converts types', () => {
    const sut = readEnv(spec, { NEEDED: 'yes', FLAG: 'on', HOSTS: 'a:1, b:2' });
    expect(sut).toEqual({
      PORT: 3000,
      RATIO: 0.5,
      FLAG: true,
      MODE: 'a',
      HOSTS: ['a:1', 'b:2'],
      DB: 'postgres://u:p@h/db',
      NEEDED: 'yes',
    });
  });

  it('reports every bad variable by name at once', () => {
    let error: unknown;
    try {
      readEnv(spec, {
        PORT: '70000',
        RATIO: 'x',
        FLAG: 'perhaps',
        MODE: 'c',
        HOSTS: 'nope',
        DB: 'mysql://h',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    for (const name of ['PORT', 'RATIO', 'FLAG', 'MODE', 'HOSTS', 'DB', 'NEEDED']) {
      expect(message).toContain(name);
    }
    expect((error as ConfigError).problems).toHaveLength(7);
  });

  it('never echoes a secret URL value', () => {
    expect(() => readEnv(spec, { NEEDED: 'x', DB: 'mysql://user:hunter2@h' })).toThrow(
      expect.objectContaining({
        message: expect.not.stringContaining('hunter2') as string,
      }) as Error,
    );
    expect(redactUrl('redis://:hunter2@h:6379')).not.toContain('hunter2');
  });

  it('describes variables as a markdown table with redacted defaults', () => {
    const table = describeEnv(spec);
    expect(table).toContain('| `PORT` | `3000` | port |');
    expect(table).toContain('| `NEEDED` | (required) | needed |');
    expect(table).not.toContain(':p@');
  });

  describe('secrets from mounted files', () => {
    const spec = {
      TOKEN: env.optionalString({ secret: true, description: 'a token' }),
      PLAIN: env.optionalString({ description: 'not a secret' }),
    };
    const files: Record<string, string> = { '/run/secrets/token': 's3cr3t-from-file\n' };
    const read = (path: string) => {
      const text = files[path];
      if (text === undefined) {
        throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
      }
      return text;
    };

    it('reads <NAME>_FILE for a secret, without its trailing newline', () => {
      expect(readEnv(spec, { TOKEN_FILE: '/run/secrets/token' }, read).TOKEN).toBe(
        's3cr3t-from-file',
      );
      expect(readEnv(spec, { PLAIN_FILE: '/run/secrets/token' }, read).PLAIN).toBeUndefined();
    });

    it('names the file variable when it cannot be read or clashes with the variable', () => {
      expect(() => readEnv(spec, { TOKEN_FILE: '/nope' }, read)).toThrow(
        /TOKEN_FILE: cannot read \/nope \(ENOENT\)/,
      );
      expect(() => readEnv(spec, { TOKEN_FILE: '/run/secrets/token', TOKEN: 'x' }, read)).toThrow(
        /TOKEN_FILE: set, but so is TOKEN/,
      );
    });
  });
});
