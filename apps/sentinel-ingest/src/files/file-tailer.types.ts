/** How far a file has been consumed: every byte before `offset` was delivered (or was blank). */
export interface FilePosition {
  readonly path: string;
  readonly dev: number;
  readonly ino: number;
  readonly offset: number;
}

/**
 * Durable positions, one per path (the PostgreSQL table keys them by source
 * and path). `save` upserts the positions given (only those that changed)
 * and is called only after the sink confirmed every line before them.
 * `remove` forgets paths that disappeared more than the grace period ago.
 */
export interface PositionStore {
  load(): Promise<FilePosition[]>;
  save(positions: readonly FilePosition[]): Promise<void>;
  remove(paths: readonly string[]): Promise<void>;
}

export interface TailedLine {
  readonly path: string;
  readonly dev: number;
  readonly ino: number;
  /** Byte offset where the line (or document) starts. */
  readonly offset: number;
  /** Byte offset just after its newline (or the document's last byte). */
  readonly endOffset: number;
  /** 1-based physical line; only known when the file was read from its start in this process. */
  readonly lineNumber?: number;
  /** The line without its line ending, or a whole document; empty when oversized. */
  readonly text: string;
  /** Longer than maxLineBytes: skipped unread so the sink can dead-letter it. */
  readonly oversized?: true;
}

/**
 * Normalizes and publishes lines, dead-lettering the bad ones with their
 * reason; resolves once that is durable. A rejection means a transient
 * failure (broker down): the same lines are offered again later.
 */
export interface LineSink {
  deliver(lines: readonly TailedLine[]): Promise<void>;
}

export interface TailerClock {
  now(): number;
}

/** Structurally a subset of Nest's Logger, so one can be passed as is. */
export interface TailerLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface TailerOptions {
  /** Globs, files or folders; a folder means `<folder>/**\/*.{json,jsonl,ndjson}`. */
  readonly patterns: readonly string[];
  readonly pollIntervalMs: number;
  /** Most bytes read from one file in one poll (e.g. 1 MiB). */
  readonly maxBytesPerRead: number;
  /** Longer lines (and `.json` documents) are delivered as oversized markers. */
  readonly maxLineBytes: number;
  /** Where to start in files present at the first poll that have no saved position. */
  readonly startAt: 'beginning' | 'end';
  /** How long the position of a vanished path is kept in case it comes back. Default 5 minutes. */
  readonly deletedGraceMs?: number;
  /** How long a `.json` document that does not parse may stay unchanged before it is delivered anyway. Default 30 s. */
  readonly documentSettleMs?: number;
  /** Ceiling of the per-file backoff after a failed delivery or read. Default 30 s. */
  readonly maxRetryDelayMs?: number;
  /** Directory relative patterns are resolved against. Default the process's working directory. */
  readonly cwd?: string;
  readonly clock?: TailerClock;
}

export interface FileFailure {
  readonly path: string;
  readonly reason: string;
}

export interface PollReport {
  /** Paths tailed after this poll. */
  readonly files: number;
  readonly linesDelivered: number;
  readonly bytesRead: number;
  readonly rotations: number;
  readonly truncations: number;
  /** Files whose read or delivery failed this poll; each is retried after a backoff. */
  readonly failures: readonly FileFailure[];
  /** Paths whose positions were forgotten. */
  readonly removed: readonly string[];
  readonly positionsSaved: number;
  /** Some file has bytes left that one turn did not cover: poll again at once. */
  readonly more: boolean;
}

export interface FileStats {
  readonly path: string;
  readonly offset: number;
  readonly size: number;
  /** Unread bytes, including those of a rotated-away file still being finished. */
  readonly lagBytes: number;
}
