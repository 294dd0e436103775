import { once } from 'node:events';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { TcpProxy } from './tcp-proxy.js';

/** An echo server that also records what reached it, and the proxy in front of it. */
async function echoBehindProxy(): Promise<{ server: Server; proxy: TcpProxy; port: number; reached: string[] }> {
  const reached: string[] = [];
  const server = createServer((s) => {
    // The reset test ends connections with RST: that is expected, not an error of the test.
    s.on('error', () => undefined);
    s.on('data', (chunk) => {
      reached.push(String(chunk));
      s.write(chunk);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const proxy = await TcpProxy.start(() => ({ host: '127.0.0.1', port }));
  return { server, proxy, port, reached };
}

async function client(proxy: TcpProxy): Promise<Socket> {
  const socket = connect(proxy.port, '127.0.0.1');
  await once(socket, 'connect');
  return socket;
}

describe('TcpProxy', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('holds every byte while it is a black hole, and delivers them once it passes again', async () => {
    const { server, proxy, port, reached } = await echoBehindProxy();
    cleanups.push(
      () => new Promise<void>((r) => server.close(() => r())),
      () => proxy.close(),
    );
    const socket = await client(proxy);
    cleanups.push(() => {
      socket.destroy();
    });
    socket.write('one');
    expect(String((await once(socket, 'data'))[0])).toBe('one');

    expect(proxy.set({ kind: 'blackhole' })).toBe(1);
    const received: string[] = [];
    socket.on('data', (chunk) => received.push(String(chunk)));
    await new Promise<void>((resolve) => socket.write('two', () => resolve()));
    // A round trip on a direct connection, written after 'two': had the proxy passed 'two' on, it would be there.
    const direct = connect(port, '127.0.0.1');
    cleanups.push(() => {
      direct.destroy();
    });
    direct.write('ping');
    await once(direct, 'data');
    expect(reached).toEqual(['one', 'ping']);
    expect(received).toEqual([]);

    proxy.set({ kind: 'pass' });
    await once(socket, 'data');
    expect(received.join('')).toBe('two');
    expect(reached).toContain('two');
  });

  it('resets every open connection', async () => {
    const { server, proxy } = await echoBehindProxy();
    cleanups.push(
      () => new Promise<void>((r) => server.close(() => r())),
      () => proxy.close(),
    );
    const socket = await client(proxy);
    const errors: string[] = [];
    socket.on('error', (error: NodeJS.ErrnoException) => errors.push(error.code ?? error.message));
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.write('x');
    await once(socket, 'data');
    expect(proxy.reset()).toBe(1);
    await closed;
    expect(errors).toEqual(['ECONNRESET']);
    expect(proxy.connections).toBe(0);
  });
});
