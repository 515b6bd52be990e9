import { readFile } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import type { StatusPoller } from '../live/status-poller.js';
import { renderPage } from '../page/console-page.js';

/** The page's own script and style, served by the console (no CDN: it works offline). */
const ASSETS = {
  'console.js': 'text/javascript; charset=utf-8',
  'console.css': 'text/css; charset=utf-8',
} as const;
const publicDir = new URL('../../public/', import.meta.url);

/** `GET /` (the page, with the current view inlined) and `GET /static/<asset>`. */
export async function pageRoutes(
  app: FastifyInstance,
  options: { readonly poller: StatusPoller; readonly gamedayAgentPort: number },
): Promise<void> {
  // The page may call the game-day agent on the host (`./lab console --gamedays`), on its own host name.
  const agent = `http://127.0.0.1:${options.gamedayAgentPort} http://localhost:${options.gamedayAgentPort}`;
  const assets = new Map(
    await Promise.all(
      Object.keys(ASSETS).map(async (name) => [name, await readFile(new URL(name, publicDir), 'utf8')] as const),
    ),
  );

  app.get('/', async (_req, reply) => {
    const view = options.poller.latest ?? (await options.poller.read());
    return reply
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .header(
        'content-security-policy',
        `default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self' ${agent}; frame-ancestors 'none'`,
      )
      .send(renderPage(view, { gamedayAgentPort: options.gamedayAgentPort }));
  });

  app.get<{ Params: { name: string } }>('/static/:name', async (req, reply) => {
    const body = assets.get(req.params.name);
    if (body === undefined) return reply.callNotFound();
    return reply
      .type(ASSETS[req.params.name as keyof typeof ASSETS])
      .header('cache-control', 'no-cache')
      .send(body);
  });
}
