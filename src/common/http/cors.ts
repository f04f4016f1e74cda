import type { IncomingHttpHeaders } from 'node:http';

const ALLOWED_METHODS = 'GET,HEAD,POST,DELETE';
/** How long a browser may cache a preflight's answer, in seconds. */
const PREFLIGHT_MAX_AGE = '600';

export interface CorsAnswer {
  /** A preflight from an allowed origin: answer 204 with `headers` and nothing else. */
  preflight: boolean;
  headers: Record<string, string>;
}

/**
 * CORS for the configured origins ('*' allows any), the same on both platforms: an allowed
 * origin is echoed, `x-request-id` is exposed, and a preflight (OPTIONS with
 * Access-Control-Request-Method) from an allowed origin is answered 204 before anything else.
 * A request from any other origin gets no CORS header and is handled as usual.
 */
export class CorsPolicy {
  private readonly any: boolean;
  private readonly origins: ReadonlySet<string>;

  constructor(origins: readonly string[]) {
    this.any = origins.includes('*');
    this.origins = new Set(origins);
  }

  static of(origins: readonly string[] | undefined): CorsPolicy | undefined {
    return origins && origins.length > 0 ? new CorsPolicy(origins) : undefined;
  }

  answer(method: string, headers: IncomingHttpHeaders): CorsAnswer {
    const origin = headers.origin;
    if (typeof origin !== 'string' || !(this.any || this.origins.has(origin))) return { preflight: false, headers: { vary: 'Origin' } };
    const requestMethod = headers['access-control-request-method'];
    if (method === 'OPTIONS' && typeof requestMethod === 'string') {
      const requestHeaders = headers['access-control-request-headers'];
      return {
        preflight: true,
        headers: {
          'access-control-allow-origin': origin,
          'access-control-allow-methods': ALLOWED_METHODS,
          ...(typeof requestHeaders === 'string' ? { 'access-control-allow-headers': requestHeaders } : {}),
          'access-control-max-age': PREFLIGHT_MAX_AGE,
          vary: 'Origin, Access-Control-Request-Headers',
          'content-length': '0',
        },
      };
    }
    return { preflight: false, headers: { 'access-control-allow-origin': origin, 'access-control-expose-headers': 'x-request-id', vary: 'Origin' } };
  }
}
