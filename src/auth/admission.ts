import { dialectOf, isApiPath, type ApiRequest } from '../common/api-version/api-request';
import { ApiError } from '../common/errors/api-error';
import { REQUEST_WORDING } from '../common/errors/wording';
import { rateLimitHeaders, RateLimiter, type RateDecision } from '../common/http/rate-limiter';
import { presentedKey, unauthorized } from './api-key.guard';
import type { ApiKeyStore } from './api-key.store';

export interface AdmissionSettings {
  /** Requests per minute per key; 0: no limit. */
  rateLimitPerMinute: number;
  /** Failed authentications per minute per client address; 0: no limit. */
  authFailuresPerMinute: number;
}

export interface AdmissionResult {
  /** The answer, when the request is refused (401, 400, 429). */
  error?: ApiError;
  /** Headers for the response either way (the rate-limit headers). */
  headers?: Record<string, string>;
}

const CREDENTIAL_HEADERS = ['authorization', 'api-key'];

function duplicateCredential(rawHeaders: readonly string[]): string | undefined {
  const seen = new Set<string>();
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i].toLowerCase();
    if (!CREDENTIAL_HEADERS.includes(name)) continue;
    if (seen.has(name)) return name;
    seen.add(name);
  }
  return undefined;
}

function tooMany(azure: boolean, decision: RateDecision, message: string): ApiError {
  const seconds = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
  if (azure) return new ApiError(429, { code: '429', message: REQUEST_WORDING.azureRateLimited(seconds) });
  return new ApiError(429, { message, type: 'requests', param: null, code: 'rate_limit_exceeded' });
}

/**
 * Who may make an API request, decided by each platform as soon as the route is known and before
 * the body is read (src/platform): a request without a valid key costs a hash and a map lookup,
 * whatever its body. One key header of each kind (two `Authorization` headers: 400, Node would
 * keep the first); a valid key (401 otherwise, or 429 once its client address has failed more
 * than `authFailuresPerMinute` times in the last minute); then the key's rate limit (429 with
 * `Retry-After`). Sets the request's tenant; ApiKeyGuard then lets it through.
 */
export class Admission {
  private readonly perKey: RateLimiter;
  private readonly failures: RateLimiter;

  constructor(
    private readonly keys: ApiKeyStore,
    settings: AdmissionSettings,
  ) {
    this.perKey = new RateLimiter(settings.rateLimitPerMinute);
    this.failures = new RateLimiter(settings.authFailuresPerMinute);
  }

  /** `path`: the path the router matches (decoded); `client`: the peer's address. */
  admit(request: ApiRequest, path: string, rawHeaders: readonly string[], client: string): AdmissionResult {
    if (!isApiPath(path)) return {};
    const azure = dialectOf(path) === 'azure';
    const duplicate = duplicateCredential(rawHeaders);
    if (duplicate) return { error: ApiError.badRequest(REQUEST_WORDING.duplicateCredentials(duplicate), null, 'invalid_request') };
    const secret = presentedKey(request, azure);
    const known = secret === undefined ? undefined : this.keys.identify(secret);
    if (known === undefined) {
      if (this.failures.enabled) {
        const decision = this.failures.take(client);
        if (!decision.allowed) {
          const seconds = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
          return { error: tooMany(azure, decision, REQUEST_WORDING.tooManyFailures(seconds)), headers: { 'retry-after': String(seconds) } };
        }
      }
      return { error: unauthorized(azure, secret) };
    }
    request.tenant = known.tenant;
    if (!this.perKey.enabled) return {};
    const decision = this.perKey.take(known.key);
    const headers = rateLimitHeaders(decision);
    if (decision.allowed) return { headers };
    const seconds = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
    return { error: tooMany(azure, decision, REQUEST_WORDING.rateLimited(decision.limit, seconds)), headers };
  }
}
