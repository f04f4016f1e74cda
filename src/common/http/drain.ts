import { Injectable } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';

/** Set when the process is shutting down: readiness fails and kept-alive connections are closed after their response. */
@Injectable()
export class DrainState {
  draining = false;
}

export function closeConnectionsWhenDraining(fastify: FastifyInstance, state: DrainState): void {
  fastify.addHook('onRequest', (_request, reply, done) => {
    if (state.draining) reply.header('connection', 'close');
    done();
  });
}
