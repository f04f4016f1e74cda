import { bearer, KEY_A, startTestApp, TestApp } from './support/test-app';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('request ids and structured logs', () => {
  const lines: string[] = [];
  let t: TestApp;
  beforeAll(async () => (t = await startTestApp({ logLines: lines })));
  afterAll(() => t.close());

  const logged = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((entry) => entry.msg === 'request');

  it('gives every response an x-request-id, keeping a well-formed one the client sent', async () => {
    const generated = await t.http.get('/healthz').expect(200);
    expect(generated.headers['x-request-id']).toMatch(UUID);
    const kept = await t.http.get('/v1/threads/thread_x').set(bearer(KEY_A)).set('x-request-id', 'client-id.42:a_b').expect(404);
    expect(kept.headers['x-request-id']).toBe('client-id.42:a_b');
    const replaced = await t.http.get('/healthz').set('x-request-id', 'has spaces and {braces}').expect(200);
    expect(replaced.headers['x-request-id']).toMatch(UUID);
    const unauthorized = await t.http.get('/v1/threads/thread_x').expect(401);
    expect(unauthorized.headers['x-request-id']).toMatch(UUID);
  });

  it('logs one JSON line per request with its id, method, route, status, duration and tenant, and never a key or a body', async () => {
    lines.length = 0;
    const marker = 'secret-body-marker-7d1f';
    const created = await t.http
      .post('/v1/threads')
      .set(bearer(KEY_A))
      .set('x-request-id', 'req-create-1')
      .send({ metadata: { note: marker } })
      .expect(200);
    await t.http.get(`/v1/threads/${created.body.id}`).set(bearer(KEY_A)).set('x-request-id', 'req-get-1').expect(200);
    await t.http.get('/v1/threads/thread_x').set(bearer('sk-wrong-key-0123456789')).set('x-request-id', 'req-denied-1').expect(401);

    const entries = logged();
    expect(entries.map((e) => e.request_id)).toEqual(['req-create-1', 'req-get-1', 'req-denied-1']);
    expect(entries[0]).toMatchObject({ level: 30, method: 'POST', route: '/v1/threads', status: 200, tenant: 'alpha' });
    expect(entries[1]).toMatchObject({ method: 'GET', route: '/v1/threads/:thread_id', status: 200, tenant: 'alpha' });
    expect(entries[2]).toMatchObject({ status: 401 });
    expect(entries[2].tenant).toBeUndefined();
    for (const entry of entries) expect(typeof entry.duration_ms).toBe('number');
    const all = lines.join('\n');
    expect(all).not.toContain(KEY_A);
    expect(all).not.toContain('sk-wrong-key');
    expect(all).not.toContain(marker);
    expect(all).not.toContain(created.body.id);
  });
});

describe('metrics', () => {
  let t: TestApp;
  beforeAll(async () => (t = await startTestApp()));
  afterAll(() => t.close());

  const counter = (text: string, labels: string) => {
    const line = text.split('\n').find((l) => l.startsWith(`http_requests_total{${labels}}`));
    return line ? Number(line.split(' ').pop()) : 0;
  };

  it('counts requests by route and status, times them, and reports the pool and the process', async () => {
    const before = (await t.http.get('/metrics').expect(200)).text;
    await t.http.post('/v1/threads').set(bearer(KEY_A)).send({}).expect(200);
    await t.http.post('/v1/threads').set(bearer(KEY_A)).send({}).expect(200);
    await t.http.get('/v1/threads/thread_missing').set(bearer(KEY_A)).expect(404);
    const after = await t.http.get('/metrics').expect(200);
    expect(after.headers['content-type']).toMatch(/^text\/plain/);
    const created = 'method="POST",route="/v1/threads",status="200"';
    expect(counter(after.text, created) - counter(before, created)).toBe(2);
    expect(counter(after.text, 'method="GET",route="/v1/threads/:thread_id",status="404"')).toBeGreaterThanOrEqual(1);
    expect(after.text).toContain('http_request_duration_seconds_bucket{le="0.005",method="POST",route="/v1/threads",status="200"}');
    expect(after.text).toMatch(/^db_pool_connections \d+$/m);
    expect(after.text).toMatch(/^db_pool_idle_connections \d+$/m);
    expect(after.text).toMatch(/^db_pool_waiting_requests \d+$/m);
    expect(after.text).toMatch(/^process_resident_memory_bytes \d+/m);
    expect(after.text).not.toContain('thread_missing');
  });
});

describe('hardened HTTP', () => {
  let t: TestApp;
  let cors: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
    cors = await startTestApp({ corsOrigins: ['https://app.example.com'] });
  });
  afterAll(async () => {
    await cors?.close();
    await t?.close();
  });

  it('sets security headers and no x-powered-by', async () => {
    for (const response of [await t.http.post('/v1/threads').set(bearer(KEY_A)).send({}), await t.http.get('/v1/threads/x'), await t.http.get('/healthz')]) {
      expect(response.headers).toMatchObject({
        'x-content-type-options': 'nosniff',
        'x-frame-options': 'DENY',
        'referrer-policy': 'no-referrer',
        'content-security-policy': expect.stringContaining("default-src 'none'"),
      });
      expect(response.headers['x-powered-by']).toBeUndefined();
    }
    const docs = await t.http.get('/docs').expect(200);
    expect(docs.headers['content-security-policy']).toContain("script-src 'self'");
  });

  it('has CORS off by default', async () => {
    const preflight = await t.http.options('/v1/threads').set('Origin', 'https://evil.example.com').set('Access-Control-Request-Method', 'POST');
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    const simple = await t.http.get('/healthz').set('Origin', 'https://evil.example.com').expect(200);
    expect(simple.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('allows the configured origins only', async () => {
    const allowed = await cors.http
      .options('/v1/threads')
      .set('Origin', 'https://app.example.com')
      .set('Access-Control-Request-Method', 'POST')
      .set('Access-Control-Request-Headers', 'authorization,content-type');
    expect(allowed.status).toBeLessThan(300);
    expect(allowed.headers['access-control-allow-origin']).toBe('https://app.example.com');
    const other = await cors.http.get('/healthz').set('Origin', 'https://evil.example.com').expect(200);
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('refuses a body that is not JSON with 415 in the envelope', async () => {
    const response = await t.http.post('/v1/threads').set(bearer(KEY_A)).set('Content-Type', 'text/plain').send('metadata=1').expect(415);
    expect(response.body.error).toMatchObject({ type: 'invalid_request_error', code: 'unsupported_media_type' });
  });
});
