// The floor for a Node proxy, a reference for vs-proxies.ts: node:http in, one undici Pool out
// (64 keep-alive sockets, as the lb), body forwarded chunk by chunk, no balancing, metrics or
// header policy. Usage: node bench/lb/min-proxy.ts <listenPort> <upstreamPort>   (run from the repo root)
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Readable } from 'node:stream';

interface MinPool {
  request(o: {
    path: string;
    method: string;
    headers: IncomingHttpHeaders;
  }): Promise<{ statusCode: number; headers: IncomingHttpHeaders; body: Readable }>;
}
// undici is a dependency of services/lb, not of the repo root.
const require = createRequire(join(process.cwd(), 'services/lb/package.json'));
const { Pool } = require('undici') as {
  Pool: new (origin: string, o: { connections: number; pipelining: number }) => MinPool;
};

const [listen, upstream] = process.argv.slice(2).map(Number);
const pool = new Pool(`http://127.0.0.1:${upstream}`, { connections: 64, pipelining: 1 });
createServer((req, res) => {
  const headers = { ...req.headers, 'x-forwarded-for': req.socket.remoteAddress };
  delete headers.connection;
  pool
    .request({ path: req.url ?? '/', method: req.method ?? 'GET', headers })
    .then(({ statusCode, headers: h, body }) => {
      delete h.connection;
      delete h['keep-alive'];
      res.writeHead(statusCode, h);
      body.on('data', (c: Buffer) => {
        if (!res.write(c)) body.pause();
      });
      res.on('drain', () => body.resume());
      body.once('end', () => res.end());
      body.once('error', () => res.destroy());
    })
    .catch(() => {
      res.writeHead(502).end();
    });
}).listen(listen, '127.0.0.1');
