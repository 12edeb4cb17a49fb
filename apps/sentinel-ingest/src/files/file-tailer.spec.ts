import {
  appendFile,
  copyFile,
  mkdir,
  rename,
  stat,
  truncate,
  unlink,
  writeFile,
} from 'node:fs/promises';
import { join } from 'node:path';
import { type FileTailer } from './file-tailer';
import { type TailedLine } from './file-tailer.types';
import { lineId } from './line-id';
import {
  buildTailer,
  MemoryPositionStore,
  makeTempDir,
  openFilesUnder,
  POLL_MS,
  removeTempDir,
  type TailerHarness,
} from './tailer-fixtures';

describe('FileTailer', () => {
  let dir: string;
  const started: FileTailer[] = [];

  const at = (name: string) => join(dir, name);
  const append = (name: string, text: string) => appendFile(at(name), text);

  function harness(
    options: Parameters<typeof buildTailer>[0] = { patterns: [dir] },
    deps: Parameters<typeof buildTailer>[1] = {},
  ): TailerHarness {
    const built = buildTailer(options, deps);
    started.push(built.sut);
    return built;
  }

  beforeEach(async () => {
    dir = await makeTempDir();
  });

  afterEach(async () => {
    for (const sut of started.splice(0)) {
      await sut.stop();
    }
    await removeTempDir(dir);
  });

  describe('discovery', () => {
    it('tails every file a folder holds, recursively, and picks up files created later', async () => {
      await mkdir(at('nested'));
      await append('a.jsonl', '{"n":1}\n');
      await append('nested/b.ndjson', '{"n":2}\n');
      const { sut, sink } = harness();

      await sut.pollOnce();
      expect(sink.texts().sort()).toEqual(['{"n":1}', '{"n":2}']);

      await append('nested/c.json', '{"n":3}\n');
      const report = await sut.pollOnce();

      expect(sink.texts(at('nested/c.json'))).toEqual(['{"n":3}']);
      expect(report).toMatchObject({ files: 3, linesDelivered: 1 });
    });
  });

  describe('JSON Lines', () => {
    it('delivers one line per record with its place in the file, skipping blank lines and CRLF', async () => {
      await append('a.jsonl', '{"n":1}\r\n\n   \n{"n":2}\n');
      const { sut, sink } = harness();

      await sut.pollOnce();

      const { dev, ino } = await stat(at('a.jsonl'));
      expect(sink.lines).toEqual<TailedLine[]>([
        { path: at('a.jsonl'), dev, ino, offset: 0, endOffset: 9, lineNumber: 1, text: '{"n":1}' },
        {
          path: at('a.jsonl'),
          dev,
          ino,
          offset: 14,
          endOffset: 22,
          lineNumber: 4,
          text: '{"n":2}',
        },
      ]);
      expect(new Set(sink.lines.map(lineId)).size).toBe(2);
    });

    it('holds a partial last line until its newline arrives', async () => {
      await append('a.jsonl', '{"n":1}\n{"n":');
      const { sut, sink, store } = harness();

      await sut.pollOnce();
      expect(sink.texts()).toEqual(['{"n":1}']);
      expect(store.positions.get(at('a.jsonl'))?.offset).toBe(8);

      await append('a.jsonl', '2}\n');
      await sut.pollOnce();

      expect(sink.texts()).toEqual(['{"n":1}', '{"n":2}']);
      expect(sink.lines[1]).toMatchObject({ offset: 8, endOffset: 16, lineNumber: 2 });
    });

    it('delivers malformed lines for the sink to dead-letter, and oversized ones as markers', async () => {
      await append('a.jsonl', `not json\n{"x":"${'y'.repeat(100)}"}\n{"ok":true}\n`);
      const { sut, sink } = harness({ patterns: [dir], maxLineBytes: 32, maxBytesPerRead: 16 });

      while ((await sut.pollOnce()).more) {
        // each poll reads 16 bytes of the only file
      }

      expect(
        sink.lines.map(({ text, oversized, offset }) => ({ text, oversized, offset })),
      ).toEqual([
        { text: 'not json', oversized: undefined, offset: 0 },
        { text: '', oversized: true, offset: 9 },
        { text: '{"ok":true}', oversized: undefined, offset: 118 },
      ]);
    });
  });

  describe('.json files', () => {
    it('delivers a multi-line document as one line once the file has stopped growing', async () => {
      const doc = '{\n  "agentId": "a",\n  "action": "x"\n}\n';
      await append('doc.json', doc);
      const { sut, sink } = harness();

      await sut.pollOnce();
      expect(sink.lines).toEqual([]);

      await sut.pollOnce();
      expect(sink.lines).toEqual([
        expect.objectContaining({ offset: 0, endOffset: doc.length, text: doc.trim() }),
      ]);

      await sut.pollOnce();
      expect(sink.lines).toHaveLength(1);
    });

    it('delivers a compact document without a trailing newline once stable', async () => {
      await append('doc.json', '[{"n":1},{"n":2}]');
      const { sut, sink } = harness();

      await sut.pollOnce();
      await sut.pollOnce();

      expect(sink.texts()).toEqual(['[{"n":1},{"n":2}]']);
    });

    it('reads a .json file of one object per line as JSON Lines', async () => {
      await append('log.json', '{"n":1}\n{"n":2}\n{"n":');
      const { sut, sink } = harness();

      await sut.pollOnce();

      expect(sink.texts()).toEqual(['{"n":1}', '{"n":2}']);
    });

    it('waits for a document that does not parse, then delivers it for dead-lettering after documentSettleMs', async () => {
      await append('doc.json', '{\n  "a": [1, 2,\n');
      const { sut, sink, clock } = harness({ patterns: [dir], documentSettleMs: 10_000 });

      await sut.pollOnce();
      clock.advance(POLL_MS);
      await sut.pollOnce();
      expect(sink.lines).toEqual([]);

      clock.advance(10_000);
      await sut.pollOnce();
      expect(sink.texts()).toEqual(['{\n  "a": [1, 2,']);
    });

    it('delivers a document larger than maxLineBytes as an oversized marker', async () => {
      const doc = `{\n"a": "${'x'.repeat(200)}"\n}\n`;
      await append('doc.json', doc);
      const { sut, sink } = harness({ patterns: [dir], maxLineBytes: 64 });

      await sut.pollOnce();
      await sut.pollOnce();

      expect(sink.lines).toEqual([
        expect.objectContaining({ text: '', oversized: true, offset: 0, endOffset: doc.length }),
      ]);
    });
  });

  describe('positions', () => {
    it('saves the offset after the last delivered line only once the sink resolved', async () => {
      await append('a.jsonl', '{"n":1}\n');
      const { sut, sink, store, clock } = harness();
      sink.refuse = () => true;

      const refused = await sut.pollOnce();
      expect(refused.failures).toEqual([
        { path: at('a.jsonl'), reason: expect.stringContaining('broker unavailable') },
      ]);
      expect(store.positions.get(at('a.jsonl'))?.offset ?? 0).toBe(0);

      sink.refuse = () => false;
      await sut.pollOnce();
      expect(sink.texts()).toEqual([]);

      clock.advance(POLL_MS);
      await sut.pollOnce();
      expect(sink.texts()).toEqual(['{"n":1}']);
      expect(store.positions.get(at('a.jsonl'))?.offset).toBe(8);
    });

    it('resumes a restarted tailer at the saved offset: nothing skipped, nothing repeated', async () => {
      await append('a.jsonl', '{"n":1}\n{"n":2}\n{"n":3');
      const first = harness();
      await first.sut.pollOnce();
      await first.sut.stop();

      await append('a.jsonl', '}\n{"n":4}\n');
      const second = harness({ patterns: [dir] }, { store: first.store });
      await second.sut.pollOnce();

      expect(first.sink.texts()).toEqual(['{"n":1}', '{"n":2}']);
      expect(second.sink.texts()).toEqual(['{"n":3}', '{"n":4}']);
      expect(second.sink.lines[0]).toMatchObject({ offset: 16 });
      expect(second.sink.lines[0]?.lineNumber).toBeUndefined();
    });

    it("with startAt 'end' skips what files held at the first poll, but reads files created later from 0", async () => {
      await append('old.jsonl', '{"n":1}\n{"n":2}\n{"partial":');
      const { sut, sink, store } = harness({ patterns: [dir], startAt: 'end' });

      await sut.pollOnce();
      expect(sink.lines).toEqual([]);
      expect(store.positions.get(at('old.jsonl'))?.offset).toBe(16);

      await append('old.jsonl', 'true}\n');
      await append('new.jsonl', '{"n":3}\n');
      await sut.pollOnce();

      expect(sink.texts().sort()).toEqual(['{"n":3}', '{"partial":true}']);
    });

    it('holds back further reads while positions cannot be saved', async () => {
      await append('a.jsonl', '{"n":1}\n');
      const { sut, sink, store } = harness();
      await sut.pollOnce();
      await append('a.jsonl', '{"n":2}\n');
      store.failing = true;

      await sut.pollOnce();
      await append('a.jsonl', '{"n":3}\n');
      await sut.pollOnce();
      expect(sink.texts()).toEqual(['{"n":1}', '{"n":2}']);

      store.failing = false;
      await sut.pollOnce();
      expect(sink.texts()).toEqual(['{"n":1}', '{"n":2}', '{"n":3}']);
      expect(store.positions.get(at('a.jsonl'))?.offset).toBe(24);
    });
  });

  describe('rotation', () => {
    it('finishes the renamed file, its unterminated last line included, before the new file', async () => {
      await append('a.jsonl', '{"n":1}\n');
      const { sut, sink, store, clock } = harness();
      await sut.pollOnce();
      const old = await stat(at('a.jsonl'));

      await append('a.jsonl', '{"n":2}\n{"n":3}');
      await rename(at('a.jsonl'), at('a.jsonl.1'));
      await append('a.jsonl', '{"n":4}\n');
      const rotated = await sut.pollOnce();

      expect(rotated.rotations).toBe(1);
      expect(sink.texts()).toEqual(['{"n":1}', '{"n":2}']);

      clock.advance(POLL_MS);
      await sut.pollOnce();

      expect(sink.texts()).toEqual(['{"n":1}', '{"n":2}', '{"n":3}', '{"n":4}']);
      expect(sink.lines[2]).toMatchObject({ ino: old.ino, path: at('a.jsonl') });
      const fresh = await stat(at('a.jsonl'));
      expect(store.positions.get(at('a.jsonl'))).toEqual({
        path: at('a.jsonl'),
        dev: fresh.dev,
        ino: fresh.ino,
        offset: 8,
      });
      expect(await openFilesUnder(dir)).not.toContain(at('a.jsonl.1'));
    });

    it('finishes a file rotated while the tailer was stopped, found by its inode', async () => {
      await append('a.jsonl', '{"n":1}\n');
      const first = harness();
      await first.sut.pollOnce();
      await first.sut.stop();

      await append('a.jsonl', '{"n":2}\n');
      await rename(at('a.jsonl'), at('a.jsonl.1'));
      await append('a.jsonl', '{"n":3}\n');
      const second = harness({ patterns: [dir] }, { store: first.store });
      await second.sut.pollOnce();
      second.clock.advance(POLL_MS);
      await second.sut.pollOnce();

      expect(second.sink.texts()).toEqual(['{"n":2}', '{"n":3}']);
    });

    it('resumes a file renamed to another tailed name while the tailer was stopped', async () => {
      await append('app.jsonl', '{"n":1}\n');
      const first = harness();
      await first.sut.pollOnce();
      await first.sut.stop();

      await append('app.jsonl', '{"n":2}\n');
      await rename(at('app.jsonl'), at('app-old.jsonl'));
      const second = harness({ patterns: [dir] }, { store: first.store });
      await second.sut.pollOnce();

      expect(second.sink.lines).toEqual([
        expect.objectContaining({ path: at('app-old.jsonl'), offset: 8, text: '{"n":2}' }),
      ]);
      expect([...first.store.positions.keys()]).toEqual([at('app-old.jsonl')]);
    });

    it('follows a file renamed to another tailed name instead of reading it again', async () => {
      await append('app.jsonl', '{"n":1}\n');
      const { sut, sink, store } = harness();
      await sut.pollOnce();

      await append('app.jsonl', '{"n":2}\n');
      await rename(at('app.jsonl'), at('app-2026-01-01.jsonl'));
      await append('app.jsonl', '{"n":3}\n');
      await sut.pollOnce();

      expect(sink.texts().sort()).toEqual(['{"n":1}', '{"n":2}', '{"n":3}']);
      expect(sink.lines.find((l) => l.text === '{"n":2}')?.path).toBe(at('app-2026-01-01.jsonl'));
      expect(store.positions.get(at('app-2026-01-01.jsonl'))?.offset).toBe(16);
      expect(store.positions.get(at('app.jsonl'))?.offset).toBe(8);
    });

    it('starts over after copytruncate, with ids distinct from the old lines at the same offsets', async () => {
      await append('a.jsonl', '{"n":1}\n{"n":2}\n');
      const { sut, sink } = harness();
      await sut.pollOnce();

      await copyFile(at('a.jsonl'), at('a.jsonl.1'));
      await truncate(at('a.jsonl'), 0);
      await append('a.jsonl', '{"n":3}\n');
      const report = await sut.pollOnce();

      expect(report.truncations).toBe(1);
      expect(sink.texts()).toEqual(['{"n":1}', '{"n":2}', '{"n":3}']);
      expect(sink.lines[2]).toMatchObject({ offset: 0, lineNumber: 1 });
      expect(lineId(sink.lines[2]!)).not.toBe(lineId(sink.lines[0]!));
    });

    it('notices a copytruncate refilled past the old offset between two polls', async () => {
      await append('a.jsonl', '{"n":1}\n');
      const { sut, sink } = harness();
      await sut.pollOnce();

      await truncate(at('a.jsonl'), 0);
      await append('a.jsonl', '{"n":22}\n{"n":33}\n');
      await sut.pollOnce();
      await sut.pollOnce();

      expect(sink.texts()).toEqual(['{"n":1}', '{"n":22}', '{"n":33}']);
    });
  });

  describe('truncation', () => {
    it('reads a file from 0 when it became shorter than its offset', async () => {
      await append('a.jsonl', '{"n":1}\n{"n":2}\n');
      const { sut, sink, store } = harness();
      await sut.pollOnce();

      await writeFile(at('a.jsonl'), '{"n":9}\n');
      await sut.pollOnce();

      expect(sink.texts()).toEqual(['{"n":1}', '{"n":2}', '{"n":9}']);
      expect(store.positions.get(at('a.jsonl'))?.offset).toBe(8);
    });

    it('reads from 0 a file found shorter than its saved offset at start', async () => {
      const store = new MemoryPositionStore();
      await append('a.jsonl', '{"n":1}\n');
      const { dev, ino } = await stat(at('a.jsonl'));
      await store.save([{ path: at('a.jsonl'), dev, ino, offset: 500 }]);
      const { sut, sink } = harness({ patterns: [dir] }, { store });

      await sut.pollOnce();

      expect(sink.texts()).toEqual(['{"n":1}']);
    });
  });

  describe('deleted files', () => {
    it('reads what was left, stops tailing, and forgets the position after the grace period', async () => {
      await append('a.jsonl', '{"n":1}\n');
      const { sut, sink, store, clock } = harness({ patterns: [dir], deletedGraceMs: 60_000 });
      await sut.pollOnce();

      await append('a.jsonl', '{"n":2}\n');
      await unlink(at('a.jsonl'));
      await sut.pollOnce();
      expect(sink.texts()).toEqual(['{"n":1}', '{"n":2}']);

      clock.advance(POLL_MS);
      await sut.pollOnce();
      expect(sut.stats()).toEqual([]);
      expect(store.positions.has(at('a.jsonl'))).toBe(true);

      clock.advance(60_000);
      const report = await sut.pollOnce();
      expect(report.removed).toEqual([at('a.jsonl')]);
      expect(store.positions.has(at('a.jsonl'))).toBe(false);
    });

    it('forgets positions of files that are gone when the tailer starts, after the grace period', async () => {
      const store = new MemoryPositionStore();
      await store.save([{ path: at('gone.jsonl'), dev: 1, ino: 2, offset: 3 }]);
      const { sut, clock } = harness({ patterns: [dir], deletedGraceMs: 1000 }, { store });

      await sut.pollOnce();
      expect(store.positions.size).toBe(1);
      clock.advance(1000);
      await sut.pollOnce();

      expect(store.removed).toEqual([at('gone.jsonl')]);
    });
  });

  describe('failures and fairness', () => {
    it('retries a file whose delivery failed after a backoff, without advancing it, and keeps serving the others', async () => {
      await append('bad.jsonl', '{"n":1}\n');
      await append('good.jsonl', '{"n":2}\n');
      const { sut, sink, store, clock } = harness();
      sink.refuse = (lines) => lines.some((l) => l.path === at('bad.jsonl'));

      const first = await sut.pollOnce();
      expect(first.failures.map((f) => f.path)).toEqual([at('bad.jsonl')]);
      expect(sink.texts()).toEqual(['{"n":2}']);
      expect(store.positions.get(at('bad.jsonl'))?.offset).toBe(0);

      sink.refuse = () => false;
      await append('good.jsonl', '{"n":3}\n');
      await sut.pollOnce();
      expect(sink.texts()).toEqual(['{"n":2}', '{"n":3}']);

      clock.advance(POLL_MS);
      await sut.pollOnce();
      expect(sink.texts(at('bad.jsonl'))).toEqual(['{"n":1}']);
      expect(store.positions.get(at('bad.jsonl'))?.offset).toBe(8);
    });

    it('reads at most maxBytesPerRead per file per poll, so a small file is not held up by a big one', async () => {
      await append('big.jsonl', `${'{"n":0}\n'.repeat(10_000)}`);
      await append('small.jsonl', '{"s":1}\n{"s":2}\n');
      const { sut, sink } = harness({ patterns: [dir], maxBytesPerRead: 4096 });

      const report = await sut.pollOnce();

      expect(sink.texts(at('small.jsonl'))).toEqual(['{"s":1}', '{"s":2}']);
      expect(report.bytesRead).toBe(4096 + 16);
      expect(report.more).toBe(true);
      expect(sut.stats().find((s) => s.path === at('big.jsonl'))).toEqual({
        path: at('big.jsonl'),
        offset: 4096,
        size: 80_000,
        lagBytes: 80_000 - 4096,
      });
    });
  });

  describe('start and stop', () => {
    it('waits for the poll in flight, saves what it delivered and closes every file', async () => {
      await append('a.jsonl', '{"n":1}\n');
      const { sut, sink, store } = harness();
      const delivery = sink.pause();

      await sut.start();
      await delivery.reached;
      const stopped = sut.stop().then(() => 'stopped');
      const beforeRelease = await Promise.race([
        stopped,
        new Promise((resolve) => setImmediate(() => resolve('pending'))),
      ]);
      expect(beforeRelease).toBe('pending');

      delivery.release();
      expect(await stopped).toBe('stopped');
      expect(sink.texts()).toEqual(['{"n":1}']);
      expect(store.positions.get(at('a.jsonl'))?.offset).toBe(8);
      const open = await openFilesUnder(dir);
      if (open !== undefined) {
        expect(open).toEqual([]);
      }
    });

    it('refuses to start when the saved positions cannot be loaded', async () => {
      const store = new MemoryPositionStore();
      store.failing = true;
      const { sut } = harness({ patterns: [dir] }, { store });

      await expect(sut.start()).rejects.toThrow('database down');
    });
  });
});
