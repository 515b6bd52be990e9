// A stand-in api node for the lb benchmarks: node:http answering every path with a fixed JSON body
// shaped like the api's GET /v1/whoami (the real api needs Postgres), and /healthz with 200.
// Keep-alive on (node's default). Usage: node bench/lb/stub-upstream.ts <port> [port...]
import { createServer } from 'node:http';

const BODY = JSON.stringify({
  id: 'usr_01hbench000000000000000000',
  email: 'bench@example.com',
  roles: ['user'],
  tenant: 'bench',
});
const HEALTH = '{"status":"ok"}';

export function startStub(port: number, host = '127.0.0.1'): Promise<void> {
  const server = createServer((req, res) => {
    const body = req.url === '/healthz' ? HEALTH : BODY;
    // Drain any request body before answering, as a real handler would.
    req.resume();
    req.on('end', () => {
      res.writeHead(200, {
        'content-type': 'application/json; charset=utf-8',
        'content-length': Buffer.byteLength(body),
      });
      res.end(body);
    });
  });
  server.keepAliveTimeout = 60_000;
  return new Promise((resolve) => server.listen(port, host, resolve));
}

if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].split('/').pop() ?? '')) {
  const ports = process.argv.slice(2).map(Number);
  await Promise.all(ports.map((p) => startStub(p)));
}
