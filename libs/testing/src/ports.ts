import { connect } from 'node:net';

/** A port on 127.0.0.1 that nothing listens on: connecting to it is refused at once, like a stopped server. */
export async function closedPort(): Promise<number> {
  // Below Linux's ephemeral range (32768-60999): servers that listen on port 0, as every test
  // server does, never get it, so the port stays closed while the test uses it (a port picked by
  // listen(0) and closed again could be handed to the next test server at once).
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (await refuses(port)) return port;
  }
}

/** True when nothing listens on 127.0.0.1:port. */
function refuses(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}
