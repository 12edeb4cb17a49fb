// Reading V8 CPU profiles (`node --cpu-prof`) of the services the pipeline
// benchmarks start: how much of a span was idle (waiting on I/O), GC, and
// which functions, files and packages took the rest.
import { readFileSync } from 'node:fs';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: {
    readonly functionName: string;
    readonly url: string;
    readonly lineNumber: number;
  };
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface ProfileSummary {
  readonly file: string;
  readonly within: string | undefined;
  readonly sampledSeconds: number;
  /** Shares (0..1) of the sampled span. */
  readonly idle: number;
  readonly gc: number;
  readonly busy: number;
  readonly functions: readonly { readonly name: string; readonly share: number }[];
  readonly packages: readonly { readonly name: string; readonly share: number }[];
  /** Share of samples with the function on the stack (synchronous work only). */
  readonly inclusive: Readonly<Record<string, number>>;
}

function where(url: string): string {
  const path = url.replace(/^file:\/\//, '').replace(/^.*\/node_modules\//, 'npm:');
  return path === '' ? '(native)' : path.replace(/^.*\/(apps|libs|bench)\//, '$1/');
}

function packageOf(file: string): string {
  if (file.startsWith('npm:')) {
    return file
      .split('/')
      .slice(0, file.startsWith('npm:@') ? 2 : 1)
      .join('/');
  }
  return file.startsWith('node:') ? 'node: (core)' : file;
}

/**
 * Summarizes a profile. With `within`, only the span between the first and the
 * last sample under that function counts (e.g. onBatch: while the service was
 * consuming, without start-up and shutdown).
 */
export function summarizeProfile(
  file: string,
  options: {
    readonly within?: string;
    readonly inclusive?: readonly string[];
    readonly top?: number;
  } = {},
): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) {
    for (const c of n.children ?? []) {
      parent.set(c, n.id);
    }
  }
  const onStack = (name: string) => {
    const memo = new Map<number, boolean>();
    const has = (id: number): boolean => {
      let known = memo.get(id);
      if (known === undefined) {
        const p = parent.get(id);
        known = byId.get(id)!.callFrame.functionName === name || (p !== undefined && has(p));
        memo.set(id, known);
      }
      return known;
    };
    return has;
  };
  let first = 0;
  let last = profile.samples.length - 1;
  if (options.within !== undefined) {
    const under = onStack(options.within);
    first = profile.samples.findIndex((id) => under(id));
    last = profile.samples.findLastIndex((id) => under(id));
    if (first < 0) {
      throw new Error(`${file}: no sample under ${options.within}`);
    }
  }
  const self = new Map<number, number>();
  for (let i = first; i <= last; i++) {
    const id = profile.samples[i]!;
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  let total = 0;
  let idle = 0;
  let gc = 0;
  const fns = new Map<string, number>();
  const pkgs = new Map<string, number>();
  for (const [id, us] of self) {
    total += us;
    const { callFrame } = byId.get(id)!;
    const name = callFrame.functionName || '(anonymous)';
    if (name === '(idle)') {
      idle += us;
      continue;
    }
    if (name === '(garbage collector)') {
      gc += us;
    }
    const file = where(callFrame.url);
    const key = `${name} ${file}:${callFrame.lineNumber + 1}`;
    fns.set(key, (fns.get(key) ?? 0) + us);
    pkgs.set(packageOf(file), (pkgs.get(packageOf(file)) ?? 0) + us);
  }
  const share = (us: number) => (total > 0 ? us / total : 0);
  const top = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, options.top ?? 25)
      .map(([name, us]) => ({ name, share: share(us) }));
  const inclusive: Record<string, number> = {};
  for (const name of options.inclusive ?? []) {
    const has = onStack(name);
    let us = 0;
    for (const [id, t] of self) {
      if (has(id)) {
        us += t;
      }
    }
    inclusive[name] = share(us);
  }
  return {
    file,
    within: options.within,
    sampledSeconds: total / 1e6,
    idle: share(idle),
    gc: share(gc),
    busy: share(total - idle),
    functions: top(fns),
    packages: top(pkgs),
    inclusive,
  };
}
