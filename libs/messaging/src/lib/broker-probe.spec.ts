import { createServer, type Server } from 'node:net';
import { BrokerProbe } from './broker-probe';

/** A listening socket stands in for a broker's port: the probe only connects. */
async function listening(): Promise<{ server: Server; address: string }> {
  const server = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return { server, address: `127.0.0.1:${port}` };
}

async function closedPort(): Promise<string> {
  const { server, address } = await listening();
  await new Promise((resolve) => server.close(resolve));
  return address;
}

describe('BrokerProbe', () => {
  it('is ready when any bootstrap broker accepts a connection', async () => {
    const { server, address } = await listening();
    const down = await closedPort();
    try {
      await expect(new BrokerProbe([down, address]).check()).resolves.toBe(true);
    } finally {
      server.close();
    }
  });

  it('names every broker and why when none does', async () => {
    const down = await closedPort();
    const result = await new BrokerProbe([down]).check();
    expect(result).toBe(`no Kafka broker reachable (${down}: ECONNREFUSED)`);
  });

  it('shares one answer within the cache period, then asks again', async () => {
    const { server, address } = await listening();
    let now = 0;
    const probe = new BrokerProbe([address], { cacheMs: 1_000 }, () => now);
    await expect(probe.check()).resolves.toBe(true);
    await new Promise((resolve) => server.close(resolve));
    now = 500;
    await expect(probe.check()).resolves.toBe(true);
    now = 1_500;
    await expect(probe.check()).resolves.toMatch(/^no Kafka broker reachable/);
  });
});
