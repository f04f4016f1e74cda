import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { sendError } from '../errors/error.filter';
import { ApiError } from '../errors/api-error';

/** A request still unanswered after `timeoutMs` gets 504 in the error envelope. */
export function requestTimeout(timeoutMs: number): RequestHandler {
  return (request: Request, response: Response, next: NextFunction) => {
    const timer = setTimeout(() => {
      if (response.headersSent) return;
      sendError(response, request, new ApiError(504, { message: 'The request timed out.', type: 'timeout', param: null, code: 'timeout' }));
    }, timeoutMs);
    timer.unref();
    response.once('close', () => clearTimeout(timer));
    next();
  };
}
