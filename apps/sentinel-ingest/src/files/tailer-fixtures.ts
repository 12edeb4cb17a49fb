import { mkdtemp, readdir, readlink, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileTailer } from './file-tailer';
import {
  type FilePosition,
  type LineSink,
  type PositionStore,
  type TailedLine,
  type TailerClock,
  type TailerOptions,
} from './file-tailer.types';

/** In-memory PositionStore for unit tests; `failing` makes every call reject. */
export class MemoryPositionStore implements PositionStore {
  readonly positions = new Map<string, FilePosition>();
  readonly removed: string[] = [];
  saves = 0;
  failing = false;

  load(): Promise<FilePosition[]> {
    return this.failing
      ? Promise.reject(new Error('database down'))
      : Promise.resolve([...this.positions.values()]);
  }

  save(positions: readonly FilePosition[]): Promise<void> {
    if (this.failing) {
      return Promise.reject(new Error('database down'));
    }
    this.saves += 1;
    for (const position of positions) {
      this.positions.set(position.path, { ...position });
    }
    return Promise.resolve();
  }

  remove(paths: readonly string[]): Promise<void> {
    if (this.failing) {
      return Promise.reject(new Error('database down'));
    }
    for (const path of paths) {
      this.positions.delete(path);
      this.removed.push(path);
    }
    return Promise.resolve();
  }
}

/** In-memory LineSink: keeps what it accepted; `refuse` decides which batches reject. */
export class MemorySink implements LineSink {
  readonly lines: TailedLine[] = [];
  refuse: (lines: readonly TailedLine[]) => boolean = () => false;
  private gate: { reached: () => void; opened: Promise<void> } | undefined;

  async deliver(lines: readonly TailedLine[]): Promise<void> {
    const gate = this.gate;
    if (gate !== undefined) {
      this.gate = undefined;
      gate.reached();
      await gate.opened;
    }
    if (this.refuse(lines)) {
      throw new Error('broker unavailable');
    }
    this.lines.push(...lines);
  }

  /** Holds the next delivery until `release()`; `reached` resolves when it has started. */
  pause(): { reached: Promise<void>; release: () => void } {
    let release: () => void = () => undefined;
    let reached: () => void = () => undefined;
    const opened = new Promise<void>((resolve) => (release = resolve));
    const started = new Promise<void>((resolve) => (reached = resolve));
    this.gate = { reached, opened };
    return { reached: started, release };
  }

  texts(path?: string): string[] {
    return this.lines.filter((l) => path === undefined || l.path === path).map((l) => l.text);
  }
}

export class ManualClock implements TailerClock {
  private current = 1_700_000_000_000;

  now(): number {
    return this.current;
  }

  advance(ms: number): void {
    this.current += ms;
  }
}

export const POLL_MS = 1000;

export interface TailerHarness {
  readonly sut: FileTailer;
  readonly store: MemoryPositionStore;
  readonly sink: MemorySink;
  readonly clock: ManualClock;
}

export function buildTailer(
  options: Partial<TailerOptions> & Pick<TailerOptions, 'patterns'>,
  deps: Partial<Omit<TailerHarness, 'sut'>> = {},
): TailerHarness {
  const store = deps.store ?? new MemoryPositionStore();
  const sink = deps.sink ?? new MemorySink();
  const clock = deps.clock ?? new ManualClock();
  const sut = new FileTailer(
    {
      pollIntervalMs: POLL_MS,
      maxBytesPerRead: 1024 * 1024,
      maxLineBytes: 64 * 1024,
      startAt: 'beginning',
      clock,
      ...options,
    },
    store,
    sink,
  );
  return { sut, store, sink, clock };
}

export async function makeTempDir(): Promise<string> {
  return realpath(await mkdtemp(join(tmpdir(), 'ward-tailer-')));
}

export async function removeTempDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/** Files under `dir` this process holds open (Linux only; elsewhere undefined). */
export async function openFilesUnder(dir: string): Promise<string[] | undefined> {
  if (process.platform !== 'linux') {
    return undefined;
  }
  const fds = await readdir('/proc/self/fd');
  const targets = await Promise.all(
    fds.map((fd) => readlink(join('/proc/self/fd', fd)).catch(() => '')),
  );
  return targets.filter((t) => t.startsWith(`${dir}/`));
}
