import request from 'supertest';
import { bearer, KEY_A, KEY_A2, KEY_B, snapshot, startTestApp, TestApp } from './support/test-app';

/**
 * The API-key guard: every API route of both dialects refuses a missing or wrong key with the
 * dialect's own 401 body, stores nothing, and never echoes the presented secret.
 */

const AZURE_VERSION = '2024-08-01-preview';
const AZURE_401 = {
  error: {
    code: '401',
    message:
      'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.',
  },
};
/** A wrong key long enough that a leak of its middle would be visible. */
const WRONG_KEY = 'sk-wrong-SECRETMIDDLEPART-0123456789-Zq9X';

type Method = 'get' | 'post' | 'delete';
interface Route {
  method: Method;
  path: (threadId: string, messageId: string) => string;
  body?: object;
}

/** Every API route of the service (thread and message routes), with a body that would be accepted. */
const ROUTES: Route[] = [
  { method: 'post', path: () => '/threads', body: { metadata: { k: 'v' } } },
  { method: 'get', path: (t) => `/threads/${t}` },
  { method: 'post', path: (t) => `/threads/${t}`, body: { metadata: { changed: 'yes' } } },
  { method: 'delete', path: (t) => `/threads/${t}` },
  { method: 'post', path: (t) => `/threads/${t}/messages`, body: { role: 'user', content: 'hello' } },
  { method: 'get', path: (t) => `/threads/${t}/messages` },
  { method: 'get', path: (t, m) => `/threads/${t}/messages/${m}` },
  { method: 'post', path: (t, m) => `/threads/${t}/messages/${m}`, body: { metadata: { changed: 'yes' } } },
  { method: 'delete', path: (t, m) => `/threads/${t}/messages/${m}` },
  { method: 'get', path: (t, m) => `/threads/${t}/messages/${m}/files` },
  { method: 'get', path: (t, m) => `/threads/${t}/messages/${m}/files/file-abc` },
];

const routeName = (route: Route) => `${route.method.toUpperCase()} ${route.path('{thread_id}', '{message_id}')}`;

const openAiUrl = (path: string) => `/v1${path}`;
const azureUrl = (path: string) => `/openai${path}?api-version=${AZURE_VERSION}`;

function send(http: TestApp['http'], method: Method, url: string, headers: Record<string, string>, body?: object): request.Test {
  const req = http[method](url).set(headers);
  return body === undefined ? req : req.send(body);
}

function expectJson(res: request.Response): void {
  expect(res.headers['content-type']).toMatch(/^application\/json/);
}

function expectOpenAi401(res: request.Response): void {
  expect(res.status).toBe(401);
  expectJson(res);
  expect(Object.keys(res.body)).toEqual(['error']);
  expect(res.body.error).toEqual({ message: expect.any(String), type: 'invalid_request_error', param: null, code: 'invalid_api_key' });
}

function expectAzure401(res: request.Response): void {
  expect(res.status).toBe(401);
  expectJson(res);
  expect(res.body).toEqual(AZURE_401);
}

describe('API key authentication', () => {
  let t: TestApp;
  let threadId: string;
  let messageId: string;

  beforeAll(async () => {
    t = await startTestApp();
    const thread = await t.http
      .post('/v1/threads')
      .set(bearer(KEY_A))
      .send({ metadata: { owner: 'alpha' } });
    expect(thread.status).toBe(200);
    threadId = thread.body.id;
    const message = await t.http.post(`/v1/threads/${threadId}/messages`).set(bearer(KEY_A)).send({ role: 'user', content: 'hi' });
    expect(message.status).toBe(200);
    messageId = message.body.id;
  });

  afterAll(async () => {
    await t?.close();
  });

  describe('OpenAI dialect (/v1)', () => {
    describe.each(ROUTES.map((route) => [routeName(route), route] as const))('%s', (_name, route) => {
      it('answers 401 invalid_api_key without any key, and stores nothing', async () => {
        const before = await snapshot(t.db);
        const res = await send(t.http, route.method, openAiUrl(route.path(threadId, messageId)), {}, route.body);
        expectOpenAi401(res);
        expect(await snapshot(t.db)).toBe(before);
      });

      it('answers 401 invalid_api_key for a wrong key, masking it, and stores nothing', async () => {
        const before = await snapshot(t.db);
        const res = await send(t.http, route.method, openAiUrl(route.path(threadId, messageId)), bearer(WRONG_KEY), route.body);
        expectOpenAi401(res);
        expect(res.body.error.message).toMatch(/^Incorrect API key provided: /);
        expect(res.text).not.toContain(WRONG_KEY);
        expect(res.text).not.toContain('SECRETMIDDLEPART');
        expect(await snapshot(t.db)).toBe(before);
      });
    });

    it('shows at most the first 3 and last 4 characters of a wrong key', async () => {
      const res = await t.http.get(`/v1/threads/${threadId}`).set(bearer(WRONG_KEY));
      expectOpenAi401(res);
      const shown = /^Incorrect API key provided: (\S+?)\.(\s|$)/.exec(res.body.error.message)?.[1];
      expect(shown).toBeDefined();
      const visible = (shown as string).replace(/\*/g, '');
      expect(visible.length).toBeLessThanOrEqual(7);
      expect(shown).toMatch(/^[^*]{0,3}\*+[^*]{0,4}$/);
      expect(WRONG_KEY.startsWith((shown as string).split('*')[0])).toBe(true);
      expect(WRONG_KEY.endsWith((shown as string).split('*').pop() as string)).toBe(true);
    });

    it('does not reveal a valid key when a near miss of it is presented', async () => {
      const nearMiss = `${KEY_A}x`;
      const res = await t.http.get(`/v1/threads/${threadId}`).set(bearer(nearMiss));
      expectOpenAi401(res);
      expect(res.text).not.toContain(KEY_A);
      expect(res.text).not.toContain(KEY_A.slice(3, -4));
    });

    it('masks even a very short wrong key completely', async () => {
      const res = await t.http.get(`/v1/threads/${threadId}`).set(bearer('abcdefg'));
      expectOpenAi401(res);
      expect(res.text).not.toContain('abcdefg');
    });

    it.each([
      ['an empty Bearer token', { Authorization: 'Bearer ' }],
      ['the Basic scheme', { Authorization: `Basic ${Buffer.from(`user:${KEY_A}`).toString('base64')}` }],
      ['a bare key without scheme', { Authorization: KEY_A }],
      ['the Azure api-key header (not an OpenAI credential)', { 'api-key': KEY_A }],
    ])('answers 401 invalid_api_key for %s', async (_label, headers) => {
      const res = await t.http.get(`/v1/threads/${threadId}`).set(headers);
      expectOpenAi401(res);
    });

    it.each([
      ['Bearer', KEY_A],
      ['bearer', KEY_A],
      ['BEARER', KEY_A2],
    ])('accepts the %s scheme (case-insensitive)', async (scheme, key) => {
      const res = await t.http.get(`/v1/threads/${threadId}`).set('Authorization', `${scheme} ${key}`);
      expect(res.status).toBe(200);
      expect(res.body.id).toBe(threadId);
    });

    it.each([
      ['KEY_A', KEY_A],
      ['KEY_A2', KEY_A2],
      ['KEY_B', KEY_B],
    ])('lets a valid key (%s) through to the route', async (_name, key) => {
      const res = await t.http.post('/v1/threads').set(bearer(key)).send({});
      expect(res.status).toBe(200);
      expect(res.body.object).toBe('thread');
    });
  });

  describe('Azure dialect (/openai)', () => {
    describe.each(ROUTES.map((route) => [routeName(route), route] as const))('%s', (_name, route) => {
      it('answers the Azure 401 body without any key, and stores nothing', async () => {
        const before = await snapshot(t.db);
        const res = await send(t.http, route.method, azureUrl(route.path(threadId, messageId)), {}, route.body);
        expectAzure401(res);
        expect(await snapshot(t.db)).toBe(before);
      });

      it('answers the Azure 401 body for a wrong api-key, and stores nothing', async () => {
        const before = await snapshot(t.db);
        const res = await send(t.http, route.method, azureUrl(route.path(threadId, messageId)), { 'api-key': WRONG_KEY }, route.body);
        expectAzure401(res);
        expect(res.text).not.toContain(WRONG_KEY);
        expect(await snapshot(t.db)).toBe(before);
      });

      it('answers the Azure 401 body for a wrong Bearer key', async () => {
        const res = await send(t.http, route.method, azureUrl(route.path(threadId, messageId)), bearer(WRONG_KEY), route.body);
        expectAzure401(res);
        expect(res.text).not.toContain(WRONG_KEY);
      });
    });

    it('accepts the api-key header', async () => {
      const res = await t.http.get(azureUrl(`/threads/${threadId}`)).set('api-key', KEY_A);
      expect(res.status).toBe(200);
      expect(res.body.id).toBe(threadId);
    });

    it('accepts Authorization: Bearer as well', async () => {
      const res = await t.http.get(azureUrl(`/threads/${threadId}`)).set(bearer(KEY_A2));
      expect(res.status).toBe(200);
      expect(res.body.id).toBe(threadId);
    });

    it('accepts a lower-case bearer scheme', async () => {
      const res = await t.http.get(azureUrl(`/threads/${threadId}`)).set('Authorization', `bearer ${KEY_A}`);
      expect(res.status).toBe(200);
      expect(res.body.id).toBe(threadId);
    });

    it('creates with the api-key header for every configured key', async () => {
      for (const key of [KEY_A, KEY_A2, KEY_B]) {
        const res = await t.http.post(azureUrl('/threads')).set('api-key', key).send({});
        expect(res.status).toBe(200);
        expect(res.body.object).toBe('thread');
      }
    });

    it('answers the Azure 401 body for an empty api-key header', async () => {
      const res = await t.http.get(azureUrl(`/threads/${threadId}`)).set('api-key', '');
      expectAzure401(res);
    });
  });

  describe('health endpoints', () => {
    it.each(['/healthz', '/readyz'])('%s answers 200 without any key', async (path) => {
      const res = await t.http.get(path);
      expect(res.status).toBe(200);
      expectJson(res);
      expect(res.body.status).toBe('ok');
    });

    it.each(['/healthz', '/readyz'])('%s answers 200 even with a wrong key', async (path) => {
      const res = await t.http.get(path).set(bearer(WRONG_KEY)).set('api-key', WRONG_KEY);
      expect(res.status).toBe(200);
      expect(res.body.status).toBe('ok');
    });
  });
});
