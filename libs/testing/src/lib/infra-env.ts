import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface InfraEnv {
  readonly KAFKA_BROKERS: string;
  readonly DATABASE_URL: string;
  readonly REDIS_URL: string;
}

/**
 * Where the real infrastructure is: explicit environment variables win, then
 * what `deploy/local/infra.sh up` wrote to $WARD_HOME/env, then its defaults.
 */
export function infraEnv(source: NodeJS.ProcessEnv = process.env): InfraEnv {
  const home = source.WARD_HOME ?? join(source.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'ward');
  const file = join(home, 'env');
  const fromFile: Record<string, string> = {};
  if (existsSync(file)) {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const match = /^([A-Z_]+)=(.*)$/.exec(line.trim());
      if (match) {
        fromFile[match[1]!] = match[2]!.replace(/^['"]|['"]$/g, '');
      }
    }
  }
  const pick = (name: keyof InfraEnv, fallback: string) =>
    source[name] ?? fromFile[name] ?? fallback;
  return {
    KAFKA_BROKERS: pick('KAFKA_BROKERS', '127.0.0.1:9092'),
    DATABASE_URL: pick('DATABASE_URL', 'postgres://ward:ward@127.0.0.1:5432/ward'),
    REDIS_URL: pick('REDIS_URL', 'redis://127.0.0.1:6379'),
  };
}
