import { randomFillSync } from 'node:crypto';
import { ValidateBy } from 'class-validator';
import { invalidType, invalidValue, Problem, reports } from './errors/wording';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const ID_LENGTH = 24;

/** Random bytes drawn from crypto a pool at a time: one system call serves many ids. */
const pool = Buffer.alloc(4096);
let poolOffset = pool.length;

function randomByte(): number {
  if (poolOffset === pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  return pool[poolOffset++];
}

/** Uniform base62 from crypto: bytes of 248 and above are dropped so that no letter is favoured. */
export function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    const byte = randomByte();
    if (byte < 248) out += ALPHABET[byte % 62];
  }
  return out;
}

export const newThreadId = (): string => `thread_${randomBase62(ID_LENGTH)}`;
export const newMessageId = (): string => `msg_${randomBase62(ID_LENGTH)}`;
export const newFileId = (): string => `file-${randomBase62(ID_LENGTH)}`;

/**
 * The one id rule, for every id a client sends (path, body, cursor): 1 to 128 visible ASCII
 * characters. Anything else (a NUL byte, a space, an accent) cannot name an object.
 */
export const ID_PATTERN = /^[\x21-\x7e]+$/;
export const ID_MAX_LENGTH = 128;

export function isWellFormedId(id: unknown): id is string {
  return typeof id === 'string' && id.length > 0 && id.length <= ID_MAX_LENGTH && ID_PATTERN.test(id);
}

/** What is wrong with an id a client sent in `param`, or undefined. */
export function idProblem(value: unknown, param: string): Problem | undefined {
  if (typeof value !== 'string') return invalidType(param, 'a string', value);
  if (isWellFormedId(value)) return undefined;
  return invalidValue(param, `expected an ID of 1 to ${ID_MAX_LENGTH} visible ASCII characters (no spaces or control characters).`);
}

/** What is wrong with a list of ids, naming the first bad element (`file_ids[2]`), or undefined. */
export function idListProblem(value: unknown, param: string): Problem | undefined {
  if (!Array.isArray(value)) return invalidType(param, 'an array', value);
  for (let i = 0; i < value.length; i++) {
    const problem = idProblem(value[i], `${param}[${i}]`);
    if (problem) return problem;
  }
  return undefined;
}

/** A body field holding an id (or, with `list`, an array of ids) under the one id rule. */
export function IsObjectId(options: { list?: boolean } = {}): PropertyDecorator {
  const problem = options.list ? idListProblem : idProblem;
  return ValidateBy(
    { name: options.list ? 'isObjectIdList' : 'isObjectId', validator: { validate: (value: unknown) => problem(value, '') === undefined } },
    reports((value, param) => problem(value, param) as Problem),
  );
}
