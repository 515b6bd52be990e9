import type { ServerOptions } from 'node:http';

/** The limits every listener of a service applies to its clients. */
export interface ServerLimits {
  /** A client must send its whole request within this, ms (default 30000); else 408. */
  readonly requestTimeoutMs?: number;
  /** A client must send the request line and headers within this, ms (default: requestTimeoutMs); else 408. */
  readonly headersTimeoutMs?: number;
  /** The largest request line plus headers, bytes; beyond it 431 ERR_HEADERS_TOO_LARGE (default 16384). */
  readonly maxHeaderBytes?: number;
}

/**
 * Node `http`/`https` server options for these limits: the one place they are turned into server
 * settings, for createApp's listener and any other a service opens on the same handler (TLS).
 */
export function httpServerOptions(limits: ServerLimits): ServerOptions & { requestTimeout: number } {
  const requestTimeout = limits.requestTimeoutMs ?? 30_000;
  const headersTimeout = Math.min(limits.headersTimeoutMs ?? requestTimeout, requestTimeout);
  return {
    requestTimeout,
    headersTimeout,
    maxHeaderSize: limits.maxHeaderBytes ?? 16_384,
    // createApp checks Host itself, so that the 400 carries a stable code like every other one.
    requireHostHeader: false,
    // Node enforces both timeouts only when it sweeps its connections (every 30 s by default).
    connectionsCheckingInterval: Math.max(10, Math.min(1000, Math.floor(headersTimeout / 4))),
  };
}
