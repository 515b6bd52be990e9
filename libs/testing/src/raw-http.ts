import { connect } from 'node:net';
import { connect as connectTls, type ConnectionOptions } from 'node:tls';

/** One response as it came over the wire. */
export interface RawResponse {
  readonly status: number;
  /** Header names lower-cased; repeated headers joined with `, `. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** What a raw exchange got back: every response read, and whether the server closed the connection. */
export interface RawExchange {
  readonly responses: readonly RawResponse[];
  /** The server ended the connection within the wait. */
  readonly closed: boolean;
  /** Every byte received, as latin1 (what a client library would have normalized away). */
  readonly raw: string;
}

export interface RawExchangeOptions {
  /** How long to read at most, ms (default 5000). */
  readonly waitMs?: number;
  /** Stop once this many whole responses have arrived, closed or not (default: read until closed). */
  readonly responses?: number;
  /** Over TLS, with these options (a `ca` to trust, a `servername`); default plain TCP. */
  readonly tls?: ConnectionOptions;
}

/**
 * Sends `bytes` as they are (latin1 for a string) over a fresh TCP connection, with no client
 * library to normalize or refuse them, and reads until the server closes, `responses` whole
 * responses have arrived, or `waitMs` passes.
 */
export async function rawExchange(
  url: string,
  bytes: string | Buffer,
  options: RawExchangeOptions = {},
): Promise<RawExchange> {
  const { hostname, port } = new URL(url);
  const socket =
    options.tls === undefined
      ? connect({ host: hostname, port: Number(port) })
      : connectTls({ host: hostname, port: Number(port), ...options.tls });
  const chunks: Buffer[] = [];
  const closed = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), options.waitMs ?? 5000);
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      const wanted = options.responses;
      if (wanted !== undefined && parseResponses(Buffer.concat(chunks).toString('latin1')).length >= wanted) {
        clearTimeout(timer);
        resolve(false);
      }
    });
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
    // A server that resets after answering still answered: the bytes read so far count.
    socket.on('error', () => undefined);
    socket.once(options.tls === undefined ? 'connect' : 'secureConnect', () =>
      socket.write(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes),
    );
  });
  socket.destroy();
  const raw = Buffer.concat(chunks).toString('latin1');
  return { responses: parseResponses(raw), closed, raw };
}

/** The whole HTTP/1.1 responses in a byte stream (Content-Length or chunked bodies, else to the end). */
export function parseResponses(raw: string): RawResponse[] {
  const responses: RawResponse[] = [];
  let rest = raw;
  while (rest.startsWith('HTTP/')) {
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) break;
    const [statusLine = '', ...lines] = rest.slice(0, end).split('\r\n');
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
    }
    let body: string;
    rest = rest.slice(end + 4);
    if (headers['content-length'] !== undefined) {
      const length = Number(headers['content-length']);
      if (rest.length < length) break; // not all here yet
      body = rest.slice(0, length);
      rest = rest.slice(length);
    } else if (headers['transfer-encoding'] === 'chunked') {
      body = '';
      for (;;) {
        const lineEnd = rest.indexOf('\r\n');
        if (lineEnd < 0) return responses; // not all here yet
        const size = parseInt(rest.slice(0, lineEnd), 16);
        rest = rest.slice(lineEnd + 2);
        if (!(size > 0)) break;
        body += rest.slice(0, size);
        rest = rest.slice(size + 2);
      }
      rest = rest.slice(rest.indexOf('\r\n') + 2);
    } else {
      body = rest;
      rest = '';
    }
    responses.push({ status: Number(statusLine.split(' ')[1]), headers, body });
  }
  return responses;
}
