import { type FileHandle, open, readdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { type DiscoveredFile, FileDiscovery } from './file-discovery';
import {
  type FilePosition,
  type FileStats,
  type LineSink,
  type PollReport,
  type PositionStore,
  type TailedLine,
  type TailerClock,
  type TailerLogger,
  type TailerOptions,
} from './file-tailer.types';
import {
  classifyJsonPrefix,
  isJsonDocumentCandidate,
  type JsonLayout,
  parsesAsJson,
} from './json-layout';
import { LineSplitter, type SplitLine, withoutBom } from './line-splitter';

const DEFAULT_DELETED_GRACE_MS = 5 * 60_000;
const DEFAULT_DOCUMENT_SETTLE_MS = 30_000;
const DEFAULT_MAX_RETRY_DELAY_MS = 30_000;
/** Bounds the directory scan that looks for a file rotated away while the tailer was down. */
const MAX_SIBLINGS_SCANNED = 10_000;
const NEWLINE = 0x0a;
const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);

/** The sink refused a batch: transient by contract, so the file is retried and never skipped. */
export class LineDeliveryError extends Error {
  constructor(
    readonly path: string,
    readonly lines: number,
    cause: unknown,
  ) {
    super(`sink refused ${lines} line(s) of ${path}: ${describe(cause)}`, { cause });
    this.name = 'LineDeliveryError';
  }
}

interface Identity {
  readonly dev: number;
  readonly ino: number;
}

/** One open file (inode) and how far it has been read. */
interface Cursor extends Identity {
  readonly handle: FileHandle;
  readonly jsonCandidate: boolean;
  /** Undefined while a `.json` file has no complete first line yet. */
  layout: JsonLayout | undefined;
  /** Committed: every byte before it was delivered (or blank). */
  offset: number;
  nextLineNumber: number | undefined;
  /** Read ahead of `offset`: the unfinished line. */
  readonly lines: LineSplitter;
  size: number;
  /** The byte just before the next read, to notice a file rewritten in place past our offset. */
  lastByte: number | undefined;
  seenSize: number | undefined;
  seenSizeSince: number;
  /** While finishing (rotated away or deleted): when it last produced bytes. */
  quietSince: number | undefined;
  failures: number;
  retryAt: number;
}

/** A tailed path. */
interface Tail {
  readonly path: string;
  /**
   * Oldest first. cursors[0] is read; later entries are newer files that
   * appeared at this path (rotation) and wait until the older one is finished,
   * so a path's lines are delivered in order and its one saved position
   * always describes cursors[0].
   */
  readonly cursors: Cursor[];
  /** The position of a path with no open file: loaded at start, or left by its finished file. */
  parked: FilePosition | undefined;
  /** The parked file was read to its end here, so nothing of it is left to recover. */
  parkedFinished: boolean;
  missingSince: number | undefined;
  dirty: boolean;
}

type StartAt = { readonly offset: number } | 'end';
type TurnOutcome = 'idle' | 'progress' | 'more' | 'finished';

interface ReportDraft {
  linesDelivered: number;
  bytesRead: number;
  rotations: number;
  truncations: number;
  failures: { path: string; reason: string }[];
  removed: string[];
  positionsSaved: number;
}

const SILENT: TailerLogger = {
  log: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
const SYSTEM_CLOCK: TailerClock = { now: () => Date.now() };

/**
 * Tails JSON Lines and JSON files matched by globs and folders, at least once:
 * a file's position is saved only after the sink confirmed the lines before
 * it, so a crash re-delivers at most the last poll's batches and never skips.
 * Rules (partial lines, `.json` documents, rotation, truncation) are in
 * README.md beside this file.
 */
export class FileTailer {
  private readonly tails = new Map<string, Tail>();
  private readonly discovery: FileDiscovery;
  private readonly clock: TailerClock;
  private readonly deletedGraceMs: number;
  private readonly documentSettleMs: number;
  private readonly maxRetryDelayMs: number;
  private loaded = false;
  private firstPoll = true;
  private round = 0;
  private queue: Promise<unknown> = Promise.resolve();
  private loop: Promise<void> | undefined;
  private stopping = false;
  private wake: (() => void) | undefined;

  constructor(
    private readonly options: TailerOptions,
    private readonly store: PositionStore,
    private readonly sink: LineSink,
    private readonly logger: TailerLogger = SILENT,
  ) {
    for (const key of ['pollIntervalMs', 'maxBytesPerRead', 'maxLineBytes'] as const) {
      if (!Number.isSafeInteger(options[key]) || options[key] < 1) {
        throw new RangeError(`${key} must be a positive integer, got ${options[key]}`);
      }
    }
    this.clock = options.clock ?? SYSTEM_CLOCK;
    this.deletedGraceMs = options.deletedGraceMs ?? DEFAULT_DELETED_GRACE_MS;
    this.documentSettleMs = options.documentSettleMs ?? DEFAULT_DOCUMENT_SETTLE_MS;
    this.maxRetryDelayMs = options.maxRetryDelayMs ?? DEFAULT_MAX_RETRY_DELAY_MS;
    this.discovery = new FileDiscovery(options.patterns, options.cwd ?? process.cwd(), logger);
  }

  /** Loads the saved positions (a failure rejects, so nothing is re-read from the start) and polls until stop(). */
  async start(): Promise<void> {
    if (this.loop !== undefined) {
      return;
    }
    this.stopping = false;
    await this.serialize(() => this.ensureLoaded());
    this.loop = this.run();
  }

  /** Waits for the poll in flight, saves what was delivered, closes every file. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.loop;
    this.loop = undefined;
    await this.serialize(() => this.shutdown());
  }

  /** One discovery and one turn per file; polls never overlap. */
  pollOnce(): Promise<PollReport> {
    return this.serialize(() => this.poll());
  }

  stats(): FileStats[] {
    const stats: FileStats[] = [];
    for (const tail of this.tails.values()) {
      const [first] = tail.cursors;
      if (first === undefined) {
        continue;
      }
      const lagBytes = tail.cursors.reduce((sum, c) => sum + Math.max(0, c.size - c.offset), 0);
      stats.push({ path: tail.path, offset: first.offset, size: first.size, lagBytes });
    }
    return stats;
  }

  private serialize<T>(task: () => Promise<T>): Promise<T> {
    const result = this.queue.then(task);
    this.queue = result.catch(() => undefined);
    return result;
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      let more = false;
      try {
        more = (await this.pollOnce()).more;
      } catch (error) {
        this.logger.error(`file intake: poll failed: ${describe(error)}`);
      }
      if (!this.stopping) {
        await this.pause(more ? 0 : this.options.pollIntervalMs);
      }
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private async ensureLoaded(): Promise<void> {
    if (this.loaded) {
      return;
    }
    for (const position of await this.store.load()) {
      this.tails.set(position.path, newTail(position.path, position));
    }
    this.loaded = true;
    this.firstPoll = true;
  }

  private async shutdown(): Promise<void> {
    if (this.loaded && !(await this.saveDirty(emptyDraft()))) {
      this.logger.error('file intake: positions of the last delivered lines could not be saved');
    }
    for (const tail of this.tails.values()) {
      for (const cursor of tail.cursors) {
        await closeQuietly(cursor.handle);
      }
    }
    this.tails.clear();
    this.loaded = false;
  }

  private async poll(): Promise<PollReport> {
    await this.ensureLoaded();
    const now = this.clock.now();
    const draft = emptyDraft();
    // Positions still unsaved from the last poll: read nothing more until they are,
    // so a crash never re-delivers more than one poll's batches.
    if (!(await this.saveDirty(draft))) {
      return this.report(draft, false);
    }
    await this.reconcile(await this.discovery.discover(), now, draft);
    this.firstPoll = false;

    let more = false;
    for (const tail of this.roundRobin()) {
      more = (await this.turn(tail, now, draft)) || more;
    }
    await this.saveDirty(draft);
    await this.removeExpired(now, draft);
    return this.report(draft, more);
  }

  private report(draft: ReportDraft, more: boolean): PollReport {
    return { files: this.stats().length, ...draft, more };
  }

  private roundRobin(): Tail[] {
    const tails = [...this.tails.values()];
    if (tails.length === 0) {
      return tails;
    }
    const first = this.round++ % tails.length;
    return [...tails.slice(first), ...tails.slice(0, first)];
  }

  // --- discovery -> open files -------------------------------------------------------------

  private async reconcile(
    found: ReadonlyMap<string, DiscoveredFile>,
    now: number,
    draft: ReportDraft,
  ): Promise<void> {
    const foundAt = new Map<string, string>();
    for (const file of found.values()) {
      foundAt.set(identityKey(file), file.path);
    }
    this.followRenames(found, foundAt);

    const parked = new Map<string, { tail: Tail; position: FilePosition }>();
    for (const tail of this.tails.values()) {
      if (tail.cursors.length === 0 && tail.parked !== undefined) {
        parked.set(identityKey(tail.parked), { tail, position: tail.parked });
      }
    }

    for (const file of found.values()) {
      const known = this.tails.get(file.path);
      if (known !== undefined) {
        known.missingSince = undefined;
        const same = known.cursors.find((c) => sameIdentity(c, file));
        if (same !== undefined) {
          same.size = file.size;
          continue;
        }
      }
      const tail = known ?? newTail(file.path, undefined);
      const rotated = tail.cursors.length > 0;
      const start = await this.startFor(tail, known !== undefined, file, parked, foundAt, draft);
      const cursor = await this.openCursor(file.path, file, start, tail.path, draft);
      if (cursor === undefined) {
        continue;
      }
      this.tails.set(tail.path, tail);
      tail.cursors.push(cursor);
      tail.parked = undefined;
      tail.dirty = true;
      if (rotated) {
        draft.rotations += 1;
        this.logger.log(`file intake: ${tail.path} was rotated; finishing the old file first`);
      }
    }

    for (const tail of this.tails.values()) {
      if (!found.has(tail.path)) {
        tail.missingSince ??= now;
      }
    }
  }

  /** An open file renamed to another tailed path (dated rotation) keeps its progress there. */
  private followRenames(
    found: ReadonlyMap<string, DiscoveredFile>,
    foundAt: ReadonlyMap<string, string>,
  ): void {
    for (const tail of [...this.tails.values()]) {
      const atPath = found.get(tail.path);
      for (const cursor of [...tail.cursors]) {
        const movedTo = foundAt.get(identityKey(cursor));
        // A file still at its own path (a hard link elsewhere) stays where it is.
        if (movedTo === undefined || (atPath !== undefined && sameIdentity(atPath, cursor))) {
          continue;
        }
        tail.cursors.splice(tail.cursors.indexOf(cursor), 1);
        tail.dirty = true;
        let target = this.tails.get(movedTo);
        if (target === undefined) {
          target = newTail(movedTo, undefined);
          this.tails.set(movedTo, target);
        }
        target.cursors.push(cursor);
        target.parked = undefined;
        target.dirty = true;
        this.logger.log(`file intake: ${tail.path} was renamed to ${movedTo}; following it`);
      }
    }
  }

  private async startFor(
    tail: Tail,
    known: boolean,
    file: DiscoveredFile,
    parked: Map<string, { tail: Tail; position: FilePosition }>,
    foundAt: ReadonlyMap<string, string>,
    draft: ReportDraft,
  ): Promise<StartAt> {
    const key = identityKey(file);
    const claim = parked.get(key);
    if (claim !== undefined) {
      parked.delete(key);
      if (claim.tail !== tail) {
        // Renamed while no file was open (while the tailer was down): its old path is forgotten.
        claim.tail.parked = undefined;
        claim.tail.dirty = true;
        this.logger.log(`file intake: ${claim.tail.path} is now ${tail.path}; resuming it there`);
      }
      return { offset: claim.position.offset };
    }
    const previous = tail.cursors.length === 0 ? tail.parked : undefined;
    if (previous !== undefined) {
      if (!tail.parkedFinished && !foundAt.has(identityKey(previous))) {
        await this.recoverRotated(tail, previous, draft);
      }
      return { offset: 0 };
    }
    if (known) {
      return { offset: 0 };
    }
    return this.firstPoll && this.options.startAt === 'end' ? 'end' : { offset: 0 };
  }

  /**
   * The path holds another file than the saved position describes: it was
   * rotated while the tailer was down. logrotate renames within the
   * directory, so the old inode is looked for there and finished first.
   */
  private async recoverRotated(
    tail: Tail,
    previous: FilePosition,
    draft: ReportDraft,
  ): Promise<void> {
    const dir = dirname(tail.path);
    const names = await readdir(dir).catch(() => [] as string[]);
    for (const name of names.slice(0, MAX_SIBLINGS_SCANNED)) {
      const path = join(dir, name);
      const stats = await stat(path).catch(() => undefined);
      if (stats === undefined || !stats.isFile() || !sameIdentity(stats, previous)) {
        continue;
      }
      const cursor = await this.openCursor(
        path,
        { dev: stats.dev, ino: stats.ino, size: stats.size },
        { offset: previous.offset },
        tail.path,
        draft,
      );
      if (cursor !== undefined) {
        tail.cursors.push(cursor);
        draft.rotations += 1;
        this.logger.log(`file intake: ${tail.path} was rotated while stopped; finishing ${path}`);
      }
      return;
    }
    this.logger.warn(
      `file intake: ${tail.path} was rotated while stopped and the old file is gone; ` +
        `bytes after offset ${previous.offset} of it were not read`,
    );
  }

  private async openCursor(
    openPath: string,
    expected: Identity & { readonly size: number },
    start: StartAt,
    tailPath: string,
    draft: ReportDraft,
  ): Promise<Cursor | undefined> {
    let handle: FileHandle;
    try {
      handle = await open(openPath, 'r');
    } catch (error) {
      this.logger.warn(`file intake: cannot open ${openPath}: ${describe(error)}`);
      return undefined;
    }
    try {
      const stats = await handle.stat();
      if (!sameIdentity(stats, expected)) {
        // Replaced between the glob and the open: the next poll sees the new file.
        await handle.close();
        return undefined;
      }
      const jsonCandidate = isJsonDocumentCandidate(tailPath);
      let offset = 0;
      let layout: JsonLayout | undefined = jsonCandidate ? undefined : 'lines';
      let skipping = false;
      if (start === 'end') {
        ({ offset, layout, skipping } = await this.endOf(handle, stats.size, jsonCandidate));
      } else if (start.offset > stats.size) {
        draft.truncations += 1;
        this.logger.warn(
          `file intake: ${tailPath} is shorter than its saved offset ${start.offset}; reading it from the start`,
        );
      } else {
        offset = start.offset;
      }
      const nextLineNumber = offset === 0 ? 1 : undefined;
      return {
        dev: stats.dev,
        ino: stats.ino,
        handle,
        jsonCandidate,
        layout,
        offset,
        nextLineNumber,
        lines: new LineSplitter(this.options.maxLineBytes, offset, nextLineNumber, skipping),
        size: stats.size,
        lastByte: undefined,
        seenSize: undefined,
        seenSizeSince: 0,
        quietSince: undefined,
        failures: 0,
        retryAt: 0,
      };
    } catch (error) {
      await closeQuietly(handle);
      this.logger.warn(`file intake: cannot read ${openPath}: ${describe(error)}`);
      return undefined;
    }
  }

  /**
   * Where `startAt: 'end'` begins: after the last complete line, so the line
   * being written is read whole; a `.json` document already there is skipped.
   */
  private async endOf(
    handle: FileHandle,
    size: number,
    jsonCandidate: boolean,
  ): Promise<{ offset: number; layout: JsonLayout | undefined; skipping: boolean }> {
    const { maxLineBytes } = this.options;
    if (jsonCandidate) {
      const prefix = await readAt(handle, 0, Math.min(size, maxLineBytes));
      const layout = classifyJsonPrefix(prefix);
      if (layout !== 'lines') {
        return isBlank(prefix)
          ? { offset: 0, layout, skipping: false }
          : { offset: size, layout: 'document', skipping: false };
      }
    }
    const window = Math.min(size, maxLineBytes);
    const newline = (await readAt(handle, size - window, window)).lastIndexOf(NEWLINE);
    if (newline !== -1) {
      return { offset: size - window + newline + 1, layout: 'lines', skipping: false };
    }
    return size <= maxLineBytes
      ? { offset: 0, layout: 'lines', skipping: false }
      : { offset: size, layout: 'lines', skipping: true };
  }

  // --- reading ------------------------------------------------------------------------------

  /** One file's turn; returns whether it has bytes left that this turn did not cover. */
  private async turn(tail: Tail, now: number, draft: ReportDraft): Promise<boolean> {
    for (;;) {
      const cursor = tail.cursors[0];
      if (cursor === undefined || cursor.retryAt > now) {
        return false;
      }
      const finishing = tail.cursors.length > 1 || tail.missingSince !== undefined;
      let outcome: TurnOutcome;
      try {
        outcome = await this.advance(tail, cursor, finishing, now, draft);
        cursor.failures = 0;
      } catch (error) {
        this.backOff(tail, cursor, error, now, draft);
        return false;
      }
      if (outcome !== 'finished') {
        return outcome === 'more';
      }
      // The next (newer) file at this path takes its turn in this same poll.
      tail.cursors.shift();
      await closeQuietly(cursor.handle);
      tail.dirty = true;
      if (tail.cursors.length === 0) {
        tail.parked = positionOf(tail.path, cursor);
        tail.parkedFinished = true;
      }
    }
  }

  private async advance(
    tail: Tail,
    cursor: Cursor,
    finishing: boolean,
    now: number,
    draft: ReportDraft,
  ): Promise<TurnOutcome> {
    const { size } = await cursor.handle.stat();
    cursor.size = size;
    const stable = observeSize(cursor, size, now);
    cursor.quietSince = finishing ? (cursor.quietSince ?? now) : undefined;
    if (size < Math.max(cursor.offset, cursor.lines.readOffset)) {
      this.restartFromZero(tail, cursor, 'was truncated', draft);
    }
    if (cursor.layout === undefined) {
      cursor.layout = await this.classify(cursor, size, stable || finishing);
      if (cursor.layout === undefined) {
        return 'idle';
      }
    }
    return cursor.layout === 'lines'
      ? this.advanceLines(tail, cursor, size, finishing, now, draft)
      : this.advanceDocument(tail, cursor, size, stable, finishing, now, draft);
  }

  private async classify(
    cursor: Cursor,
    size: number,
    settled: boolean,
  ): Promise<JsonLayout | undefined> {
    const { maxLineBytes } = this.options;
    const prefix = await readAt(cursor.handle, 0, Math.min(size, maxLineBytes));
    if (isBlank(prefix)) {
      return undefined;
    }
    const layout = classifyJsonPrefix(prefix);
    if (layout !== undefined) {
      return layout;
    }
    return settled || prefix.length >= maxLineBytes ? 'document' : undefined;
  }

  private async advanceLines(
    tail: Tail,
    cursor: Cursor,
    size: number,
    finishing: boolean,
    now: number,
    draft: ReportDraft,
  ): Promise<TurnOutcome> {
    const from = cursor.lines.readOffset;
    if (from >= size) {
      if (!this.quietLongEnough(cursor, finishing, now)) {
        return 'idle';
      }
      await this.deliver(tail, cursor, cursor.lines.flush(), draft);
      this.commit(tail, cursor, cursor.lines.lineStart, cursor.lines.nextLineNumber);
      return 'finished';
    }
    const chunk = await this.readChunk(
      cursor,
      from,
      Math.min(size - from, this.options.maxBytesPerRead),
    );
    if (chunk === 'rewritten') {
      this.restartFromZero(tail, cursor, 'was rewritten in place', draft);
      return 'more';
    }
    if (chunk.length === 0) {
      return 'idle';
    }
    draft.bytesRead += chunk.length;
    cursor.lastByte = chunk[chunk.length - 1];
    if (finishing) {
      cursor.quietSince = now;
    }
    await this.deliver(tail, cursor, cursor.lines.push(chunk), draft);
    this.commit(tail, cursor, cursor.lines.lineStart, cursor.lines.nextLineNumber);
    return cursor.lines.readOffset < size ? 'more' : 'progress';
  }

  /** A `.json` document is delivered whole once the file has stopped growing (see README.md). */
  private async advanceDocument(
    tail: Tail,
    cursor: Cursor,
    size: number,
    stable: boolean,
    finishing: boolean,
    now: number,
    draft: ReportDraft,
  ): Promise<TurnOutcome> {
    const pending = size - cursor.offset;
    if (pending <= 0) {
      return this.quietLongEnough(cursor, finishing, now) ? 'finished' : 'idle';
    }
    if (!stable) {
      if (finishing) {
        cursor.quietSince = now;
      }
      return 'idle';
    }
    const start = cursor.offset;
    if (pending > this.options.maxLineBytes) {
      await this.deliver(
        tail,
        cursor,
        [{ offset: start, endOffset: size, text: '', oversized: true }],
        draft,
      );
      this.commitDocument(tail, cursor, size, undefined);
      return 'progress';
    }
    const bytes = await this.readChunk(cursor, start, pending);
    if (bytes === 'rewritten') {
      this.restartFromZero(tail, cursor, 'was rewritten in place', draft);
      return 'more';
    }
    draft.bytesRead += bytes.length;
    const text = withoutBom(bytes, start === 0)
      .toString('utf8')
      .trim();
    if (text !== '') {
      const settled = finishing || now - cursor.seenSizeSince >= this.documentSettleMs;
      if (!parsesAsJson(text) && !settled) {
        return 'idle';
      }
      await this.deliver(
        tail,
        cursor,
        [{ offset: start, endOffset: start + bytes.length, text }],
        draft,
      );
    }
    this.commitDocument(tail, cursor, start + bytes.length, bytes[bytes.length - 1]);
    return 'progress';
  }

  /** A rotated-away or deleted file is finished once it has produced no bytes for a poll interval. */
  private quietLongEnough(cursor: Cursor, finishing: boolean, now: number): boolean {
    return finishing && now - (cursor.quietSince ?? now) >= this.options.pollIntervalMs;
  }

  /** Reads at `from`, checking that the byte before it is still the one read last time. */
  private async readChunk(
    cursor: Cursor,
    from: number,
    length: number,
  ): Promise<Buffer | 'rewritten'> {
    const check = cursor.lastByte !== undefined && from > 0 ? 1 : 0;
    const bytes = await readAt(cursor.handle, from - check, length + check);
    if (check === 1 && bytes[0] !== cursor.lastByte) {
      return 'rewritten';
    }
    return bytes.subarray(check);
  }

  private async deliver(
    tail: Tail,
    cursor: Cursor,
    split: readonly SplitLine[],
    draft: ReportDraft,
  ): Promise<void> {
    if (split.length === 0) {
      return;
    }
    const lines: TailedLine[] = split.map((line) => ({
      path: tail.path,
      dev: cursor.dev,
      ino: cursor.ino,
      ...line,
    }));
    try {
      await this.sink.deliver(lines);
    } catch (error) {
      throw new LineDeliveryError(tail.path, lines.length, error);
    }
    draft.linesDelivered += lines.length;
  }

  private commit(
    tail: Tail,
    cursor: Cursor,
    offset: number,
    nextLineNumber: number | undefined,
  ): void {
    if (offset !== cursor.offset) {
      cursor.offset = offset;
      tail.dirty = true;
    }
    cursor.nextLineNumber = nextLineNumber;
  }

  private commitDocument(
    tail: Tail,
    cursor: Cursor,
    offset: number,
    lastByte: number | undefined,
  ): void {
    this.commit(tail, cursor, offset, undefined);
    cursor.lines.reset(offset, undefined);
    cursor.lastByte = lastByte;
  }

  private restartFromZero(tail: Tail, cursor: Cursor, why: string, draft: ReportDraft): void {
    this.logger.warn(`file intake: ${tail.path} ${why}; reading it from the start`);
    draft.truncations += 1;
    cursor.offset = 0;
    cursor.nextLineNumber = 1;
    cursor.lines.reset(0, 1);
    cursor.lastByte = undefined;
    cursor.layout = cursor.jsonCandidate ? undefined : 'lines';
    cursor.seenSize = undefined;
    tail.dirty = true;
  }

  /** Undoes what was read past the committed offset; the file is tried again after a backoff. */
  private backOff(
    tail: Tail,
    cursor: Cursor,
    error: unknown,
    now: number,
    draft: ReportDraft,
  ): void {
    cursor.lines.reset(cursor.offset, cursor.nextLineNumber);
    cursor.lastByte = undefined;
    cursor.failures += 1;
    const delay = Math.min(
      this.options.pollIntervalMs * 2 ** Math.min(cursor.failures - 1, 20),
      this.maxRetryDelayMs,
    );
    cursor.retryAt = now + delay;
    const reason = describe(error);
    draft.failures.push({ path: tail.path, reason });
    this.logger.warn(`file intake: ${reason}; retrying ${tail.path} in ${delay} ms`);
  }

  // --- positions ----------------------------------------------------------------------------

  private async saveDirty(draft: ReportDraft): Promise<boolean> {
    const dirty = [...this.tails.values()].filter((t) => t.dirty);
    const positions = dirty
      .map((t) => positionOfTail(t))
      .filter((p): p is FilePosition => p !== undefined);
    if (positions.length > 0) {
      try {
        await this.store.save(positions);
      } catch (error) {
        this.logger.warn(
          `file intake: saving ${positions.length} position(s) failed: ${describe(error)}`,
        );
        return false;
      }
    }
    for (const tail of dirty) {
      tail.dirty = false;
    }
    draft.positionsSaved += positions.length;
    return true;
  }

  /** A vanished path whose files are finished is forgotten after the grace period (at once if its file moved to another path). */
  private async removeExpired(now: number, draft: ReportDraft): Promise<void> {
    const expired = [...this.tails.values()].filter(
      (t) =>
        t.cursors.length === 0 &&
        t.missingSince !== undefined &&
        (t.parked === undefined || now - t.missingSince >= this.deletedGraceMs),
    );
    if (expired.length === 0) {
      return;
    }
    const paths = expired.map((t) => t.path);
    try {
      await this.store.remove(paths);
    } catch (error) {
      this.logger.warn(
        `file intake: forgetting ${paths.length} position(s) failed: ${describe(error)}`,
      );
      return;
    }
    for (const path of paths) {
      this.tails.delete(path);
    }
    draft.removed.push(...paths);
  }
}

function newTail(path: string, parked: FilePosition | undefined): Tail {
  return {
    path,
    cursors: [],
    parked,
    parkedFinished: false,
    missingSince: undefined,
    dirty: false,
  };
}

function positionOf(path: string, cursor: Cursor): FilePosition {
  return { path, dev: cursor.dev, ino: cursor.ino, offset: cursor.offset };
}

function positionOfTail(tail: Tail): FilePosition | undefined {
  const [first] = tail.cursors;
  return first === undefined ? tail.parked : positionOf(tail.path, first);
}

function identityKey(id: Identity): string {
  return `${id.dev}:${id.ino}`;
}

function sameIdentity(a: Identity, b: Identity): boolean {
  return a.dev === b.dev && a.ino === b.ino;
}

/** Whether the size is the one seen by the previous turn (the file has stopped growing). */
function observeSize(cursor: Cursor, size: number, now: number): boolean {
  if (cursor.seenSize === size) {
    return true;
  }
  cursor.seenSize = size;
  cursor.seenSizeSince = now;
  return false;
}

async function readAt(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.allocUnsafe(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(buffer, filled, length - filled, position + filled);
    if (bytesRead === 0) {
      break;
    }
    filled += bytesRead;
  }
  return buffer.subarray(0, filled);
}

function isBlank(bytes: Buffer): boolean {
  return withoutBom(bytes, true).every((byte) => WHITESPACE.has(byte));
}

async function closeQuietly(handle: FileHandle): Promise<void> {
  await handle.close().catch(() => undefined);
}

function emptyDraft(): ReportDraft {
  return {
    linesDelivered: 0,
    bytesRead: 0,
    rotations: 0,
    truncations: 0,
    failures: [],
    removed: [],
    positionsSaved: 0,
  };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
