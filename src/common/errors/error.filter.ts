import { ArgumentsHost, Catch, ExceptionFilter, HttpException } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { HttpRequest } from '../http/http-request';
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

/** Errors raised below the app (the HTTP framework, the database driver) carry these instead of an HttpException. */
interface LowLevelError {
  statusCode?: number;
  status?: number;
  code?: string;
}

/** An error as the status and body of its response: the error envelope. */
export function toErrorResponse(error: unknown, request: Pick<HttpRequest, 'method' | 'url' | 'routePattern'>): { status: number; body: object } {
  // The router's own "no such route" (Nest's not-found handler: no route matched), and only it, is OpenAI's "Invalid URL".
  if (error instanceof HttpException && !(error instanceof ApiError) && error.getStatus() === 404 && request.routePattern === undefined) {
    error = invalidUrl(request.method, request.url);
  }
  if (error instanceof ApiError) return { status: error.getStatus(), body: { error: error.body } };
  const lowLevel = error as LowLevelError;
  if ((error instanceof HttpException && error.getStatus() === 413) || lowLevel?.statusCode === 413) {
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
  // The platforms (src/platform) turn the framework errors they know into ApiErrors; any other 4xx is still a 4xx.
  const status = lowLevel?.statusCode ?? lowLevel?.status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return { status, body: { error: { message: 'Invalid request.', type: 'invalid_request_error', param: null, code: null } } };
  }
  return { status: 500, body: { error: SERVER_ERROR } };
}

/** The one place an error becomes a response: the error envelope, never a stack trace or SQL. */
@Catch()
export class ErrorFilter implements ExceptionFilter {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(error: unknown, host: ArgumentsHost): void {
    const context = host.switchToHttp();
    const request = context.getRequest<HttpRequest>();
    const response = context.getResponse<unknown>();
    const { status, body } = toErrorResponse(error, request);
    if (status >= 500) request.log.error({ err: error, status }, 'request failed');
    const http = this.adapterHost.httpAdapter;
    if (http.isHeadersSent(response)) return;
    http.setHeader(response, 'content-type', 'application/json; charset=utf-8');
    http.reply(response, JSON.stringify(body), status);
  }
}
