import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiRequest } from '../common/api-version/api-request';

/** The route's pattern, not its path: ids stay out of metrics labels. */
export function routeOf(request: FastifyRequest): string {
  return request.routeOptions.url ?? 'unmatched';
}

/**
 * One structured line per request, on the request's logger (which carries its request id):
 * method, route, status, duration and tenant. Never a key, a header or a body.
 */
export function registerRequestLogging(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    request.log.info(
      {
        method: request.method,
        route: routeOf(request),
        status: reply.statusCode,
        duration_ms: Math.round(reply.elapsedTime * 100) / 100,
        tenant: (request as ApiRequest).tenant,
      },
      'request',
    );
    done();
  });
}
