import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadFusionConfig } from '../config/fusion.config';
import { IntelService } from './intel.service';
import { MetricsService } from '@ward/observability';

/** A real HTTP feed server on 127.0.0.1 that honours If-None-Match. */
function feedServer(): Promise<{
  server: Server;
  url: string;
  set(body: string, etag: string): void;
  requests: { ifNoneMatch: string | undefined; status: number }[];
}> {
  let body = '';
  let etag = '';
  const requests: { ifNoneMatch: string | undefined; status: number }[] = [];
  const server = createServer((req, res) => {
    const ifNoneMatch = req.headers['if-none-match'];
    if (ifNoneMatch === etag) {
      requests.push({ ifNoneMatch, status: 304 });
      res.writeHead(304).end();
      return;
    }
    requests.push({ ifNoneMatch, status: 200 });
    res.writeHead(200, { etag, 'content-type': 'application/json' }).end(body);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        server,
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/feeds/acme.json`,
        set(b: string, e: string) {
          body = b;
          etag = e;
        },
        requests,
      }),
    ),
  );
}

const bundle = (ip: string) =>
  JSON.stringify({
    type: 'bundle',
    id: 'bundle--1',
    objects: [
      {
        type: 'indicator',
        id: 'indicator--1',
        confidence: 70,
        pattern_type: 'stix',
        pattern: `[ipv4-addr:value = '${ip}']`,
      },
    ],
  });

describe('IntelService', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ward-intel-unit-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('loads a STIX feed over HTTP, revalidates with its ETag, and reloads when it changes', async () => {
    const feed = await feedServer();
    try {
      feed.set(bundle('203.0.113.1'), '"v1"');
      const sut = new IntelService(
        loadFusionConfig({ FUSION_INTEL_FEEDS: feed.url, FUSION_INTEL_ALLOW_PRIVATE: 'true' }),
        new MetricsService('fusion'),
      );
      const changes: number[] = [];
      sut.onChange((index) => {
        changes.push(index.size);
        return Promise.resolve();
      });
      await sut.refresh();
      expect(sut.current.match('ip', '203.0.113.1').map((m) => [m.feed, m.confidence])).toEqual([
        ['127.0.0.1:' + new URL(feed.url).port + '/feeds/acme.json', 70],
      ]);
      await sut.refresh();
      feed.set(bundle('203.0.113.2'), '"v2"');
      await sut.refresh();
      expect(sut.current.match('ip', '203.0.113.1')).toEqual([]);
      expect(sut.current.match('ip', '203.0.113.2')).toHaveLength(1);
      expect(feed.requests).toEqual([
        { ifNoneMatch: undefined, status: 200 },
        { ifNoneMatch: '"v1"', status: 304 },
        { ifNoneMatch: '"v1"', status: 200 },
      ]);
      expect(changes).toEqual([1, 1]);
    } finally {
      feed.server.close();
    }
  });

  it('refuses a feed on a loopback address unless private destinations are allowed', async () => {
    const feed = await feedServer();
    try {
      feed.set(bundle('203.0.113.1'), '"v1"');
      const sut = new IntelService(
        loadFusionConfig({ FUSION_INTEL_FEEDS: feed.url }),
        new MetricsService('fusion'),
      );
      await sut.refresh();
      expect(sut.current.size).toBe(0);
      expect(feed.requests).toEqual([]);
    } finally {
      feed.server.close();
    }
  });

  it('reloads a file feed when it changes and keeps the last good entries when it breaks', async () => {
    const path = join(dir, 'list.csv');
    writeFileSync(path, '198.51.100.9\n');
    const sut = new IntelService(
      loadFusionConfig({ FUSION_INTEL_FEEDS: path }),
      new MetricsService('fusion'),
    );
    await sut.refresh();
    expect(sut.current.match('ip', '198.51.100.9')).toHaveLength(1);
    writeFileSync(path, '198.51.100.9\nevil.example\n');
    utimesSync(path, new Date(), new Date(Date.now() + 5000));
    await sut.refresh();
    expect(sut.current.match('domain', 'a.evil.example')).toHaveLength(1);
    rmSync(path);
    await sut.refresh();
    expect(sut.current.match('domain', 'a.evil.example')).toHaveLength(1);
  });
});
