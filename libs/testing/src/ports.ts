import { createServer } from 'node:net';

/**
 * A port on 127.0.0.1 that nothing listens on (bound once, then released): connecting to it is
 * refused at once, like a stopped server. Another process could take it later; tests use it at once.
 */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new TypeError('no TCP address');
  return address.port;
}
