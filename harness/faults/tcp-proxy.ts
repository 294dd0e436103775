import { createServer, connect, type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';

export type ProxyMode = { kind: 'pass' } | { kind: 'blackhole' } | { kind: 'latency'; ms: number };

/**
 * A TCP proxy between some workers and the database server, for network faults: it passes bytes through, delays
 * them (latency), holds them without delivering or refusing anything (a black hole: a partition, as seen from both
 * ends), or resets every connection.
 */
export class TcpProxy {
  readonly #server: Server;
  readonly #pairs = new Set<[Socket, Socket]>();
  #mode: ProxyMode = { kind: 'pass' };

  private constructor(server: Server) {
    this.#server = server;
  }

  /** Listens on 127.0.0.1 at a free port and forwards each connection to the upstream `upstream()` names then. */
  static async start(upstream: () => { host: string; port: number }): Promise<TcpProxy> {
    const server = createServer();
    const proxy = new TcpProxy(server);
    server.on('connection', (client) => {
      const { host, port } = upstream();
      proxy.#accept(client, host, port);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    return proxy;
  }

  get port(): number {
    const address = this.#server.address();
    return typeof address === 'object' && address ? address.port : 0;
  }

  get mode(): ProxyMode {
    return this.#mode;
  }

  /** How many connections pass through it now. */
  get connections(): number {
    return this.#pairs.size;
  }

  /** Switches the mode for every connection, open and future; returns how many connections it affects now. */
  set(mode: ProxyMode): number {
    this.#mode = mode;
    for (const [a, b] of this.#pairs) {
      if (mode.kind === 'blackhole') {
        a.pause();
        b.pause();
      } else {
        a.resume();
        b.resume();
      }
    }
    return this.#pairs.size;
  }

  /** Resets every open connection (RST to both ends); new ones pass. Returns how many there were. */
  reset(): number {
    const n = this.#pairs.size;
    for (const [a, b] of this.#pairs) {
      a.resetAndDestroy();
      b.resetAndDestroy();
    }
    this.#pairs.clear();
    return n;
  }

  async close(): Promise<void> {
    this.reset();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #accept(client: Socket, host: string, port: number): void {
    // A host that is a directory is a Unix socket's, as libpq has it.
    const upstream = host.startsWith('/') ? connect({ path: `${host}/.s.PGSQL.${port}` }) : connect(port, host);
    const pair: [Socket, Socket] = [client, upstream];
    this.#pairs.add(pair);
    const forward = (from: Socket, to: Socket): void => {
      // Chunks leave in the order they came: a chunk is never sent before one delayed ahead of it.
      let lastDue = 0;
      from.on('data', (chunk) => {
        const now = performance.now();
        const due = Math.max(lastDue, this.#mode.kind === 'latency' ? now + this.#mode.ms : now);
        lastDue = due;
        if (due <= now) to.write(chunk);
        else setTimeout(() => to.write(chunk), due - now);
      });
    };
    forward(client, upstream);
    forward(upstream, client);
    if (this.#mode.kind === 'blackhole') {
      client.pause();
      upstream.pause();
    }
    const end = (): void => {
      this.#pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    for (const s of pair) {
      s.on('error', end);
      s.on('close', end);
    }
  }
}
