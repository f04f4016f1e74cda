import { ApiError } from '../errors/api-error';
import { reservedKey } from '../errors/wording';

export const MAX_JSON_DEPTH = 32;

/** String.prototype.isWellFormed (Node 20), not yet in the ES2022 lib types. */
type WellFormed = string & { isWellFormed(): boolean };

/**
 * Keys that never reach a DTO: object copies turn `__proto__` into a prototype, and the
 * validation pipe deletes `__proto__`, `prototype` and `constructor` without a word. Refused
 * instead, so that nothing sent is silently dropped.
 */
export const RESERVED_KEYS = ['__proto__', 'prototype', 'constructor'];

/** An object or array met on the walk, and how it was reached: enough to name its path, built only for the problem reported. */
interface Visit {
  item: object;
  depth: number;
  parent: Visit | undefined;
  key: string | number | undefined;
}

function pathOf(visit: Visit | undefined, last?: string | number): string {
  const keys: (string | number)[] = last === undefined ? [] : [last];
  for (let at = visit; at?.parent !== undefined; at = at.parent) keys.push(at.key as string | number);
  let path = '';
  for (let i = keys.length - 1; i >= 0; i--) {
    const key = keys[i];
    path += typeof key === 'number' ? `[${key}]` : path ? `.${key}` : key;
  }
  return path;
}

/**
 * What is wrong with a parsed body: nesting deeper than `maxDepth`, a reserved key, or a string
 * that is not well-formed Unicode (a lone surrogate, which PostgreSQL cannot store). Walked
 * without recursion, so that no input can exhaust the stack, and without building a path or an
 * entry per element: a path is spelled only for the problem reported, so the walk of a 10 MB
 * body costs a fraction of its parsing.
 */
export function jsonStructureProblem(value: unknown, maxDepth: number): ApiError | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const stack: Visit[] = [{ item: value, depth: 1, parent: undefined, key: undefined }];
  while (stack.length > 0) {
    const visit = stack.pop() as Visit;
    const { item, depth } = visit;
    if (depth > maxDepth) return ApiError.badRequest(`The JSON body nests deeper than ${maxDepth} levels.`, null, 'json_too_deep');
    if (Array.isArray(item)) {
      for (let index = 0; index < item.length; index++) {
        const child: unknown = item[index];
        if (typeof child === 'string') {
          if (!(child as WellFormed).isWellFormed()) return loneSurrogate(pathOf(visit, index));
        } else if (child !== null && typeof child === 'object') {
          stack.push({ item: child, depth: depth + 1, parent: visit, key: index });
        }
      }
      continue;
    }
    for (const key of RESERVED_KEYS) {
      if (!Object.prototype.hasOwnProperty.call(item, key)) continue;
      const param = pathOf(visit, key);
      return ApiError.problem(reservedKey(param, key));
    }
    for (const key in item) {
      if (!Object.prototype.hasOwnProperty.call(item, key)) continue;
      const child: unknown = (item as Record<string, unknown>)[key];
      if (typeof child === 'string' && !(child as WellFormed).isWellFormed()) return loneSurrogate(pathOf(visit, key));
      if (!(key as WellFormed).isWellFormed()) {
        const path = pathOf(visit);
        return ApiError.badRequest(`Invalid key in '${path || 'body'}': not well-formed Unicode (it holds a lone surrogate).`, path || null, 'invalid_value');
      }
      if (child !== null && typeof child === 'object') stack.push({ item: child, depth: depth + 1, parent: visit, key });
    }
  }
  return undefined;
}

const loneSurrogate = (here: string): ApiError =>
  ApiError.badRequest(`Invalid '${here}': the string is not well-formed Unicode (it holds a lone surrogate).`, here, 'invalid_value');

export const invalidJson = (): ApiError =>
  ApiError.badRequest(
    'We could not parse the JSON body of your request. The API expects a JSON payload, but what was sent was not valid JSON.',
    null,
    'invalid_json',
  );

/** A body sent compressed (a `Content-Encoding` other than identity): bodies are read as they are sent, so it is a 415. */
export function unsupportedEncoding(encoding: string | undefined): ApiError | undefined {
  const coding = encoding?.trim().toLowerCase();
  if (!coding || coding === 'identity') return undefined;
  return new ApiError(415, {
    message: `Unsupported content encoding '${encoding}'. Send the body uncompressed.`,
    type: 'invalid_request_error',
    param: null,
    code: 'unsupported_content_encoding',
  });
}

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

/** Node's error for a request whose connection closed before its body had arrived. */
export function isClientAbort(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return code === 'ECONNRESET' && message === 'aborted';
}

/**
 * The client closed the connection before its body arrived: nobody reads the answer, and it is
 * not the service's failure (not a 503 with a stack): logged as 499 at info, nginx's "client
 * closed request".
 */
export const clientClosedRequest = (): ApiError =>
  new ApiError(499, {
    message: 'The client closed the connection before its request body arrived.',
    type: 'invalid_request_error',
    param: null,
    code: 'client_closed_request',
  });
