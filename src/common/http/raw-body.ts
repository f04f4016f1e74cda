import type { Readable } from 'node:stream';
import { pathOf } from '../api-version/api-request';

/**
 * A request body the platform left unread: the upload route streams it itself (multipart).
 * The stream is not enumerable, so that what hashes or logs a body sees `{}`.
 */
export class RawRequestBody {
  declare readonly stream: Readable;

  constructor(stream: Readable) {
    Object.defineProperty(this, 'stream', { value: stream, enumerable: false });
  }
}

const UPLOAD_PATHS = new Set(['/v1/files', '/openai/files']);

/** The routes whose body the platform hands through unread (any content type but JSON). */
export function isStreamedUpload(method: string, url: string): boolean {
  return method === 'POST' && UPLOAD_PATHS.has(pathOf(url));
}
