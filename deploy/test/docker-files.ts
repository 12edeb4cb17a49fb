import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';

/**
 * Just enough of Docker's and Compose's file formats to check Ward's files
 * without a Docker engine: Dockerfile instructions and stages, .dockerignore
 * matching (moby/patternmatcher semantics), Compose variable interpolation.
 */

export const ROOT = join(__dirname, '../..');

export interface Instruction {
  readonly keyword: string;
  /** The text after the keyword, continuation lines joined. */
  readonly text: string;
  readonly line: number;
}

export interface Stage {
  readonly from: string;
  readonly name: string | undefined;
  readonly instructions: readonly Instruction[];
}

export interface Dockerfile {
  /** ARG instructions before the first FROM. */
  readonly globalArgs: readonly Instruction[];
  readonly stages: readonly Stage[];
}

export function parseDockerfile(source: string): Dockerfile {
  const instructions: Instruction[] = [];
  const lines = source.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const first = lines[i] ?? '';
    if (/^\s*(#.*)?$/.test(first)) {
      continue;
    }
    const start = i + 1;
    let text = first.trimEnd();
    while (text.endsWith('\\') && i + 1 < lines.length) {
      i++;
      const next = lines[i] ?? '';
      // Comment lines inside a continued instruction are dropped, as Docker does.
      if (/^\s*#/.test(next)) {
        continue;
      }
      text = `${text.slice(0, -1)} ${next.trim()}`;
    }
    const match = /^\s*([A-Za-z]+)\s+(.*)$/.exec(text);
    if (!match) {
      throw new Error(`Dockerfile line ${start}: cannot parse "${text}"`);
    }
    instructions.push({ keyword: match[1]!.toUpperCase(), text: match[2]!.trim(), line: start });
  }
  const globalArgs: Instruction[] = [];
  const stages: { from: string; name: string | undefined; instructions: Instruction[] }[] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') {
      const [from, as, name] = instruction.text.split(/\s+/);
      stages.push({
        from: from!,
        name: as?.toUpperCase() === 'AS' ? name : undefined,
        instructions: [],
      });
    } else if (stages.length === 0) {
      if (instruction.keyword !== 'ARG') {
        throw new Error(`Dockerfile line ${instruction.line}: ${instruction.keyword} before FROM`);
      }
      globalArgs.push(instruction);
    } else {
      stages[stages.length - 1]!.instructions.push(instruction);
    }
  }
  return { globalArgs, stages };
}

/** The arguments of an exec-form (JSON array) instruction such as CMD ["node", "x"]. */
export function execForm(text: string): string[] {
  const json = text.replace(/^(--\S+\s+)*(CMD\s+)?/, '');
  const parsed: unknown = JSON.parse(json);
  if (!Array.isArray(parsed) || !parsed.every((item) => typeof item === 'string')) {
    throw new Error(`not an exec-form array: ${text}`);
  }
  return parsed;
}

export interface CopyInstruction {
  readonly from: string | undefined;
  readonly sources: readonly string[];
  readonly destination: string;
}

export function parseCopy(instruction: Instruction): CopyInstruction {
  const words = instruction.text.split(/\s+/);
  let from: string | undefined;
  while (words[0]?.startsWith('--')) {
    const flag = words.shift()!;
    if (flag.startsWith('--from=')) {
      from = flag.slice('--from='.length);
    }
  }
  const destination = words.pop();
  if (destination === undefined || words.length === 0) {
    throw new Error(`Dockerfile line ${instruction.line}: COPY needs sources and a destination`);
  }
  return { from, sources: words, destination };
}

// ------------------------------------------------------------------ .dockerignore

interface IgnoreRule {
  readonly pattern: string;
  readonly exclusion: boolean;
  readonly regex: RegExp;
}

function patternToRegex(pattern: string): RegExp {
  let out = '^';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '*') {
      if (pattern[i + 1] === '*') {
        i++;
        if (pattern[i + 1] === '/') {
          i++;
          out += '(?:.*/)?';
        } else {
          out += '.*';
        }
      } else {
        out += '[^/]*';
      }
    } else if (ch === '?') {
      out += '[^/]';
    } else if (ch === '\\' && i + 1 < pattern.length) {
      i++;
      out += pattern[i]!.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    } else {
      out += ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    }
  }
  return new RegExp(`${out}$`);
}

export class DockerIgnore {
  private readonly rules: IgnoreRule[];

  constructor(source: string) {
    this.rules = source
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'))
      .map((line) => {
        const exclusion = line.startsWith('!');
        const pattern = (exclusion ? line.slice(1) : line).trim().replace(/^\/+|\/+$/g, '');
        return { pattern, exclusion, regex: patternToRegex(pattern) };
      });
  }

  /** Whether a path (relative to the context, with /) stays out of the build context. */
  ignores(path: string): boolean {
    const parts = path.split('/');
    const candidates = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
    let ignored = false;
    for (const rule of this.rules) {
      // A pattern excludes (or re-includes) a path when it matches the path or one of its folders.
      if (candidates.some((candidate) => rule.regex.test(candidate))) {
        ignored = !rule.exclusion;
      }
    }
    return ignored;
  }
}

/** Folders never walked (too large); the spec checks that .dockerignore keeps them out. */
export const UNWALKED = ['node_modules', '.git', '.nx'];

/** Every file of the working tree that `docker build .` sends to the builder. */
export function buildContext(ignore: DockerIgnore): Set<string> {
  const files = new Set<string>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
      const path = dir === '' ? entry.name : `${dir}/${entry.name}`;
      if (entry.isDirectory()) {
        if (!UNWALKED.includes(entry.name)) {
          walk(path);
        }
      } else if (!ignore.ignores(path)) {
        files.add(path);
      }
    }
  };
  walk('');
  return files;
}

/** The files a COPY from the build context brings in, as context paths. */
export function copiedFiles(copy: CopyInstruction, context: ReadonlySet<string>): string[] {
  return copy.sources.flatMap((source) => {
    const prefix = source.replace(/^\.?\/+/, '').replace(/\/+$/, '');
    return [...context].filter((file) => file === prefix || file.startsWith(`${prefix}/`));
  });
}

// ------------------------------------------------------------------ imports

const BUILTINS = new Set(builtinModules);
const { compilerOptions } = JSON.parse(readFileSync(join(ROOT, 'tsconfig.base.json'), 'utf8')) as {
  compilerOptions: { paths: Record<string, [string]> };
};

export interface ImportClosure {
  /** Repository files reached, relative to the root. */
  readonly files: Set<string>;
  /** npm packages imported by those files (bare specifiers, by package name). */
  readonly packages: Map<string, string>;
}

function resolveLocal(from: string, specifier: string): string | undefined {
  const mapped = compilerOptions.paths[specifier]?.[0];
  const base = mapped !== undefined ? join(ROOT, mapped) : join(ROOT, dirname(from), specifier);
  for (const candidate of [base, `${base}.ts`, `${base}.js`, join(base, 'index.ts')]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) {
      return relative(ROOT, candidate).split('\\').join('/');
    }
  }
  return undefined;
}

/** Follows every import and require() from the entry files, as the running service would. */
export function importClosure(entries: readonly string[]): ImportClosure {
  const files = new Set<string>();
  const packages = new Map<string, string>();
  const pending = [...entries];
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (files.has(file)) {
      continue;
    }
    files.add(file);
    const info = ts.preProcessFile(readFileSync(join(ROOT, file), 'utf8'), true, true);
    for (const { fileName: specifier } of info.importedFiles) {
      if (specifier.startsWith('.') || compilerOptions.paths[specifier] !== undefined) {
        const resolved = resolveLocal(file, specifier);
        if (resolved === undefined) {
          throw new Error(`${file}: cannot resolve ${specifier}`);
        }
        pending.push(resolved);
      } else if (!specifier.startsWith('node:') && !BUILTINS.has(specifier)) {
        const name = specifier.startsWith('@')
          ? specifier.split('/').slice(0, 2).join('/')
          : specifier.split('/')[0]!;
        packages.set(name, file);
      }
    }
  }
  return { files, packages };
}

// ------------------------------------------------------------------ Compose interpolation

/**
 * Compose's variable interpolation: $$, $VAR, ${VAR}, ${VAR:-default},
 * ${VAR-default}, ${VAR:?error}, ${VAR?error}, ${VAR:+alt}, ${VAR+alt}.
 * A variable that is unset, with no default, throws: the file must run as is.
 */
export function interpolate(text: string, vars: Readonly<Record<string, string>>): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch !== '$') {
      out += ch;
      continue;
    }
    const next = text[i + 1];
    if (next === '$') {
      out += '$';
      i++;
      continue;
    }
    if (next !== undefined && /[A-Za-z_]/.test(next)) {
      const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i + 1))![0];
      out += lookup(name, vars);
      i += name.length;
      continue;
    }
    if (next !== '{') {
      throw new Error(`lone $ in "${text}" (write $$ for a literal $)`);
    }
    let depth = 1;
    let end = i + 2;
    for (; end < text.length && depth > 0; end++) {
      if (text[end] === '{') {
        depth++;
      } else if (text[end] === '}') {
        depth--;
      }
    }
    if (depth !== 0) {
      throw new Error(`unclosed \${ in "${text}"`);
    }
    const body = text.slice(i + 2, end - 1);
    const match = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([\s\S]*))?$/.exec(body);
    if (!match) {
      throw new Error(`cannot interpolate \${${body}}`);
    }
    const name = match[1]!;
    const operator = match[2];
    const word = match[3] ?? '';
    const value = vars[name];
    const set = value !== undefined;
    const nonEmpty = set && value !== '';
    switch (operator) {
      case undefined:
        out += lookup(name, vars);
        break;
      case ':-':
        out += nonEmpty ? value : interpolate(word, vars);
        break;
      case '-':
        out += set ? value : interpolate(word, vars);
        break;
      case ':?':
      case '?':
        if (operator === ':?' ? !nonEmpty : !set) {
          throw new Error(`${name} is required: ${word}`);
        }
        out += value;
        break;
      case ':+':
        out += nonEmpty ? interpolate(word, vars) : '';
        break;
      case '+':
        out += set ? interpolate(word, vars) : '';
        break;
      default:
        throw new Error(`unknown operator ${operator} in \${${body}}`);
    }
    i = end - 1;
  }
  return out;
}

function lookup(name: string, vars: Readonly<Record<string, string>>): string {
  const value = vars[name];
  if (value === undefined) {
    throw new Error(`\${${name}} has no default: docker compose would need it set`);
  }
  return value;
}

/** Interpolates every string in a parsed YAML document; numbers and booleans become strings where Compose reads them as such. */
export function interpolateDeep(value: unknown, vars: Readonly<Record<string, string>>): unknown {
  if (typeof value === 'string') {
    return interpolate(value, vars);
  }
  if (Array.isArray(value)) {
    return value.map((item) => interpolateDeep(item, vars));
  }
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, interpolateDeep(item, vars)]),
    );
  }
  return value;
}
