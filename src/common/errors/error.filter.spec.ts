import { BadRequestException, NotFoundException, ServiceUnavailableException } from '@nestjs/common';
import { ApiError, notFound } from './api-error';
import { toErrorResponse } from './error.filter';

const routed = { method: 'GET', url: '/v1/threads/thread_1?x=1', routePattern: '/v1/threads/:thread_id' };
const unrouted = { method: 'GET', url: '/v1/nowhere?x=1', routePattern: undefined };
const coded = (code: string, message = 'failed') => Object.assign(new Error(message), { code });

describe('toErrorResponse (every error as the OpenAI error envelope)', () => {
  it('answers an ApiError with its own status and body', () => {
    expect(toErrorResponse(notFound('thread', 'thread_1'), routed)).toEqual({
      status: 404,
      body: { error: { message: "No thread found with id 'thread_1'.", type: 'invalid_request_error', param: null, code: null } },
    });
  });

  it("calls the router's missing route an invalid URL, without the query", () => {
    expect(toErrorResponse(new NotFoundException('Cannot GET /v1/nowhere'), unrouted)).toEqual({
      status: 404,
      body: { error: { message: 'Invalid URL (GET /v1/nowhere)', type: 'invalid_request_error', param: null, code: null } },
    });
  });

  it('keeps the message of a 404 raised on a route', () => {
    expect(toErrorResponse(new NotFoundException('No such thing.'), routed).body).toEqual({
      error: { message: 'No such thing.', type: 'invalid_request_error', param: null, code: null },
    });
  });

  it('answers other client errors of the framework in the envelope', () => {
    expect(toErrorResponse(new BadRequestException('Bad.'), routed)).toEqual({
      status: 400,
      body: { error: { message: 'Bad.', type: 'invalid_request_error', param: null, code: null } },
    });
    expect(toErrorResponse(Object.assign(new Error('x'), { code: 'ANY_FRAMEWORK_CODE', statusCode: 413 }), routed).body).toEqual({
      error: { message: 'Request body too large.', type: 'invalid_request_error', param: null, code: 'request_too_large' },
    });
    expect(toErrorResponse(ApiError.badPercentEncoding(), routed)).toMatchObject({
      status: 400,
      body: { error: { message: 'Invalid URL: the path is not valid percent-encoding.' } },
    });
  });

  it.each([
    ['statement_timeout', coded('57014', 'canceling statement due to statement timeout'), 504, 'timeout'],
    ["pg's read timeout", new Error('Query read timeout'), 504, 'timeout'],
    ['a refused connection', coded('ECONNREFUSED'), 503, 'service_unavailable'],
    ['a server shutting down', coded('57P01', 'terminating connection due to administrator command'), 503, 'service_unavailable'],
    ['a lost connection', new Error('Connection terminated unexpectedly'), 503, 'service_unavailable'],
    ['a connection lost before the statement', new Error('Client has encountered a connection error and is not queryable'), 503, 'service_unavailable'],
    ['no connection from the pool in time', new Error('timeout exceeded when trying to connect'), 503, 'service_unavailable'],
    ['readiness refused while draining', new ServiceUnavailableException(), 503, 'service_unavailable'],
    // A code decides: the text of an error that has one is not read.
    ['another SQLSTATE whose text mentions a connection', coded('42601', 'Connection terminated near "x"'), 500, null],
    ['anything else', new TypeError('undefined is not a function'), 500, null],
  ])('%s: %d', (_name, error, status, code) => {
    const response = toErrorResponse(error, routed) as { status: number; body: { error: { code: string | null; type: string } } };
    expect({ status: response.status, code: response.body.error.code }).toEqual({ status, code });
    expect(response.body.error.type).toBe(status === 504 ? 'timeout' : 'server_error');
  });

  it('never shows a server error its cause', () => {
    expect(JSON.stringify(toErrorResponse(new Error('relation "secret" does not exist'), routed).body)).not.toContain('secret');
  });

  it('keeps an ApiError of any status as it is', () => {
    const conflict = ApiError.conflict('Busy.');
    expect(toErrorResponse(conflict, unrouted)).toEqual({ status: 409, body: { error: conflict.body } });
  });
});
