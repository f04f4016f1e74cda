import type { IncomingHttpHeaders } from 'node:http';
import type { Logger } from 'pino';

/**
 * What the app reads of a request, on either HTTP platform (src/platform sets `id`, `log` and
 * `routePattern` on Express the way Fastify has them).
 */
export interface HttpRequest {
  method: string;
  /** The URL as sent, query string included. */
  url: string;
  headers: IncomingHttpHeaders;
  query: unknown;
  body?: unknown;
  /** The request id (x-request-id). */
  id: string;
  /** The request's logger: every line carries its request id. */
  log: Pick<Logger, 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace'>;
  /** The pattern of the route the request matched (`/v1/threads/:thread_id`); undefined when none did. */
  readonly routePattern?: string;
}
