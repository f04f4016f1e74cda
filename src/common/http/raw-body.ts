import type { Readable } from 'node:stream';

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

/**
 * The routes whose body the platform hands through unread (any content type but JSON). `route`: the
 * path the router matched (its pattern, or the decoded path), not the URL as sent (`/%761/files`).
 */
export function isStreamedUpload(method: string, route: string): boolean {
  return method === 'POST' && UPLOAD_PATHS.has(route);
}
