import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FileDiscovery } from './file-discovery';
import { makeTempDir, removeTempDir } from './tailer-fixtures';

const silent = { log: jest.fn(), warn: jest.fn(), error: jest.fn() };

describe('FileDiscovery', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await makeTempDir();
  });

  afterEach(async () => {
    await removeTempDir(dir);
  });

  it('searches a folder recursively for .json, .jsonl and .ndjson files only', async () => {
    await mkdir(join(dir, 'a', 'b'), { recursive: true });
    await writeFile(join(dir, 'top.jsonl'), '');
    await writeFile(join(dir, 'a', 'mid.ndjson'), '');
    await writeFile(join(dir, 'a', 'b', 'deep.json'), '');
    await writeFile(join(dir, 'a', 'notes.txt'), '');
    await writeFile(join(dir, 'a', 'old.jsonl.1'), '');
    const sut = new FileDiscovery([dir], '/', silent);

    const found = await sut.discover();

    expect([...found.keys()]).toEqual([
      join(dir, 'a', 'b', 'deep.json'),
      join(dir, 'a', 'mid.ndjson'),
      join(dir, 'top.jsonl'),
    ]);
    expect(found.get(join(dir, 'top.jsonl'))).toMatchObject({ size: 0, ino: expect.any(Number) });
  });

  it('expands globs relative to cwd, takes explicit files as they are and picks up new files', async () => {
    await writeFile(join(dir, 'one.log'), 'x');
    await writeFile(join(dir, 'two.jsonl'), '');
    const sut = new FileDiscovery(['*.jsonl', 'one.log', 'missing-folder'], dir, silent);

    expect([...(await sut.discover()).keys()]).toEqual([
      join(dir, 'one.log'),
      join(dir, 'two.jsonl'),
    ]);

    await writeFile(join(dir, 'three.jsonl'), '');
    expect([...(await sut.discover()).keys()]).toContain(join(dir, 'three.jsonl'));
  });

  it('reads a folder created after start', async () => {
    const later = join(dir, 'later');
    const sut = new FileDiscovery([later], '/', silent);
    expect((await sut.discover()).size).toBe(0);

    await mkdir(later);
    await writeFile(join(later, 'x.jsonl'), '');

    expect([...(await sut.discover()).keys()]).toEqual([join(later, 'x.jsonl')]);
  });
});
