import type { FastifyInstance, FastifyReply } from 'fastify';
import { ApiError } from '../errors/api-error';

const TIMERS = Symbol('requestTimer');
type TimedReply = FastifyReply & { [TIMERS]?: NodeJS.Timeout };

/** A request still unanswered after `timeoutMs` gets 504 in the error envelope. */
export function registerRequestTimeout(fastify: FastifyInstance, timeoutMs: number): void {
  fastify.addHook('onRequest', (_request, reply: TimedReply, done) => {
    reply[TIMERS] = setTimeout(() => {
      if (reply.sent || reply.raw.headersSent) return;
      const error = new ApiError(504, { message: 'The request timed out.', type: 'timeout', param: null, code: 'timeout' });
      void reply.code(504).type('application/json; charset=utf-8').send(JSON.stringify({ error: error.body }));
    }, timeoutMs);
    reply[TIMERS].unref();
    done();
  });
  const clear = (_request: unknown, reply: TimedReply, done: () => void) => {
    clearTimeout(reply[TIMERS]);
    done();
  };
  fastify.addHook('onResponse', clear);
  fastify.addHook('onRequestAbort', (request, done) => {
    clear(request, request.raw as unknown as TimedReply, done);
  });
}
