import { HttpException } from '@nestjs/common';

export type ErrorType = 'invalid_request_error' | 'authentication_error' | 'server_error' | 'rate_limit_error';

export interface ErrorBody {
  message: string;
  type: ErrorType | string;
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

  static unknownParameter(param: string, hint = ''): ApiError {
    return ApiError.badRequest(`Unknown parameter: '${param}'.${hint}`, param, 'unknown_parameter');
  }

  static conflict(message: string): ApiError {
    return new ApiError(409, { message, type: 'invalid_request_error', param: null, code: 'conflict' });
  }

  /** A URL whose path is not valid percent-encoding. */
  static invalidUrl(): ApiError {
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

export const threadNotFound = (id: string): ApiError => ApiError.notFound(`No thread found with id '${id}'.`);
export const messageNotFound = (id: string): ApiError => ApiError.notFound(`No message found with id '${id}'.`);
