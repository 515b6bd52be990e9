import { readFileSync, unwatchFile, watchFile, type Stats } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { SecureContextOptions } from 'node:tls';
import type { Logger } from '@sdl/logging';
import { createClientErrorHandler, httpServerOptions, type ServerLimits } from '@sdl/server';
import type { FastifyInstance } from 'fastify';

declare module 'fastify' {
  interface FastifyInstance {
    /** The HTTPS listener; undefined when no certificate is configured. */
    gatewayTls: TlsListener | undefined;
  }
}

export interface TlsListener {
  /** Listens on config.host:config.tlsPort (main.ts, once the app is ready) and starts watching the certificate. */
  listen(): Promise<AddressInfo>;
}

export interface TlsListenerOptions {
  readonly host: string;
  readonly port: number;
  readonly certFile: string;
  readonly keyFile: string;
  /** How often the certificate file is checked for a change, ms. */
  readonly reloadPollMs: number;
  readonly limits: ServerLimits;
  readonly logger: Logger;
}

// TLS 1.2 and 1.3 only. For 1.2, ECDHE key exchange with AEAD ciphers only (forward secrecy; no
// CBC, no RSA key exchange, no SHA-1 MACs); 1.3's suites are all AEAD.
const CIPHERS = [
  'TLS_AES_128_GCM_SHA256',
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');

function secureContext(certFile: string, keyFile: string): SecureContextOptions {
  return {
    cert: readFileSync(certFile),
    key: readFileSync(keyFile),
    minVersion: 'TLSv1.2',
    ciphers: CIPHERS,
    honorCipherOrder: true,
  };
}

/**
 * HTTPS on its own port, in front of the same fastify handler as plain HTTP (`app.routing`: every
 * hook, limit and route applies alike), with the same client limits and parser refusals. HTTP/1.1
 * only (ALPN `http/1.1`): the proxy path and the hostile-input checks are HTTP/1 semantics, and
 * fastify serves HTTP/2 only as a whole-app mode. The certificate is re-read when its file
 * changes (rotation without a restart); a pair that does not load leaves the previous one serving.
 */
export function createTlsListener(app: FastifyInstance, options: TlsListenerOptions): TlsListener {
  const { certFile, keyFile, logger } = options;
  const server: Server = createServer(
    { ...httpServerOptions(options.limits), ...secureContext(certFile, keyFile), ALPNProtocols: ['http/1.1'] },
    (req, res) => app.routing(req, res),
  );
  server.on('clientError', createClientErrorHandler(logger));
  server.on('tlsClientError', (err: Error & { code?: string }) => {
    logger.debug({ code: err.code }, 'TLS handshake refused');
  });
  const reload = (current: Stats, previous: Stats): void => {
    if (current.mtimeMs === previous.mtimeMs) return;
    try {
      server.setSecureContext(secureContext(certFile, keyFile));
      logger.info({ certFile }, 'TLS certificate reloaded');
    } catch (err) {
      logger.warn({ err, certFile }, 'TLS certificate reload failed; the previous one keeps serving');
    }
  };
  app.addHook('onClose', async () => {
    unwatchFile(certFile, reload);
    if (!server.listening) return;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return {
    async listen() {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(options.port, options.host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      server.keepAliveTimeout = app.server.keepAliveTimeout;
      watchFile(certFile, { interval: options.reloadPollMs, persistent: false }, reload);
      const address = server.address() as AddressInfo;
      logger.info({ port: address.port }, 'HTTPS listening');
      return address;
    },
  };
}
