import { createHash, timingSafeEqual } from 'node:crypto';
import { AppError } from '@sdl/errors';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ConsoleErrors } from '../errors.js';

/** The cookie the page keeps the token in once the URL with `?token=` was opened. */
export const TOKEN_COOKIE = 'sdl_console_token';

/** Paths open without the token: the probes and the Prometheus scrape (inside the compose network). */
const OPEN_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

const digest = (value: string) => createHash('sha256').update(value).digest();

/** One cookie's value from a Cookie header, or undefined. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

/** The token a request presents: `Authorization: Bearer`, the cookie, or `?token=` (in that order). */
export function presentedToken(req: Pick<FastifyRequest, 'headers' | 'query'>): string | undefined {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return auth.slice('Bearer '.length);
  const cookie = cookieValue(req.headers.cookie, TOKEN_COOKIE);
  if (cookie !== undefined) return cookie;
  const query = (req.query as Record<string, unknown> | undefined)?.token;
  return typeof query === 'string' ? query : undefined;
}

/** Compares digests (equal length) in constant time, so the answer time says nothing about the token. */
export function createTokenCheck(token: string): (presented: string | undefined) => boolean {
  const expected = digest(token);
  return (presented) => presented !== undefined && timingSafeEqual(digest(presented), expected);
}

/**
 * Every route but the probes and /metrics needs the token: else 401 CONSOLE_ERR_UNAUTHORIZED.
 * `GET /?token=...` (the URL `./lab console` prints) stores it in an HttpOnly, SameSite=Strict
 * cookie and redirects to `/`, so the token leaves the address bar and the history.
 */
export function registerTokenCheck(app: FastifyInstance, token: string): void {
  const valid = createTokenCheck(token);
  app.addHook('onRequest', async (req, reply) => {
    const path = req.url.split('?')[0] ?? '';
    if (OPEN_PATHS.has(path)) return;
    const presented = presentedToken(req);
    if (!valid(presented)) throw new AppError(ConsoleErrors.unauthorized);
    const query = (req.query as Record<string, unknown> | undefined)?.token;
    if (req.method === 'GET' && path === '/' && typeof query === 'string') {
      const cookie = `${TOKEN_COOKIE}=${encodeURIComponent(query)}; Path=/; HttpOnly; SameSite=Strict`;
      return reply.header('set-cookie', cookie).redirect('/', 303);
    }
  });
}
