import type { ValidationArguments, ValidationOptions } from 'class-validator';

/**
 * The one home of request-error wording (OpenAI's): every validator, the validation pipe and the
 * services word a bad parameter with these. A problem names the parameter by its full path
 * (`messages[1].content[0].type`) and carries the error code.
 */
export type ProblemCode = 'invalid_type' | 'invalid_value' | 'unknown_parameter' | 'unsupported_parameter' | 'missing_required_parameter';

export interface Problem {
  message: string;
  param: string;
  code: ProblemCode;
}

/** What a validator reports about a failed value, given the value and the full path of its parameter. */
export type ProblemOf = (value: unknown, param: string) => Problem;

/** The typed contract between a validator and the validation pipe, carried in class-validator's constraint context. */
export interface ProblemContext {
  problem: ProblemOf;
}

/**
 * Options for a class-validator decorator that reports a typed problem: the pipe reads the
 * problem from the context (with the full path), class-validator gets the same message.
 */
export function reports(problem: ProblemOf, options: ValidationOptions = {}): ValidationOptions {
  return { ...options, message: (a: ValidationArguments) => problem(a.value, a.property).message, context: { problem } satisfies ProblemContext };
}

/** A value as OpenAI's messages name it: `null`, `an array`, `an object`, `an integer`, `a string`... */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'number' && Number.isInteger(value)) return 'an integer';
  return `a ${typeof value}`;
}

/** A value quoted as it was sent (`'foo'`, `'12'`), or described when it is no scalar (`an object`): an object's own `toString` key must not break the message. */
export function quoted(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? `'${String(value)}'` : describe(value);
}

/** `'a' or 'b'`, `'a', 'b' or 'c'`. */
export function quotedChoices(values: readonly string[]): string {
  const choices = values.map((value) => `'${value}'`);
  return choices.length > 1 ? `${choices.slice(0, -1).join(', ')} or ${choices[choices.length - 1]}` : choices.join('');
}

export const invalidType = (param: string, expected: string, value: unknown): Problem => ({
  message: `Invalid type for '${param}': expected ${expected}, but got ${describe(value)} instead.`,
  param,
  code: 'invalid_type',
});

/** `Invalid 'param': <what>.` */
export const invalidValue = (param: string, what: string): Problem => ({ message: `Invalid '${param}': ${what}`, param, code: 'invalid_value' });

export const notOneOf = (param: string, values: readonly string[], value: unknown): Problem => ({
  message: `Invalid value for '${param}': expected one of ${quotedChoices(values)}, but got ${quoted(value)} instead.`,
  param,
  code: 'invalid_value',
});

/** A key that would be dropped on the way (`__proto__`, `prototype`, `constructor`), at `param`. */
export const reservedKey = (param: string, key: string): Problem => invalidValue(param, `the key '${key}' is not allowed.`);

export const unknownParameter = (param: string, hint = ''): Problem => ({ message: `Unknown parameter: '${param}'.${hint}`, param, code: 'unknown_parameter' });

export const missingParameter = (param: string): Problem => ({ message: `Missing required parameter: '${param}'.`, param, code: 'missing_required_parameter' });

export const arrayTooLong = (param: string, max: number, length: number): Problem =>
  invalidValue(param, `array too long. Expected an array with maximum length ${max}, but got an array with length ${length} instead.`);

export const emptyArray = (param: string): Problem =>
  invalidValue(param, 'empty array. Expected an array with minimum length 1, but got an empty array instead.');

export const contentTooLong = (param: string, max: number, length: number): Problem =>
  invalidValue(param, `content too long. Expected content parts with at most ${max} characters in all, but got ${length} characters instead.`);

export const stringTooLong = (param: string, max: number, length: number): Problem =>
  invalidValue(param, `string too long. Expected a string with maximum length ${max}, but got a string with length ${length} instead.`);

export const notAnInteger = (param: string, value: unknown): Problem => ({
  message: `Invalid type for '${param}': expected an integer, but got ${quoted(value)} instead.`,
  param,
  code: 'invalid_type',
});

/** Options for `@ArrayMaxSize(max, ...)`. */
export const tooManyItems = (max: number): ValidationOptions => reports((value, param) => arrayTooLong(param, max, (value as unknown[]).length));

/** Options for `@IsIn(values, ...)`. */
export const oneOf = (values: readonly string[]): ValidationOptions => reports((value, param) => notOneOf(param, values, value));

/** Request-level refusals that name no parameter (src/auth/admission.ts). */
export const REQUEST_WORDING = {
  duplicateCredentials: (header: string): string => `The request carries more than one '${header}' header. Send one key, once.`,
  rateLimited: (limit: number, retryAfterSeconds: number): string =>
    `Rate limit reached for requests on this key: limit ${limit} requests per minute. Please try again in ${retryAfterSeconds}s.`,
  azureRateLimited: (retryAfterSeconds: number): string =>
    `Requests to this resource have exceeded the call rate limit of its key. Please retry after ${retryAfterSeconds} seconds.`,
  tooManyFailures: (retryAfterSeconds: number): string =>
    `Too many requests with a missing or incorrect API key from your address. Please try again in ${retryAfterSeconds}s.`,
};

/** Uploads (POST /files, multipart/form-data). */
export const uploadWording = {
  notMultipart: "Invalid request: expected a multipart/form-data body with a 'file' part and a 'purpose' field.",
  malformed: (reason: string): string => `Invalid multipart/form-data body: ${reason}.`,
  oneFile: 'expected exactly one file, but got more than one.',
  notAFile: "Invalid type for 'file': expected a file (a part with a filename), but got a text field instead.",
  badFilename: "the filename must be 1 to 255 characters, without path separators ('/' or '\\\\') or control characters.",
  tooLarge: (max: number): string => `File too large: the maximum size is ${max} bytes.`,
  stalled: (idleMs: number): string => `The upload stalled: none of its bytes arrived for ${idleMs} ms. Nothing was stored; send the file again.`,
};
