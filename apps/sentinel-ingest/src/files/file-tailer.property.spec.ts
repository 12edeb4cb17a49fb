import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { lineId } from './line-id';
import {
  buildTailer,
  MemoryPositionStore,
  MemorySink,
  makeTempDir,
  removeTempDir,
  type TailerHarness,
} from './tailer-fixtures';

const MAX_POLLS_PER_CHUNK = 10_000;

const record = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.record({ agentId: fc.string({ unit: 'binary', maxLength: 12 }), n: fc.integer() }),
);

const stream = fc.record({
  lines: fc.array(
    fc.record({
      text: record.map((value) => JSON.stringify(value)),
      ending: fc.constantFrom('\n', '\r\n'),
      blankAfter: fc.boolean(),
    }),
    { minLength: 1, maxLength: 25 },
  ),
  cuts: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 8 }),
  restarts: fc.array(fc.boolean(), { maxLength: 9 }),
  maxBytesPerRead: fc.integer({ min: 1, max: 64 }),
});

describe('FileTailer (property)', () => {
  it('delivers every line of a stream appended in arbitrary chunks exactly once and in order', async () => {
    await fc.assert(
      fc.asyncProperty(stream, async ({ lines, cuts, restarts, maxBytesPerRead }) => {
        const dir = await makeTempDir();
        const path = join(dir, 'stream.jsonl');
        const store = new MemoryPositionStore();
        const sink = new MemorySink();
        const open = (): TailerHarness =>
          buildTailer({ patterns: [dir], maxBytesPerRead }, { store, sink });
        let tailer = open();
        try {
          const bytes = Buffer.from(
            lines.map((l) => `${l.text}${l.ending}${l.blankAfter ? l.ending : ''}`).join(''),
          );
          const points = [...new Set(cuts.map((c) => Math.floor(c * bytes.length)))].sort(
            (a, b) => a - b,
          );
          let from = 0;
          for (const [i, to] of [...points, bytes.length].entries()) {
            await appendFile(path, bytes.subarray(from, to));
            from = to;
            if (restarts[i] === true) {
              await tailer.sut.stop();
              tailer = open();
            }
            for (let polls = 0; polls < MAX_POLLS_PER_CHUNK; polls += 1) {
              if (!(await tailer.sut.pollOnce()).more) {
                break;
              }
            }
          }

          expect(sink.texts()).toEqual(lines.map((l) => l.text));
          expect(new Set(sink.lines.map(lineId)).size).toBe(lines.length);
          expect(store.positions.get(path)?.offset).toBe(bytes.length);
        } finally {
          await tailer.sut.stop();
          await removeTempDir(dir);
        }
      }),
      { numRuns: 60 },
    );
    // Sixty streams of real file I/O, read as little as one byte at a time: a
    // few seconds alone, more on a loaded two-core CI machine.
  }, 120_000);
});
