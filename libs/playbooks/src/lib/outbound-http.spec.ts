import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo } from 'node:net';
import { outboundFetch, OutboundRefusedError, type PinnedSend } from './outbound-http';
import { type OutboundPolicy } from './outbound';

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

async function serve(handler: Handler): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => handler(req, res, body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port };
}

const GET = { method: 'GET', timeoutMs: 2000, maxBytes: 10_000 } as const;
/** Names only this test knows: every one "resolves" to the local servers. */
const resolve = (host: string) =>
  Promise.resolve(host.endsWith('.test') ? ['127.0.0.1'] : ['203.0.113.7']);
const local: OutboundPolicy = { allowHosts: ['*.test'], allowPrivate: true };

describe(outboundFetch.name, () => {
  const servers: Server[] = [];
  afterAll(() => servers.forEach((s) => s.close()));

  it('connects to the checked address, not to what DNS says later (the name is pinned)', async () => {
    const { server, port } = await serve((req, res) => res.end(`host ${req.headers.host}`));
    servers.push(server);
    // hooks.test does not exist in DNS: only the pinned address makes this work.
    const res = await outboundFetch(`http://hooks.test:${port}/x`, GET, local, resolve);
    expect(res).toMatchObject({ status: 200, body: `host hooks.test:${port}` });
  });

  it('follows a redirect only to an allowed host, checking every hop', async () => {
    const { server, port } = await serve((req, res) => {
      if (req.url === '/start') {
        res.writeHead(302, { location: `http://second.test:${port}/end` }).end();
      } else if (req.url === '/away') {
        res.writeHead(302, { location: 'http://evil.example.com/steal' }).end();
      } else if (req.url === '/meta') {
        res.writeHead(307, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
      } else {
        res.end(`reached ${req.url} with ${req.headers.authorization ?? 'no credentials'}`);
      }
    });
    servers.push(server);
    const followed = await outboundFetch(
      `http://first.test:${port}/start`,
      { ...GET, headers: { authorization: 'Splunk secret' } },
      local,
      resolve,
    );
    // Another origin (second.test) gets no credentials.
    expect(followed.body).toBe('reached /end with no credentials');
    expect(followed.url).toBe(`http://second.test:${port}/end`);
    await expect(
      outboundFetch(`http://first.test:${port}/away`, GET, local, resolve),
    ).rejects.toThrow(/redirect refused: evil.example.com is not on the outbound allow-list/);
    await expect(
      outboundFetch(
        `http://first.test:${port}/meta`,
        GET,
        { allowHosts: ['*.test', '169.254.169.254'], allowPrivate: false },
        resolve,
      ),
    ).rejects.toThrow(OutboundRefusedError);
  });

  it('refuses private addresses after resolution unless allowed', async () => {
    await expect(
      outboundFetch(
        'http://hooks.test/x',
        GET,
        { allowHosts: ['*.test'], allowPrivate: false },
        resolve,
      ),
    ).rejects.toThrow(/resolves to 127.0.0.1, a loopback address/);
    await expect(
      outboundFetch('http://[::1]/x', GET, { allowHosts: ['::1'], allowPrivate: false }, resolve),
    ).rejects.toThrow(/loopback/);
  });

  it('never downgrades https, never turns a POST into a GET, and stops redirect loops', async () => {
    const answers: Record<string, { status: number; location: string }> = {
      'https://a.test/': { status: 301, location: 'http://a.test/plain' },
      'https://a.test/post': { status: 302, location: 'https://a.test/other' },
      'https://a.test/loop': { status: 307, location: 'https://a.test/loop' },
    };
    const send: PinnedSend = (url) => {
      const answer = answers[url.toString()]!;
      return Promise.resolve({
        status: answer.status,
        headers: { location: answer.location },
        body: '',
        url: url.toString(),
      });
    };
    await expect(outboundFetch('https://a.test/', GET, local, resolve, send)).rejects.toThrow(
      /from https to http: refused/,
    );
    await expect(
      outboundFetch(
        'https://a.test/post',
        { ...GET, method: 'POST', body: '{}' },
        local,
        resolve,
        send,
      ),
    ).rejects.toThrow(/turn the POST into a GET/);
    await expect(outboundFetch('https://a.test/loop', GET, local, resolve, send)).rejects.toThrow(
      /more than 5 redirects/,
    );
    await expect(outboundFetch('file:///etc/passwd', GET, local, resolve, send)).rejects.toThrow(
      /file: URLs are not allowed/,
    );
  });

  it('keeps a POST body through a 307 and caps the response size', async () => {
    const { server, port } = await serve((req, res, body) => {
      if (req.url === '/in') {
        res.writeHead(307, { location: '/out' }).end();
      } else if (req.url === '/big') {
        res.end('x'.repeat(50_000));
      } else {
        res.end(`${req.method} ${body}`);
      }
    });
    servers.push(server);
    const res = await outboundFetch(
      `http://hooks.test:${port}/in`,
      { ...GET, method: 'POST', body: '{"a":1}', headers: { 'content-type': 'application/json' } },
      local,
      resolve,
    );
    expect(res.body).toBe('POST {"a":1}');
    await expect(
      outboundFetch(`http://hooks.test:${port}/big`, GET, local, resolve),
    ).rejects.toThrow(/larger than 10000 bytes/);
  });
});
