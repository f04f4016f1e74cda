import type { FastifyInstance } from 'fastify';
import { DrainState } from './drain';

/** What helmet would set for a JSON API; the docs page gets a policy that lets its own script run. */
const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'strict-transport-security': 'max-age=15552000; includeSubDomains',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'x-dns-prefetch-control': 'off',
  'x-download-options': 'noopen',
  'x-permitted-cross-domain-policies': 'none',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
};
const DOCS_POLICY = "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'";

/**
 * Headers of every response, set once as the request arrives: its request id, the security
 * headers, and `Connection: close` while the process drains for shutdown (kept-alive
 * connections then close after their response).
 */
export function registerResponseHeaders(fastify: FastifyInstance, drain: DrainState): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.headers(SECURITY_HEADERS);
    void reply.header('x-request-id', request.id);
    if (request.url === '/docs' || request.url.startsWith('/docs/')) void reply.header('content-security-policy', DOCS_POLICY);
    if (drain.draining) void reply.header('connection', 'close');
    done();
  });
}
