import OpenAI from 'openai';
import { recordingFetch, SentRequest } from '../support/sdk-clients';
import { bearer, KEY_A, KEY_B, startTestApp, TestApp } from '../support/test-app';

const PER_MINUTE = 60;

describe('Rate limits: per key, and on failed authentication per client address', () => {
  let t: TestApp & { url?: string };
  beforeAll(async () => {
    t = await startTestApp({ listen: true, rateLimitPerMinute: PER_MINUTE, authFailuresPerMinute: 10 });
  });
  afterAll(async () => {
    await t.close();
  });

  it('answers 429 in the envelope with the OpenAI headers once a key has spent its minute; other keys go on', async () => {
    const thread = await t.http.post('/v1/threads').set(bearer(KEY_B)).send({}).expect(200);
    expect(thread.headers['x-ratelimit-limit-requests']).toBe(String(PER_MINUTE));
    expect(thread.headers['x-ratelimit-remaining-requests']).toBe(String(PER_MINUTE - 1));
    expect(thread.headers['x-ratelimit-reset-requests']).toMatch(/^\d+(\.\d)?s$|^\d+ms$/);
    let refused;
    for (let i = 0; i < 10 * PER_MINUTE && !refused; i++) {
      const response = await t.http.get(`/v1/threads/${thread.body.id}`).set(bearer(KEY_B));
      if (response.status === 429) refused = response;
      else expect(response.status).toBe(200);
    }
    expect(refused?.body.error).toMatchObject({ type: 'requests', code: 'rate_limit_exceeded', param: null });
    expect(Number(refused?.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(refused?.headers['x-ratelimit-remaining-requests']).toBe('0');
    // The Azure dialect words it as Azure does.
    const azure = await t.http.get(`/openai/threads/${thread.body.id}?api-version=2024-05-01-preview`).set({ 'api-key': KEY_B }).expect(429);
    expect(azure.body.error).toMatchObject({ code: '429' });
    await t.http.get(`/v1/threads/${thread.body.id}`).set(bearer(KEY_A)).expect(404);
  });

  it('limits failed authentication per client address: 429 after the allowance, a valid key still served', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 15; i++) statuses.push((await t.http.get('/v1/threads/thread_x').set(bearer(`sk-guess-${i}-0123456789abcdefghij`))).status);
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
    expect(statuses.slice(10)).toEqual(Array(5).fill(429));
    const refused = await t.http.get('/v1/threads/thread_x').expect(429);
    expect(refused.body.error.code).toBe('rate_limit_exceeded');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    await t.http
      .post('/v1/threads')
      .set(bearer(KEY_B))
      .send({})
      .expect((r) => expect([200, 429]).toContain(r.status));
  });
});

describe('Rate limits: the official SDK', () => {
  let t: TestApp & { url?: string };
  beforeAll(async () => {
    // 6 a minute: one request back every 10 s, so the minute spent stays spent while the SDK asks.
    t = await startTestApp({ listen: true, rateLimitPerMinute: 6 });
  });
  afterAll(async () => {
    await t.close();
  });

  it('gets a 429, waits as Retry-After says, retries and succeeds', async () => {
    const sent: SentRequest[] = [];
    const client = new OpenAI({ baseURL: `${t.url}/v1`, apiKey: KEY_A, maxRetries: 3, fetch: recordingFetch(sent) });
    // Spend the key's minute, then ask through the SDK.
    let status = 200;
    for (let i = 0; i < 20 && status !== 429; i++) status = (await t.http.post('/v1/threads').set(bearer(KEY_A)).send({})).status;
    expect(status).toBe(429);
    const { data, response } = await client.beta.threads.create({ metadata: { via: 'sdk' } }).withResponse();
    expect(data.metadata).toEqual({ via: 'sdk' });
    expect(response.status).toBe(200);
    expect(sent.length).toBeGreaterThanOrEqual(2);
    expect(sent[1].headers.get('x-stainless-retry-count')).toBe('1');
  }, 60_000);
});
