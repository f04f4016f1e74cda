import { Injectable } from '@nestjs/common';
import type { NextFunction, Request, RequestHandler, Response } from 'express';

/** Set when the process is shutting down: readiness fails and kept-alive connections are closed after their response. */
@Injectable()
export class DrainState {
  draining = false;
}

export function closeConnectionsWhenDraining(state: DrainState): RequestHandler {
  return (_request: Request, response: Response, next: NextFunction) => {
    if (state.draining) response.setHeader('Connection', 'close');
    next();
  };
}
