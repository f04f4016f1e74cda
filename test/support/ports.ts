import { createServer } from 'node:net';

const FIRST = 20000;
/** Linux hands out ports from 32768 up (ip_local_port_range) to listen(0) and to outgoing connections. */
const EPHEMERAL_FROM = 32768;

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A free port for a process started later (a service, a pooler): below the ephemeral range, so that no port the
 * system hands out meanwhile (an embedded PostgreSQL's, a client connection's) can be the same one.
 */
export async function portForLater(): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = FIRST + Math.floor(Math.random() * (EPHEMERAL_FROM - FIRST));
    if (await bindable(port)) return port;
  }
  throw new Error(`no free port between ${FIRST} and ${EPHEMERAL_FROM}`);
}
