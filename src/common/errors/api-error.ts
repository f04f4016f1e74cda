import { HttpException } from '@nestjs/common';
import { pathOf } from '../api-version/api-request';
import { Problem, unknownParameter } from './wording';

export type ErrorType = 'invalid_request_error' | 'authentication_error' | 'server_error' | 'rate_limit_error' | 'requests' | 'timeout';

export interface ErrorBody {
  message: string;
  type: ErrorType;
  param: string | null;
  code: string | null;
}

/** Azure's own body for a rejected key. */
export interface AzureErrorBody {
  code: string;
  message: string;
}

/** An error whose body is the error envelope `{"error": {...}}`. */
export class ApiError extends HttpException {
  constructor(
    status: number,
    readonly body: ErrorBody | AzureErrorBody,
  ) {
    super({ error: body }, status);
  }

  static badRequest(message: string, param: string | null = null, code: string | null = null): ApiError {
    return new ApiError(400, { message, type: 'invalid_request_error', param, code });
  }

  /** A parameter's problem, as validators and services word it. */
  static problem({ message, param, code }: Problem): ApiError {
    return ApiError.badRequest(message, param, code);
  }

  static unknownParameter(param: string, hint = ''): ApiError {
    return ApiError.problem(unknownParameter(param, hint));
  }

  static conflict(message: string): ApiError {
    return new ApiError(409, { message, type: 'invalid_request_error', param: null, code: 'conflict' });
  }

  /** A URL whose path is not valid percent-encoding. */
  static badPercentEncoding(): ApiError {
    return ApiError.badRequest('Invalid URL: the path is not valid percent-encoding.');
  }

  /** A path segment longer than the router takes (an id that long is no id). */
  static uriTooLong(maxSegment: number): ApiError {
    return new ApiError(414, {
      message: `The URL is too long: a path segment is longer than ${maxSegment} characters.`,
      type: 'invalid_request_error',
      param: null,
      code: 'uri_too_long',
    });
  }

  static notFound(message: string): ApiError {
    return new ApiError(404, { message, type: 'invalid_request_error', param: null, code: null });
  }
}

/** A request answered 504: it or its SQL statement ran past REQUEST_TIMEOUT_MS. */
export const TIMEOUT_ERROR: ErrorBody = { message: 'The request timed out.', type: 'timeout', param: null, code: 'timeout' };

/** OpenAI's answer to a URL no route serves (also to a route of the other edition: the v1-only message-file routes in v2). */
export const invalidUrl = (method: string, url: string): ApiError =>
  new ApiError(404, { message: `Invalid URL (${method} ${pathOf(url)})`, type: 'invalid_request_error', param: null, code: null });

/** No such object for the tenant (another tenant's object is a missing one): `notFound('thread', id)`. */
export const notFound = (object: string, id: string): ApiError => ApiError.notFound(`No ${object} found with id '${id}'.`);
