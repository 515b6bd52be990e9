// A userspace TCP latency injector (node:net): accepts on <listenPort>, connects each client to
// <targetPort> on 127.0.0.1, and holds every client -> upstream chunk for <delayMs> before writing it
// (order kept: equal-delay timers fire FIFO), so each request reaching the upstream arrives delayMs late.
// The upstream's answers pass through at once. Usage: node bench/lb/latency-proxy.ts <listen> <target> <delayMs>
import { createConnection, createServer, type Server } from 'node:net';

/** Resolves to the listening server (close it to stop); `targetHost` defaults to 127.0.0.1. */
export function startLatencyProxy(
  listenPort: number,
  targetPort: number,
  delayMs: number,
  targetHost = '127.0.0.1',
): Promise<Server> {
  const server = createServer((client) => {
    client.setNoDelay(true);
    const upstream = createConnection({ host: targetHost, port: targetPort });
    upstream.setNoDelay(true);
    let closed = false;
    const close = () => {
      if (closed) return;
      closed = true;
      client.destroy();
      upstream.destroy();
    };
    client.on('data', (chunk) => {
      setTimeout(() => {
        if (!closed) upstream.write(chunk);
      }, delayMs);
    });
    upstream.pipe(client);
    client.on('end', () => setTimeout(() => upstream.end(), delayMs));
    client.on('error', close);
    upstream.on('error', close);
    client.on('close', close);
    upstream.on('close', close);
  });
  return new Promise((resolve) => server.listen(listenPort, '127.0.0.1', () => resolve(server)));
}

if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].split('/').pop() ?? '')) {
  const [listen, target, delay] = process.argv.slice(2).map(Number);
  await startLatencyProxy(listen!, target!, delay!);
}
