import { connect, type Socket } from 'node:net';
import { parseResponses } from '@sdl/testing';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startEdge, type Edge, type Listening, type Upstream } from '../support/servers.js';

const KEY = 'slow-key';

interface Slow {
  readonly socket: Socket;
  readonly received: () => string;
  readonly closed: () => boolean;
}

/**
 * A connection that sends `first` and then (if `trickle`) one more byte every 100 ms, at most 100
 * times. The trickle starts once `first` is written: started earlier, on a loaded machine whose
 * connect takes over 100 ms, an `a` went out before the request line (`aGET ...`), which the parser
 * rightly refuses with a 400 instead of timing the request out.
 */
function slowClient(url: string, first: string, trickle = false): Slow {
  const { port } = new URL(url);
  const socket = connect({ host: '127.0.0.1', port: Number(port) });
  const chunks: Buffer[] = [];
  let closed = false;
  let sent = 0;
  let timer: NodeJS.Timeout | undefined;
  socket.on('data', (c: Buffer) => chunks.push(c));
  socket.on('error', () => undefined);
  socket.on('close', () => {
    closed = true;
    clearInterval(timer);
  });
  socket.once('connect', () => {
    if (first !== '') socket.write(first);
    if (!trickle) return;
    timer = setInterval(() => {
      if (!socket.destroyed && sent < 100) {
        socket.write('a');
        sent += 1;
      }
    }, 100);
  });
  return { socket, received: () => Buffer.concat(chunks).toString('latin1'), closed: () => closed };
}

// Slowloris and slow-body clients: each is closed once the configured headers or request timeout
// has passed, and meanwhile normal requests are served.
describe('slow clients', () => {
  let edge: Edge | undefined;
  let upstream: Upstream;
  let gateway: Listening;
  const slow: Slow[] = [];

  beforeAll(async () => {
    edge = await startEdge({ API_KEYS: `slow:${KEY}`, HEADERS_TIMEOUT_MS: '500', REQUEST_TIMEOUT_MS: '1500' });
    ({ upstream, gateway } = edge);
  });
  afterAll(async () => {
    for (const s of slow) s.socket.destroy();
    await edge?.close();
  });

  it('closes connections whose headers or body never finish, and serves normal requests meanwhile', async () => {
    const head = `POST /v1/echo HTTP/1.1\r\nHost: gw\r\nx-api-key: ${KEY}\r\nContent-Type: application/json\r\n`;
    for (let i = 0; i < 5; i++) {
      slow.push(slowClient(gateway.url, '')); // connects, never sends a byte
      slow.push(slowClient(gateway.url, `GET /v1/echo HTTP/1.1\r\nHost: gw\r\n`)); // headers never end
      slow.push(slowClient(gateway.url, `GET /v1/echo HTTP/1.1\r\nX-Pad: `, true)); // headers trickle
      slow.push(slowClient(gateway.url, `${head}Content-Length: 100\r\n\r\n{"a":`)); // body never ends
      slow.push(slowClient(gateway.url, `${head}Content-Length: 1000\r\n\r\n`, true)); // body trickles
    }
    const before = upstream.seen.length;
    let served = 0;
    await vi.waitFor(
      async () => {
        const res = await request(`${gateway.url}/v1/echo`, { headers: { 'x-api-key': KEY }, headersTimeout: 5000 });
        await res.body.dump();
        expect(res.statusCode).toBe(200);
        served += 1;
        expect(slow.filter((s) => !s.closed())).toHaveLength(0);
      },
      { timeout: 20_000, interval: 100 },
    );
    expect(served).toBeGreaterThan(1);
    // Every slow client got at most one answer, a 408 with its code; none reached the upstream.
    for (const s of slow) {
      const answers = parseResponses(s.received());
      expect(answers.length).toBeLessThanOrEqual(1);
      for (const answer of answers) {
        expect(answer.status).toBe(408);
        expect(JSON.parse(answer.body)).toMatchObject({ code: 'ERR_REQUEST_TIMEOUT' });
      }
    }
    expect(upstream.seen.length - before).toBe(served);
  });
});
