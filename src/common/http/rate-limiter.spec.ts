import { rateLimitHeaders, RateLimiter, resetDuration } from './rate-limiter';

describe('RateLimiter', () => {
  it('allows a minute of requests at once, then refuses until a request has come back', () => {
    let now = 0;
    const limiter = new RateLimiter(60, 100, () => now);
    for (let i = 0; i < 60; i++) expect(limiter.take('k').allowed).toBe(true);
    const refused = limiter.take('k');
    expect(refused).toMatchObject({ allowed: false, remaining: 0, retryAfterMs: 1000 });
    expect(rateLimitHeaders(refused)).toEqual({
      'x-ratelimit-limit-requests': '60',
      'x-ratelimit-remaining-requests': '0',
      'x-ratelimit-reset-requests': '1m0s',
      'retry-after': '1',
    });
    expect(limiter.take('other').allowed).toBe(true);
    now += 1000;
    expect(limiter.take('k').allowed).toBe(true);
    expect(limiter.take('k').allowed).toBe(false);
  });

  it('holds at most maxKeys buckets', () => {
    let now = 0;
    const limiter = new RateLimiter(10, 4, () => now);
    for (let i = 0; i < 100; i++) limiter.take(`k${i}`);
    expect((limiter as unknown as { buckets: Map<string, unknown> }).buckets.size).toBeLessThanOrEqual(4);
    now += 60_000;
    expect(limiter.take('k99').remaining).toBe(9);
  });

  it('words reset times as the OpenAI API does', () => {
    expect(resetDuration(120)).toBe('120ms');
    expect(resetDuration(1500)).toBe('1.5s');
    expect(resetDuration(360_000)).toBe('6m0s');
  });
});
