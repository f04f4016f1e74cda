import { ArgumentsHost, Catch, ExceptionFilter, HttpException } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, ErrorBody, invalidUrl, TIMEOUT_ERROR } from './api-error';
import { isConnectionFailure, isQueryTimeout } from './pg-errors';

const SERVER_ERROR: ErrorBody = {
  message: 'The server had an error while processing your request. Sorry about that!',
  type: 'server_error',
  param: null,
  code: null,
};

const UNAVAILABLE: ErrorBody = {
  message: 'The service is temporarily unable to reach its database. Please retry your request shortly.',
  type: 'server_error',
  param: null,
  code: 'service_unavailable',
};

/** Errors raised below the app (Fastify, the database driver) carry these instead of an HttpException. */
interface LowLevelError {
  statusCode?: number;
  code?: string;
}

/** The request as the filter needs it; `routeOptions.url` is unset when no route matched. */
type FailedRequest = Pick<FastifyRequest, 'method' | 'url'> & { routeOptions?: { url?: string } };

export function toErrorResponse(error: unknown, request: FailedRequest): { status: number; body: object } {
  // The router's own "no such route" (Nest's not-found handler), and only it, is OpenAI's "Invalid URL".
  if (error instanceof HttpException && !(error instanceof ApiError) && error.getStatus() === 404 && request.routeOptions?.url === undefined) {
    error = invalidUrl(request.method, request.url);
  }
  if (error instanceof ApiError) return { status: error.getStatus(), body: { error: error.body } };
  const lowLevel = error as LowLevelError;
  if (lowLevel?.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || (error instanceof HttpException && error.getStatus() === 413)) {
    return { status: 413, body: { error: { message: 'Request body too large.', type: 'invalid_request_error', param: null, code: 'request_too_large' } } };
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    if (status === 503) return { status, body: { error: UNAVAILABLE } };
    if (status < 500) {
      return { status, body: { error: { message: error.message, type: 'invalid_request_error', param: null, code: null } } };
    }
  }
  if (isQueryTimeout(error)) {
    return { status: 504, body: { error: TIMEOUT_ERROR } };
  }
  if (isConnectionFailure(error)) {
    return { status: 503, body: { error: UNAVAILABLE } };
  }
  const status = lowLevel?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const message = lowLevel.code === 'FST_ERR_BAD_URL' ? 'Invalid URL: the path is not valid percent-encoding.' : 'Invalid request.';
    return { status, body: { error: { message, type: 'invalid_request_error', param: null, code: null } } };
  }
  return { status: 500, body: { error: SERVER_ERROR } };
}

/** The one place an error becomes a response: the error envelope, never a stack trace or SQL. */
@Catch()
export class ErrorFilter implements ExceptionFilter {
  catch(error: unknown, host: ArgumentsHost): void {
    const context = host.switchToHttp();
    const request = context.getRequest<FastifyRequest>();
    const reply = context.getResponse<FastifyReply>();
    const { status, body } = toErrorResponse(error, request);
    if (status >= 500) request.log.error({ err: error, status }, 'request failed');
    if (reply.sent || reply.raw.headersSent) return;
    void reply.code(status).type('application/json; charset=utf-8').send(JSON.stringify(body));
  }
}
