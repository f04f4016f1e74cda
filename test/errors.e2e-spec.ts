import { expectErrorEnvelope } from './support/envelope';
import request from 'supertest';
import { bearer, KEY_A, snapshot, startTestApp, TestApp } from './support/test-app';

/**
 * The error envelope outside validation: unknown routes, bodies that are not JSON objects,
 * unsupported content types, bodies over the limit, hostile ids. Every response is JSON and
 * none carries a stack trace or SQL.
 */

const AZURE_VERSION = '2024-08-01-preview';
const auth = bearer(KEY_A);
const STACK_TRACE = /\n\s*at\s|\bat\s+\S+\s+\(\S+:\d+:\d+\)|\.ts:\d+|\.js:\d+|node_modules/;
const SQL =
  /\b(SELECT|INSERT INTO|UPDATE\s+\w+\s+SET|DELETE FROM|RETURNING|WHERE)\b|QueryFailedError|syntax error|relation "|violates|duplicate key|invalid byte sequence|pg_|\$\d\b/;

function expectEnvelope(res: request.Response, status: number): void {
  expectErrorEnvelope(res, status);
  expectNoLeak(res);
}

function expectNoLeak(res: request.Response): void {
  expect(res.text ?? '').not.toMatch(STACK_TRACE);
  expect(res.text ?? '').not.toMatch(SQL);
}

describe('errors', () => {
  let t: TestApp;
  let threadId: string;
  let messageId: string;

  beforeAll(async () => {
    t = await startTestApp();
    const thread = await t.http
      .post('/v1/threads')
      .set(auth)
      .send({ metadata: { keep: 'me' } });
    expect(thread.status).toBe(200);
    threadId = thread.body.id;
    const message = await t.http.post(`/v1/threads/${threadId}/messages`).set(auth).send({ role: 'user', content: 'hi' });
    expect(message.status).toBe(200);
    messageId = message.body.id;
  });

  afterAll(async () => {
    await t?.close();
  });

  describe('unknown routes', () => {
    const cases: [string, string, Record<string, string>][] = [
      ['GET', '/v1/nothing', auth],
      ['GET', '/v1/threads', auth],
      ['GET', '/v1/threads/{id}/runs', auth],
      ['POST', '/v1/assistants', auth],
      ['PUT', '/v1/threads/{id}', auth],
      ['PATCH', '/v1/threads/{id}', auth],
      ['DELETE', '/v1/threads', auth],
      ['GET', '/v2/threads/{id}', auth],
      ['GET', '/', {}],
      ['GET', '/openai/nothing', { 'api-key': KEY_A }],
      ['GET', '/openai/threads', { 'api-key': KEY_A }],
      ['GET', '/openai/deployments/gpt-4o/chat/completions', { 'api-key': KEY_A }],
    ];

    it.each(cases)('%s %s: 404 envelope naming the method and path', async (method, template, headers) => {
      const path = template.replace('{id}', threadId);
      const url = path.startsWith('/openai') ? `${path}?api-version=${AZURE_VERSION}` : path;
      const res = await t.http[method.toLowerCase() as 'get' | 'post' | 'put' | 'patch' | 'delete'](url).set(headers);
      expectEnvelope(res, 404);
      expect(res.body.error).toEqual({ message: `Invalid URL (${method} ${path})`, type: 'invalid_request_error', param: null, code: null });
    });

    it('a v1-only message-files route is a 404 in the v2 shape', async () => {
      const res = await t.http.get(`/v1/threads/${threadId}/messages/${messageId}/files`).set(auth);
      expectEnvelope(res, 404);
    });
  });

  describe('bodies that are not a JSON object', () => {
    const malformed = ['{"metadata":', '{metadata: {}}', "{'metadata': {}}", '{"metadata": {},}', '{"a":1}{"b":2}', '\u0000'];
    const targets: [string, () => string][] = [
      ['POST /v1/threads', () => '/v1/threads'],
      ['POST /v1/threads/{id}', () => `/v1/threads/${threadId}`],
      ['POST /v1/threads/{id}/messages', () => `/v1/threads/${threadId}/messages`],
      ['POST /openai/threads', () => `/openai/threads?api-version=${AZURE_VERSION}`],
    ];

    describe.each(targets)('%s', (_name, url) => {
      it.each(malformed)('malformed JSON %p: 400 envelope, nothing stored', async (raw) => {
        const before = await snapshot(t.db);
        const res = await t.http.post(url()).set(auth).set('api-key', KEY_A).set('Content-Type', 'application/json').send(raw);
        expectEnvelope(res, 400);
        expect(res.body.error.param).toBeNull();
        expect(await snapshot(t.db)).toBe(before);
      });

      it.each(['"hello"', '42', 'true', '[]', '[{"role":"user","content":"x"}]'])('JSON %s instead of an object: 400 envelope, nothing stored', async (raw) => {
        const before = await snapshot(t.db);
        const res = await t.http.post(url()).set(auth).set('api-key', KEY_A).set('Content-Type', 'application/json').send(raw);
        expectEnvelope(res, 400);
        expect(await snapshot(t.db)).toBe(before);
      });
    });
  });

  describe('content types', () => {
    const types: [string, string][] = [
      ['text/plain', '{"metadata":{"a":"b"}}'],
      ['application/x-www-form-urlencoded', 'metadata[a]=b'],
      ['application/xml', '<thread><metadata/></thread>'],
      ['multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\nb\r\n--x--\r\n'],
      ['application/merge-patch+json', '{"metadata":{"a":"b"}}'],
    ];

    it.each(types)('POST /v1/threads with %s and a body: 415 envelope, nothing stored', async (type, body) => {
      const before = await snapshot(t.db);
      const res = await t.http.post('/v1/threads').set(auth).set('Content-Type', type).send(body);
      expectEnvelope(res, 415);
      expect(await snapshot(t.db)).toBe(before);
    });

    it('modify with a text/plain body: 415, the thread unchanged', async () => {
      const before = await snapshot(t.db);
      const res = await t.http.post(`/v1/threads/${threadId}`).set(auth).set('Content-Type', 'text/plain').send('{"metadata":{"changed":"yes"}}');
      expectEnvelope(res, 415);
      expect(await snapshot(t.db)).toBe(before);
    });

    it('create message with a text/plain body: 415, nothing stored', async () => {
      const before = await snapshot(t.db);
      const res = await t.http.post(`/v1/threads/${threadId}/messages`).set(auth).set('Content-Type', 'text/plain').send('{"role":"user","content":"x"}');
      expectEnvelope(res, 415);
      expect(await snapshot(t.db)).toBe(before);
    });

    it('Azure create with a text/plain body: 415, nothing stored', async () => {
      const before = await snapshot(t.db);
      const res = await t.http.post(`/openai/threads?api-version=${AZURE_VERSION}`).set('api-key', KEY_A).set('Content-Type', 'text/plain').send('{}');
      expectEnvelope(res, 415);
      expect(await snapshot(t.db)).toBe(before);
    });

    it('application/json with a charset parameter is accepted', async () => {
      const res = await t.http.post('/v1/threads').set(auth).set('Content-Type', 'application/json; charset=utf-8').send('{"metadata":{"cs":"utf8"}}');
      expect(res.status).toBe(200);
      expect(res.body.metadata).toEqual({ cs: 'utf8' });
    });
  });

  describe('hostile ids never reach the client as a server error', () => {
    it.each([
      ['GET', '/v1/threads/{id}'],
      ['POST', '/v1/threads/{id}'],
      ['DELETE', '/v1/threads/{id}'],
      ['POST', '/v1/threads/{id}/messages'],
      ['GET', '/v1/threads/{id}/messages'],
    ])('%s %s with a NUL byte in the thread id: 404 No thread found', async (method, template) => {
      const before = await snapshot(t.db);
      const body = template.endsWith('/messages') ? { role: 'user', content: 'x' } : { metadata: { a: 'b' } };
      const req = t.http[method.toLowerCase() as 'get' | 'post' | 'delete'](template.replace('{id}', 'thread_%00abc')).set(auth);
      const res = method === 'POST' ? await req.send(body) : await req;
      expectEnvelope(res, 404);
      expect(res.body.error.message).toBe(`No thread found with id 'thread_\u0000abc'.`);
      expect(await snapshot(t.db)).toBe(before);
    });

    it('a NUL byte in a message id: 404, not a server error', async () => {
      const res = await t.http.get(`/v1/threads/${threadId}/messages/msg_%00abc`).set(auth);
      expectEnvelope(res, 404);
    });

    it('a NUL byte in a list cursor: 400 naming the cursor, not a server error', async () => {
      const res = await t.http.get(`/v1/threads/${threadId}/messages?after=msg_%00abc`).set(auth);
      expectEnvelope(res, 400);
      expect(res.body.error.param).toBe('after');
    });

    it.each(["thread_'; DROP TABLE threads; --", 'thread_" OR 1=1 --', 'thread_%25%27', `thread_${'a'.repeat(500)}`, 'thread_😀'])(
      'the id %p is just an unknown id: 404 with the id echoed, tables intact',
      async (id) => {
        const res = await t.http.get(`/v1/threads/${encodeURIComponent(id)}`).set(auth);
        expectEnvelope(res, 404);
        expect(res.body.error.message).toBe(`No thread found with id '${id}'.`);
        const { rows } = await t.db.query('SELECT count(*)::int AS n FROM threads WHERE id = $1', [threadId]);
        expect(rows[0].n).toBe(1);
      },
    );

    it('a malformed percent-encoding in the path: a 4xx envelope', async () => {
      const res = await t.http.get('/v1/threads/%E0%A4%A').set(auth);
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expectEnvelope(res, res.status);
    });
  });

  describe('every response', () => {
    it('is application/json and carries no stack trace or SQL, success or error', async () => {
      const created = await t.http
        .post('/v1/threads')
        .set(auth)
        .send({ metadata: { a: 'b' } });
      const id = created.body.id as string;
      const az = (path: string) => `/openai${path}?api-version=${AZURE_VERSION}`;
      const responses: [string, request.Response][] = [
        ['create', created],
        ['create (no body)', await t.http.post('/v1/threads').set(auth)],
        ['retrieve', await t.http.get(`/v1/threads/${id}`).set(auth)],
        [
          'modify',
          await t.http
            .post(`/v1/threads/${id}`)
            .set(auth)
            .send({ metadata: { c: 'd' } }),
        ],
        ['create message', await t.http.post(`/v1/threads/${id}/messages`).set(auth).send({ role: 'user', content: 'x' })],
        ['list messages', await t.http.get(`/v1/threads/${id}/messages`).set(auth)],
        ['azure retrieve', await t.http.get(az(`/threads/${id}`)).set('api-key', KEY_A)],
        ['azure list messages', await t.http.get(az(`/threads/${id}/messages`)).set('api-key', KEY_A)],
        ['healthz', await t.http.get('/healthz')],
        ['readyz', await t.http.get('/readyz')],
        ['401 openai', await t.http.get(`/v1/threads/${id}`)],
        ['401 azure', await t.http.get(az(`/threads/${id}`))],
        ['400 api-version', await t.http.get(`/openai/threads/${id}`).set('api-key', KEY_A)],
        ['400 beta', await t.http.get(`/v1/threads/${id}`).set(auth).set('OpenAI-Beta', 'assistants=v9')],
        ['400 validation', await t.http.post('/v1/threads').set(auth).send({ metadata: 'x' })],
        ['400 unknown parameter', await t.http.post('/v1/threads').set(auth).send({ nope: 1 })],
        ['400 malformed', await t.http.post('/v1/threads').set(auth).set('Content-Type', 'application/json').send('{')],
        ['400 list query', await t.http.get(`/v1/threads/${id}/messages?limit=abc`).set(auth)],
        ['404 thread', await t.http.get('/v1/threads/thread_missing').set(auth)],
        ['404 route', await t.http.get('/v1/nothing').set(auth)],
        ['415', await t.http.post('/v1/threads').set(auth).set('Content-Type', 'text/plain').send('x')],
        ['delete', await t.http.delete(`/v1/threads/${id}`).set(auth)],
        ['404 after delete', await t.http.get(`/v1/threads/${id}`).set(auth)],
      ];
      const statuses = new Set(responses.map(([, res]) => res.status));
      expect([...statuses].sort()).toEqual([200, 400, 401, 404, 415]);
      for (const [name, res] of responses) {
        expect([name, res.headers['content-type']]).toEqual([name, expect.stringMatching(/^application\/json/)]);
        expect(() => JSON.parse(res.text)).not.toThrow();
        expect([name, STACK_TRACE.test(res.text), SQL.test(res.text)]).toEqual([name, false, false]);
      }
    });
  });
});

describe('body size limit (bodyLimitBytes: 1024)', () => {
  let t: TestApp;
  let threadId: string;

  beforeAll(async () => {
    t = await startTestApp({ bodyLimitBytes: 1024 });
    const thread = await t.http
      .post('/v1/threads')
      .set(auth)
      .send({ metadata: { keep: 'me' } });
    expect(thread.status).toBe(200);
    threadId = thread.body.id;
  });

  afterAll(async () => {
    await t?.close();
  });

  /** A valid body of about `bytes` bytes: metadata values of at most 512 characters. */
  const bodyOf = (bytes: number) => {
    const metadata: Record<string, string> = {};
    let remaining = bytes - 20;
    for (let i = 0; remaining > 0; i++) {
      const size = Math.min(500, remaining);
      metadata[`k${i}`] = 'x'.repeat(size);
      remaining -= size + 10;
    }
    return { metadata };
  };

  it('a body under the limit is accepted', async () => {
    const body = bodyOf(900);
    expect(Buffer.byteLength(JSON.stringify(body))).toBeLessThan(1024);
    const res = await t.http.post('/v1/threads').set(auth).send(body);
    expect(res.status).toBe(200);
  });

  it.each([
    ['POST /v1/threads', () => '/v1/threads'],
    ['POST /v1/threads/{id}', () => `/v1/threads/${threadId}`],
    ['POST /v1/threads/{id}/messages', () => `/v1/threads/${threadId}/messages`],
    ['POST /openai/threads', () => `/openai/threads?api-version=${AZURE_VERSION}`],
  ])('%s with a body over the limit: 413 envelope, nothing stored', async (_name, url) => {
    const body = url().endsWith('/messages') ? { role: 'user', content: 'y'.repeat(3000) } : bodyOf(2048);
    expect(Buffer.byteLength(JSON.stringify(body))).toBeGreaterThan(1024);
    const before = await snapshot(t.db);
    const res = await t.http.post(url()).set(auth).set('api-key', KEY_A).send(body);
    expectEnvelope(res, 413);
    expect(await snapshot(t.db)).toBe(before);
  });

  it('a body far over the limit is refused the same way', async () => {
    const before = await snapshot(t.db);
    const res = await t.http
      .post('/v1/threads')
      .set(auth)
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ metadata: { a: 'z'.repeat(200_000) } }));
    expectEnvelope(res, 413);
    expect(await snapshot(t.db)).toBe(before);
  });
});
