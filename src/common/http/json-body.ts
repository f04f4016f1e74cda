import { ApiError } from '../errors/api-error';

export const MAX_JSON_DEPTH = 32;

/** String.prototype.isWellFormed (Node 20), not yet in the ES2022 lib types. */
type WellFormed = string & { isWellFormed(): boolean };

/**
 * Keys that never reach a DTO: object copies turn `__proto__` into a prototype, and the
 * validation pipe deletes `__proto__`, `prototype` and `constructor` without a word. Refused
 * instead, so that nothing sent is silently dropped.
 */
export const RESERVED_KEYS = ['__proto__', 'prototype', 'constructor'];

/**
 * What is wrong with a parsed body: nesting deeper than `maxDepth`, a reserved key, or a string
 * that is not well-formed Unicode (a lone surrogate, which PostgreSQL cannot store). Walked
 * without recursion, so that no input can exhaust the stack.
 */
export function jsonStructureProblem(value: unknown, maxDepth: number): ApiError | undefined {
  const stack: [unknown, number, string][] = [[value, 1, '']];
  while (stack.length > 0) {
    const [item, depth, path] = stack.pop() as [unknown, number, string];
    if (item === null || typeof item !== 'object') continue;
    if (depth > maxDepth) return ApiError.badRequest(`The JSON body nests deeper than ${maxDepth} levels.`, null, 'json_too_deep');
    const array = Array.isArray(item);
    for (const key of array ? [] : RESERVED_KEYS) {
      if (!Object.prototype.hasOwnProperty.call(item, key)) continue;
      const param = path ? `${path}.${key}` : key;
      return ApiError.badRequest(`Invalid '${param}': the key '${key}' is not allowed.`, param, 'invalid_value');
    }
    for (const [key, child] of Object.entries(item)) {
      const here = array ? `${path}[${key}]` : path ? `${path}.${key}` : key;
      if (typeof child === 'string' && !(child as WellFormed).isWellFormed()) {
        return ApiError.badRequest(`Invalid '${here}': the string is not well-formed Unicode (it holds a lone surrogate).`, here, 'invalid_value');
      }
      if (!array && !(key as WellFormed).isWellFormed()) {
        return ApiError.badRequest(`Invalid key in '${path || 'body'}': not well-formed Unicode (it holds a lone surrogate).`, path || null, 'invalid_value');
      }
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1, here]);
    }
  }
  return undefined;
}

export const invalidJson = (): ApiError =>
  ApiError.badRequest(
    'We could not parse the JSON body of your request. The API expects a JSON payload, but what was sent was not valid JSON.',
    null,
    'invalid_json',
  );

export function unsupportedMediaType(contentType: string | undefined): ApiError {
  return new ApiError(415, {
    message: `Unsupported content type '${contentType ?? ''}'. Send the body as application/json.`,
    type: 'invalid_request_error',
    param: null,
    code: 'unsupported_media_type',
  });
}

export const bodyTooLarge = (): ApiError =>
  new ApiError(413, { message: 'Request body too large.', type: 'invalid_request_error', param: null, code: 'request_too_large' });

/** A body shorter or longer than its Content-Length. */
export const bodyLengthMismatch = (): ApiError => ApiError.badRequest('Request body size did not match Content-Length.', null, null);

/** Fails on bytes that are not UTF-8, rather than replacing them with U+FFFD (which would store text never sent). */
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * A JSON body as the API takes it, from its bytes: not valid UTF-8 is refused, an empty body is no body (undefined), anything but an object or
 * array is refused, and so is a structure `jsonStructureProblem` finds wrong. Each platform's body
 * parser (src/platform) calls this, and refuses a body of any other content type with
 * `unsupportedMediaType` (it would otherwise be silently ignored).
 */
export function parseJsonBody(bytes: Uint8Array): unknown {
  let text: string;
  try {
    text = UTF8.decode(bytes);
  } catch {
    throw ApiError.badRequest('The body is not valid UTF-8.', null, 'invalid_json');
  }
  if (text.trim() === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalidJson();
  }
  if (value === null || typeof value !== 'object') throw invalidJson();
  const problem = jsonStructureProblem(value, MAX_JSON_DEPTH);
  if (problem) throw problem;
  return value;
}
