import type { FastifyInstance } from 'fastify';
import type { StatusPoller } from '../live/status-poller.js';

/** `GET /events`: Server-Sent Events, one `view` event per round; `GET /api/view`: one view as JSON. */
export async function eventsRoutes(app: FastifyInstance, options: { readonly poller: StatusPoller }): Promise<void> {
  const { poller } = options;
  // Open streams, ended before the server closes (else close() would wait for every browser to leave).
  const streams = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const end of [...streams]) end();
  });

  app.get('/api/view', async () => poller.latest ?? poller.read());

  app.get('/events', (req, reply) => {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    // The browser reconnects by itself after a drop; 2 s keeps a restart of the console short.
    res.write('retry: 2000\n\n');
    const unsubscribe = poller.subscribe((view) => {
      res.write(`event: view\ndata: ${JSON.stringify(view)}\n\n`);
    });
    const done = () => {
      streams.delete(done);
      unsubscribe();
      if (!res.writableEnded) res.end();
    };
    streams.add(done);
    req.raw.on('close', done);
  });
}
