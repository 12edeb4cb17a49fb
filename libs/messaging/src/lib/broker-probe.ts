import { connect } from 'node:net';

/**
 * Whether any of the bootstrap brokers accepts a TCP connection, for /readyz.
 * kafkajs notices a broker that went away only when a request fails, and
 * exhausts its retries before the consumer crashes (a minute and more), so
 * readiness would go on saying "ready" while nothing reaches Kafka. A connect
 * is cheap, needs no credentials and answers within `timeoutMs`; results are
 * shared for `cacheMs` so frequent probes do not open a socket each.
 */
export class BrokerProbe {
  private last: { at: number; result: Promise<true | string> } | undefined;

  constructor(
    private readonly brokers: readonly string[],
    private readonly options: { readonly timeoutMs?: number; readonly cacheMs?: number } = {},
    private readonly now: () => number = Date.now,
  ) {}

  check(): Promise<true | string> {
    const cacheMs = this.options.cacheMs ?? 1_000;
    if (this.last && this.now() - this.last.at < cacheMs) {
      return this.last.result;
    }
    const result = this.probeAll();
    this.last = { at: this.now(), result };
    return result;
  }

  private async probeAll(): Promise<true | string> {
    const failures = await Promise.all(this.brokers.map((b) => this.probe(b)));
    if (failures.some((f) => f === undefined)) {
      return true;
    }
    return `no Kafka broker reachable (${this.brokers.map((b, i) => `${b}: ${failures[i]}`).join(', ')})`;
  }

  /** undefined when the broker accepted the connection, else why not. */
  private probe(broker: string): Promise<string | undefined> {
    const at = broker.lastIndexOf(':');
    const host = broker.slice(0, at).replace(/^\[|\]$/g, '');
    const port = Number(broker.slice(at + 1));
    return new Promise((resolve) => {
      const socket = connect({ host, port });
      const done = (why: string | undefined): void => {
        socket.removeAllListeners();
        socket.destroy();
        resolve(why);
      };
      socket.setTimeout(this.options.timeoutMs ?? 2_000, () => done('timed out'));
      socket.once('connect', () => done(undefined));
      socket.once('error', (error: NodeJS.ErrnoException) => done(error.code ?? error.message));
    });
  }
}
