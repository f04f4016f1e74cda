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


/** Ids are printable ASCII; anything else (a NUL byte, spaces, 200 characters) cannot name an object. */
export function isWellFormedId(id: string): boolean {
  return id.length > 0 && id.length <= 128 && /^[\x21-\x7e]+$/.test(id);
}
