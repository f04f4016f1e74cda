import type { IncomingHttpHeaders, Server } from 'node:http';
import type { Socket } from 'node:net';

export interface ConnectionLimits {
  headersTimeoutMs: number;
  bodyTimeoutMs: number;
  idleTimeoutMs: number;
  maxConnections: number;
}

/**
 * Node's own limits on the HTTP server, the same on either platform (Fastify sets some of them
 * at creation, Express none): a request whose headers (`headersTimeoutMs`) or whole body
 * (`bodyTimeoutMs`) have not arrived in time is answered 408 and its connection closed (see
 * client-errors.ts); a connection without traffic either way for `idleTimeoutMs` is destroyed;
 * connections beyond `maxConnections` are closed as they arrive. An upload's body is timed by its
 * progress instead of `bodyTimeoutMs` (upload-watch.ts). Node checks the first two on an
 * interval, read when the server starts listening: a fraction of the shorter timeout, so that a
 * stalled upload holds its socket for little longer than its timeout (30 s late by default).
 */
export function limitConnections(server: Server, limits: ConnectionLimits): void {
  server.headersTimeout = limits.headersTimeoutMs;
  server.requestTimeout = limits.bodyTimeoutMs;
  server.setTimeout(limits.idleTimeoutMs);
  // Node destroys a timed-out socket only when nobody listens for 'timeout': destroy it here, whoever else listens.
  server.on('timeout', (socket: Socket) => socket.destroy());
  // Between requests Node times a kept-alive connection by this instead (Node's default 5 s, Fastify's 72 s): idle's on both.
  server.keepAliveTimeout = limits.idleTimeoutMs;
  server.maxConnections = limits.maxConnections;
  const shortest = Math.min(limits.headersTimeoutMs, limits.bodyTimeoutMs);
  (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval = Math.max(50, Math.min(1_000, Math.floor(shortest / 4)));
}

/**
 * Whether a body follows the request's headers. A request answered before its body was read
 * (404, 401, 429) is answered with `connection: close`: Node would otherwise read, and throw
 * away, the rest of the body to keep the connection, as slowly as the client sends it.
 */
export function bodyFollows(headers: IncomingHttpHeaders): boolean {
  const length = headers['content-length'];
  return headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}
