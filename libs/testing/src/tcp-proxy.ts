import { createConnection, createServer, type Socket } from 'node:net';

/** A TCP proxy on 127.0.0.1 that one client can be cut off through, leaving everyone else alone. */
export interface TcpProxy {
  /** The proxy's port on 127.0.0.1. */
  readonly port: number;
  /**
   * Stops forwarding in both directions (a partition as the client sees it): connections stay
   * open, bytes wait in the buffers, nothing is answered; new connections are accepted and held.
   */
  freeze(): void;
  /** Forwards again, buffered bytes first. */
  thaw(): void;
  /** Closes the listener and every connection. */
  close(): Promise<void>;
}

/** Starts a proxy to `host:port` (tests give one client its own path to a server this way). */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  const flushes = new Set<() => void>();
  let frozen = false;
  // Byte by byte under our control (no pipe: its backpressure handling could resume a frozen
  // socket); test traffic is small, so nothing here needs backpressure.
  const forward = (from: Socket, to: Socket): void => {
    const held: Buffer[] = [];
    const flush = (): void => {
      for (const chunk of held.splice(0)) to.write(chunk);
    };
    flushes.add(flush);
    from.on('data', (chunk: Buffer) => (frozen ? held.push(chunk) : to.write(chunk)));
    from.on('close', () => {
      flushes.delete(flush);
      to.destroy();
    });
  };
  const server = createServer((client) => {
    const upstream = createConnection(target);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => socket.destroy());
    }
    forward(client, upstream);
    forward(upstream, client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new TypeError('no TCP address');
  return {
    port: address.port,
    freeze() {
      frozen = true;
    },
    thaw() {
      frozen = false;
      for (const flush of flushes) flush();
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
