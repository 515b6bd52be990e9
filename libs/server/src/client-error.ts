import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { CommonErrors, toProblem, AppError, type ErrorSpec } from '@sdl/errors';
import type { Logger } from '@sdl/logging';

// What Node's HTTP server reports before any route runs: a timeout, oversized headers, or bytes
// its parser refuses (smuggling attempts, bad framing, control characters).
function specOf(code: unknown): ErrorSpec {
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return CommonErrors.requestTimeout;
  if (code === 'HPE_HEADER_OVERFLOW') return CommonErrors.headersTooLarge;
  return CommonErrors.badRequest;
}

/**
 * The answer to a request the HTTP parser refused (fastify's `clientErrorHandler`): exactly one
 * problem+json response with a stable code (400 ERR_BAD_REQUEST, 408 ERR_REQUEST_TIMEOUT, 431
 * ERR_HEADERS_TOO_LARGE), then the connection is closed: after a framing error nothing else
 * read from that connection can be trusted.
 */
export function createClientErrorHandler(logger: Logger): (err: Error & { code?: string }, socket: Socket) => void {
  return (err, socket) => {
    if (err.code === 'ECONNRESET' || socket.destroyed) return;
    const problem = toProblem(new AppError(specOf(err.code)));
    logger.debug({ code: problem.code, parserCode: err.code }, 'client error');
    if (socket.writable) {
      const body = JSON.stringify(problem);
      const head =
        `HTTP/1.1 ${problem.status} ${STATUS_CODES[problem.status] ?? ''}\r\nContent-Type: application/problem+json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n`;
      // Flushed, then torn down: whatever else the client sends on this connection is never read.
      socket.end(head + body, () => socket.destroy());
      return;
    }
    socket.destroy();
  };
}
