import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { TIMEOUT_ERROR } from '../errors/api-error';

const TIMEOUT_BODY = JSON.stringify({ error: TIMEOUT_ERROR });

/**
 * A request still unanswered after `timeoutMs` gets 504 in the error envelope. One sweep over
 * the requests in flight, a few times a second, instead of a timer per request.
 */
export function registerRequestTimeout(fastify: FastifyInstance, timeoutMs: number): void {
  const inFlight = new Map<FastifyRequest, { reply: FastifyReply; deadline: number }>();
  const sweep = setInterval(
    () => {
      const now = Date.now();
      for (const [request, { reply, deadline }] of inFlight) {
        if (deadline > now) continue;
        inFlight.delete(request);
        if (!reply.sent && !reply.raw.headersSent) void reply.code(504).type('application/json; charset=utf-8').send(TIMEOUT_BODY);
      }
    },
    Math.min(250, Math.max(10, timeoutMs / 4)),
  );
  sweep.unref();
  fastify.addHook('onRequest', (request, reply, done) => {
    inFlight.set(request, { reply, deadline: Date.now() + timeoutMs });
    done();
  });
  const forget = (request: FastifyRequest, _reply: unknown, done: () => void) => {
    inFlight.delete(request);
    done();
  };
  fastify.addHook('onResponse', forget);
  fastify.addHook('onRequestAbort', (request, done) => forget(request, undefined, done));
  fastify.addHook('onClose', (_instance, done) => {
    clearInterval(sweep);
    done();
  });
}
