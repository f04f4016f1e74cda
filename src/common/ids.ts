import { randomFillSync } from 'node:crypto';

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

/** What an id (or an Idempotency-Key) may hold: visible ASCII, no space. */
export const ID_PATTERN = /^[\x21-\x7e]+$/;
export const ID_MAX_LENGTH = 128;

/** Ids are printable ASCII; anything else (a NUL byte, spaces, 200 characters) cannot name an object. */
export function isWellFormedId(id: string): boolean {
  return id.length > 0 && id.length <= ID_MAX_LENGTH && ID_PATTERN.test(id);
}
