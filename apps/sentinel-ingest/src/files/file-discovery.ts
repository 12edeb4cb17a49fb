import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import fg from 'fast-glob';
import { type TailerLogger } from './file-tailer.types';

/** What a folder pattern stands for. */
export const FOLDER_GLOB = '**/*.{json,jsonl,ndjson}';

export interface DiscoveredFile {
  readonly path: string;
  readonly dev: number;
  readonly ino: number;
  readonly size: number;
}

/**
 * Expands the configured patterns into the regular files they name, each with
 * the inode now at that path. A pattern is a glob, a folder (searched
 * recursively for JSON and JSON Lines files) or a file; which one is decided
 * on every call, so a folder created later is picked up. A pattern that fails
 * to expand (a permission error deep in a tree) keeps its previous result,
 * so its files are not taken for deleted.
 */
export class FileDiscovery {
  private readonly lastExpansion = new Map<string, readonly string[]>();

  constructor(
    private readonly patterns: readonly string[],
    private readonly cwd: string,
    private readonly logger: TailerLogger,
  ) {}

  async discover(): Promise<Map<string, DiscoveredFile>> {
    const paths = new Set<string>();
    for (const pattern of this.patterns) {
      for (const path of await this.expandOrKeep(pattern)) {
        paths.add(path);
      }
    }
    const files = await Promise.all([...paths].sort().map((path) => statFile(path)));
    return new Map(
      files.filter((f): f is DiscoveredFile => f !== undefined).map((f) => [f.path, f]),
    );
  }

  private async expandOrKeep(pattern: string): Promise<readonly string[]> {
    try {
      const paths = await this.expand(pattern);
      this.lastExpansion.set(pattern, paths);
      return paths;
    } catch (error) {
      this.logger.warn(
        `file intake: pattern ${pattern} could not be expanded, keeping its previous files: ${String(error)}`,
      );
      return this.lastExpansion.get(pattern) ?? [];
    }
  }

  private async expand(pattern: string): Promise<string[]> {
    if (fg.isDynamicPattern(pattern)) {
      return this.glob(pattern);
    }
    const path = resolve(this.cwd, pattern);
    const stats = await stat(path).catch(ignoreMissing);
    if (stats === undefined) {
      return [];
    }
    if (stats.isDirectory()) {
      return this.glob(`${fg.convertPathToPattern(path)}/${FOLDER_GLOB}`);
    }
    return stats.isFile() ? [path] : [];
  }

  private glob(pattern: string): Promise<string[]> {
    return fg.glob(pattern, {
      cwd: this.cwd,
      absolute: true,
      onlyFiles: true,
      unique: true,
      followSymbolicLinks: true,
      suppressErrors: false,
    });
  }
}

async function statFile(path: string): Promise<DiscoveredFile | undefined> {
  // Deleted or rotated between the glob and here: the next poll sees the new state.
  const stats = await stat(path).catch(() => undefined);
  if (stats === undefined || !stats.isFile()) {
    return undefined;
  }
  return { path, dev: stats.dev, ino: stats.ino, size: stats.size };
}

function ignoreMissing(error: unknown): undefined {
  if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
    return undefined;
  }
  throw error;
}
