/** What a rate limiter says about one request. */
export interface RateDecision {
  allowed: boolean;
  limit: number;
  /** Requests left right now, after this one. */
  remaining: number;
  /** Milliseconds until the bucket is full again (`x-ratelimit-reset-requests`). */
  resetMs: number;
  /** Milliseconds until one request is allowed again; 0 when allowed. */
  retryAfterMs: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * Requests per minute per key, as a token bucket: a key may spend its whole minute's allowance at
 * once, and gets it back continuously (`perMinute / 60` a second), as the OpenAI API counts.
 * Exact within one process; each instance counts on its own. Memory is bounded: at most
 * `maxKeys` buckets, full ones are dropped first (a full bucket is the same as none).
 */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly perMs: number;

  constructor(
    readonly perMinute: number,
    private readonly maxKeys = 100_000,
    private readonly now: () => number = Date.now,
  ) {
    this.perMs = perMinute / 60_000;
  }

  get enabled(): boolean {
    return this.perMinute > 0;
  }

  /** Counts one request of `key` (when `spend`), or only looks (when not). */
  take(key: string, spend = true): RateDecision {
    const now = this.now();
    const bucket = this.buckets.get(key);
    const tokens = bucket ? Math.min(this.perMinute, bucket.tokens + (now - bucket.at) * this.perMs) : this.perMinute;
    const allowed = tokens >= 1;
    const left = allowed && spend ? tokens - 1 : tokens;
    if (left < this.perMinute) {
      if (!bucket && this.buckets.size >= this.maxKeys) this.prune(now);
      this.buckets.set(key, { tokens: left, at: now });
    } else if (bucket) {
      this.buckets.delete(key);
    }
    return {
      allowed,
      limit: this.perMinute,
      remaining: Math.floor(left),
      resetMs: Math.ceil((this.perMinute - left) / this.perMs),
      retryAfterMs: allowed ? 0 : Math.ceil((1 - tokens) / this.perMs),
    };
  }

  private prune(now: number): void {
    for (const [key, bucket] of this.buckets) {
      if (bucket.tokens + (now - bucket.at) * this.perMs >= this.perMinute) this.buckets.delete(key);
    }
    // Still full of active keys: forget the oldest half rather than grow.
    if (this.buckets.size >= this.maxKeys) {
      let drop = Math.ceil(this.buckets.size / 2);
      for (const key of this.buckets.keys()) {
        if (drop-- <= 0) break;
        this.buckets.delete(key);
      }
    }
  }
}

/** `6m0s`, `1.5s`, `120ms`: the format of the OpenAI API's `x-ratelimit-reset-*` headers. */
export function resetDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.ceil(ms))}ms`;
  const seconds = Math.ceil(ms / 100) / 10;
  const minutes = Math.floor(seconds / 60);
  const rest = Math.round((seconds - minutes * 60) * 10) / 10;
  return minutes > 0 ? `${minutes}m${rest}s` : `${rest}s`;
}

/** The headers the OpenAI API sends about its request limit; `Retry-After` (whole seconds) with a 429. */
export function rateLimitHeaders(decision: RateDecision): Record<string, string> {
  const headers: Record<string, string> = {
    'x-ratelimit-limit-requests': String(decision.limit),
    'x-ratelimit-remaining-requests': String(decision.remaining),
    'x-ratelimit-reset-requests': resetDuration(decision.resetMs),
  };
  if (!decision.allowed) headers['retry-after'] = String(Math.max(1, Math.ceil(decision.retryAfterMs / 1000)));
  return headers;
}
