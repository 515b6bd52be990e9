import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '@sdl/logging';
import type { ProxyHandler } from './proxy.js';

export interface ProxyServer {
  /**
   * `reusePort`: SO_REUSEPORT, so that each worker process binds the port itself and the kernel
   * spreads new connections over them (exclusive: a cluster worker does not ask the primary).
   */
  listen(host: string, port: number, reusePort?: boolean): Promise<AddressInfo>;
  /** Where the proxy listens (undefined before listen). */
  address(): AddressInfo | undefined;
  /** Requests received since start (each worker's share, with LB_WORKERS > 1). */
  readonly served: number;
  /** Stops accepting, lets in-flight requests finish for up to `drainMs`, then cuts what is left. */
  close(drainMs: number): Promise<void>;
}

/**
 * The proxy's own node:http server (fastify stays off the hot path). `keepAliveTimeoutMs`: how long
 * an idle client connection stays open (see LbConfig's keepAliveTimeoutMs).
 */
export function createProxyServer(handler: ProxyHandler, logger: Logger, keepAliveTimeoutMs: number): ProxyServer {
  let closing = false;
  const active = new Set<ServerResponse>();
  // server.close() only closes connections idle at that moment; the others would linger for the
  // keep-alive timeout after their last response, so each one is closed as it goes idle (the
  // listener is added only while closing: it is one listener less per request).
  const closeIdle = (): void => server.closeIdleConnections();
  let served = 0;
  const server: Server = createServer((req, res) => {
    served++;
    active.add(res);
    if (closing) {
      res.shouldKeepAlive = false;
      res.once('finish', closeIdle);
    }
    res.once('close', () => active.delete(res));
    handler(req, res);
  });
  server.keepAliveTimeout = keepAliveTimeoutMs;
  server.on('clientError', (err, socket) => {
    logger.debug({ err }, 'proxy client error');
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    else socket.destroy();
  });

  return {
    listen(host, port, reusePort = false) {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen({ port, host, reusePort, exclusive: reusePort }, () => {
          server.off('error', reject);
          resolve(server.address() as AddressInfo);
        });
      });
    },
    get served() {
      return served;
    },
    address() {
      const address = server.address();
      return address === null || typeof address === 'string' ? undefined : address;
    },
    async close(drainMs) {
      if (!server.listening) return;
      closing = true;
      // Responses not yet started tell their client the connection ends with them.
      for (const res of active) {
        if (!res.headersSent) res.shouldKeepAlive = false;
        if (!res.writableFinished) res.once('finish', closeIdle);
      }
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const cut = setTimeout(() => server.closeAllConnections(), drainMs);
      await closed;
      clearTimeout(cut);
    },
  };
}
