import type { NextFunction, Request, Response } from 'express';
import { ApiError } from '../errors/api-error';

export const MAX_JSON_DEPTH = 32;

function hasBody(request: Request): boolean {
  const length = request.headers['content-length'];
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** A body that is not JSON would otherwise be silently ignored: 415. */
export function requireJsonBody(request: Request, _response: Response, next: NextFunction): void {
  if (!hasBody(request) || request.is('application/json')) return next();
  next(
    new ApiError(415, {
      message: `Unsupported content type '${request.headers['content-type'] ?? ''}'. Send the body as application/json.`,
      type: 'invalid_request_error',
      param: null,
      code: 'unsupported_media_type',
    }),
  );
}

/**
 * What is wrong with a parsed body's structure: nesting deeper than `maxDepth`, or a `__proto__`
 * key (which object copies would turn into a prototype). Walked without recursion, so that no
 * input can exhaust the stack.
 */
export function jsonStructureProblem(value: unknown, maxDepth: number): ApiError | undefined {
  const stack: [unknown, number, string][] = [[value, 1, '']];
  while (stack.length > 0) {
    const [item, depth, path] = stack.pop() as [unknown, number, string];
    if (item === null || typeof item !== 'object') continue;
    if (depth > maxDepth) return ApiError.badRequest(`The JSON body nests deeper than ${maxDepth} levels.`, null, 'json_too_deep');
    const array = Array.isArray(item);
    if (!array && Object.prototype.hasOwnProperty.call(item, '__proto__')) {
      const param = path ? `${path}.__proto__` : '__proto__';
      return ApiError.badRequest(`Invalid '${param}': the key '__proto__' is not allowed.`, param, 'invalid_value');
    }
    for (const [key, child] of Object.entries(item)) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1, array ? `${path}[${key}]` : path ? `${path}.${key}` : key]);
    }
  }
  return undefined;
}

export function checkJsonStructure(request: Request, _response: Response, next: NextFunction): void {
  next(request.body === undefined ? undefined : jsonStructureProblem(request.body, MAX_JSON_DEPTH));
}
