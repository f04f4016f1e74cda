import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { pathOf, requestOf } from '../common/api-version/api-request';
import { ApiError } from '../common/errors/api-error';
import { ID_PATTERN } from '../common/ids';

export interface IdempotentRequest {
  key: string;
  fingerprint: string;
}

const MAX_KEY_LENGTH = 255;

/** JSON with object keys sorted, so that the same body always hashes the same. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value as object)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** The request's `Idempotency-Key` and what identifies the request it was first sent with, or undefined. */
export const Idempotency = createParamDecorator((_: unknown, ctx: ExecutionContext): IdempotentRequest | undefined => {
  const request = requestOf(ctx);
  const header = request.headers['idempotency-key'];
  if (header === undefined) return undefined;
  const key = Array.isArray(header) ? header.join(',') : header;
  if (key.length === 0 || key.length > MAX_KEY_LENGTH || !ID_PATTERN.test(key)) {
    throw ApiError.badRequest(
      `Invalid 'Idempotency-Key' header: expected 1 to ${MAX_KEY_LENGTH} visible ASCII characters.`,
      'Idempotency-Key',
      'invalid_idempotency_key',
    );
  }
  const fingerprint = createHash('sha256')
    .update(`${request.method} ${pathOf(request.url)} ${request.shape ?? ''}\n${canonical(request.body ?? {})}`)
    .digest('hex');
  return { key, fingerprint };
});
