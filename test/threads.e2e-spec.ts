import { expectErrorEnvelope } from './support/envelope';
import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { bearer, KEY_A, KEY_A2, KEY_B, snapshot, startTestApp, TestApp } from './support/test-app';

/** Threads CRUD, tenant isolation and request validation, in both dialects. */

type Method = 'get' | 'post' | 'delete';
type Body = object | { raw: string };

interface Dialect {
  name: string;
  url(path: string): string;
  auth(key: string): Record<string, string>;
}

const DIALECTS: Dialect[] = [
  { name: 'OpenAI dialect (/v1)', url: (path) => `/v1${path}`, auth: (key) => bearer(key) },
  { name: 'Azure dialect (/openai)', url: (path) => `/openai${path}?api-version=2024-08-01-preview`, auth: (key) => ({ 'api-key': key }) },
];

const THREAD_ID = /^thread_[0-9A-Za-z]{24}$/;
const THREAD_KEYS = ['created_at', 'id', 'metadata', 'object', 'tool_resources'];

const ALPHANUMERIC = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const missingThreadId = () => `thread_${Array.from(randomBytes(24), (b) => ALPHANUMERIC[b % 62]).join('')}`;
const notFoundBody = (id: string) => ({ error: { message: `No thread found with id '${id}'.`, type: 'invalid_request_error', param: null, code: null } });

const keys = (n: number, prefix = 'k') => Object.fromEntries(Array.from({ length: n }, (_, i) => [`${prefix}${i}`, `v${i}`]));
const ids = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
const METADATA_PARAM = expect.stringMatching(/^metadata($|\.)/);

function expectThread(body: Record<string, unknown>): void {
  expect(Object.keys(body).sort()).toEqual(THREAD_KEYS);
  expect(body.object).toBe('thread');
  expect(body.id).toMatch(THREAD_ID);
  expect(Number.isInteger(body.created_at)).toBe(true);
  expect(Math.abs((body.created_at as number) - Date.now() / 1000)).toBeLessThanOrEqual(10);
}

/** `unknown_parameter`, `unsupported_parameter`: that code; `type`: a wrong JSON type, reported as OpenAI words it ("Invalid type for '...'"). */
type Expectation = 'unknown_parameter' | 'unsupported_parameter' | 'type' | undefined;

function expectBadRequest(res: request.Response, param: unknown, expectation?: Expectation): void {
  expectErrorEnvelope(res, 400);
  expect(res.body.error.param).toEqual(param);
  if (expectation === 'unknown_parameter' || expectation === 'unsupported_parameter') expect(res.body.error.code).toBe(expectation);
  if (expectation === 'type') expect(res.body.error.message).toMatch(/^Invalid type for '[^']+'/);
}

/** Invalid bodies shared by create and modify: [label, body, expected param, what else the error must say]. */
type InvalidCase = [string, Body, unknown, Expectation];

const INVALID_METADATA: InvalidCase[] = [
  ['metadata that is a string', { metadata: 'tag' }, 'metadata', 'type'],
  ['metadata that is an array', { metadata: [['a', 'b']] }, 'metadata', 'type'],
  ['metadata that is a number', { metadata: 42 }, 'metadata', 'type'],
  ['metadata with a null value', { metadata: { a: null } }, METADATA_PARAM, 'type'],
  ['metadata with a number value', { metadata: { a: 1 } }, METADATA_PARAM, 'type'],
  ['metadata with an object value', { metadata: { a: { b: 'c' } } }, METADATA_PARAM, 'type'],
  ['metadata with an object value under the key __proto__', { raw: '{"metadata":{"__proto__":{"a":"b"}}}' }, METADATA_PARAM, undefined],
  ['metadata with 17 keys', { metadata: keys(17) }, 'metadata', undefined],
  ['metadata with a 65-character key', { metadata: { ['k'.repeat(65)]: 'v' } }, METADATA_PARAM, undefined],
  ['metadata with a 513-character value', { metadata: { k: 'v'.repeat(513) } }, METADATA_PARAM, undefined],
];

const INVALID_TOOL_RESOURCES: InvalidCase[] = [
  ['an unknown field in tool_resources', { tool_resources: { retrieval: {} } }, 'tool_resources.retrieval', 'unknown_parameter'],
  [
    'an unknown field in code_interpreter',
    { tool_resources: { code_interpreter: { file_ids: [], extra: 1 } } },
    'tool_resources.code_interpreter.extra',
    'unknown_parameter',
  ],
  [
    'an unknown field in file_search',
    { tool_resources: { file_search: { vector_store_id: 'vs_1' } } },
    'tool_resources.file_search.vector_store_id',
    'unknown_parameter',
  ],
  [
    "file_search's vector_stores helper (no vector store is created here)",
    { tool_resources: { file_search: { vector_stores: [{ file_ids: ['file-1'] }] } } },
    'tool_resources.file_search.vector_stores',
    'unsupported_parameter',
  ],
  [
    '21 code_interpreter file_ids',
    { tool_resources: { code_interpreter: { file_ids: ids(21, 'file-') } } },
    'tool_resources.code_interpreter.file_ids',
    undefined,
  ],
  [
    '2 file_search vector_store_ids',
    { tool_resources: { file_search: { vector_store_ids: ['vs_1', 'vs_2'] } } },
    'tool_resources.file_search.vector_store_ids',
    undefined,
  ],
  ['file_ids that is a string', { tool_resources: { code_interpreter: { file_ids: 'file-1' } } }, 'tool_resources.code_interpreter.file_ids', 'type'],
  ['file_ids holding a number', { tool_resources: { code_interpreter: { file_ids: [1] } } }, 'tool_resources.code_interpreter.file_ids', 'type'],
  [
    'vector_store_ids that is a string',
    { tool_resources: { file_search: { vector_store_ids: 'vs_1' } } },
    'tool_resources.file_search.vector_store_ids',
    'type',
  ],
  ['tool_resources that is a string', { tool_resources: 'code_interpreter' }, 'tool_resources', 'type'],
  ['tool_resources that is an array', { tool_resources: [] }, 'tool_resources', 'type'],
  ['code_interpreter that is a string', { tool_resources: { code_interpreter: 'file-1' } }, 'tool_resources.code_interpreter', 'type'],
  ['code_interpreter that is an array', { tool_resources: { code_interpreter: [] } }, 'tool_resources.code_interpreter', 'type'],
  ['file_search that is a number', { tool_resources: { file_search: 5 } }, 'tool_resources.file_search', 'type'],
];

const INVALID_BODY: InvalidCase[] = [
  ['a body that is a JSON array', { raw: '[]' }, null, undefined],
  ['a body that is a JSON array of objects', { raw: '[{"metadata":{}}]' }, null, undefined],
  ['a body that is a JSON string', { raw: '"hello"' }, null, undefined],
];

const INVALID_CREATE: InvalidCase[] = [
  ['an unknown top-level field', { foo: 'bar' }, 'foo', 'unknown_parameter'],
  ['an unknown top-level field next to valid ones', { metadata: { a: 'b' }, assistant_id: 'asst_1' }, 'assistant_id', 'unknown_parameter'],
  ['messages that is a string', { messages: 'hello' }, 'messages', 'type'],
  ...INVALID_METADATA,
  ...INVALID_TOOL_RESOURCES,
  ...INVALID_BODY,
];

const INVALID_MODIFY: InvalidCase[] = [
  ['an unknown top-level field', { foo: 'bar' }, 'foo', 'unknown_parameter'],
  ['messages (not modifiable)', { messages: [] }, 'messages', 'unknown_parameter'],
  ...INVALID_METADATA,
  ...INVALID_TOOL_RESOURCES,
  ...INVALID_BODY,
];

describe('threads', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });

  afterAll(async () => {
    await t?.close();
  });

  describe.each(DIALECTS)('$name', (dialect) => {
    const call = (method: Method, path: string, key: string, body?: Body): request.Test => {
      const req = t.http[method](dialect.url(path)).set(dialect.auth(key));
      if (body === undefined) return req;
      if ('raw' in body) return req.set('Content-Type', 'application/json').send(body.raw);
      return req.send(body);
    };
    const create = async (body: object = {}, key = KEY_A) => {
      const res = await call('post', '/threads', key, body);
      expect(res.status).toBe(200);
      return res.body as { id: string; created_at: number; metadata: Record<string, string>; tool_resources: object };
    };

    describe('create', () => {
      it('answers 200 (not 201) with the thread object, storing it for the tenant', async () => {
        const body = {
          metadata: { project: 'apollo', owner: 'alice' },
          tool_resources: { code_interpreter: { file_ids: ['file-1', 'file-2'] }, file_search: { vector_store_ids: ['vs_1'] } },
        };
        const res = await call('post', '/threads', KEY_A, body);
        expect(res.status).toBe(200);
        expect(res.headers['content-type']).toMatch(/^application\/json/);
        expectThread(res.body);
        expect(res.body.metadata).toEqual(body.metadata);
        expect(res.body.tool_resources).toEqual(body.tool_resources);
        const { rows } = await t.db.query('SELECT tenant_id, created_at FROM threads WHERE id = $1', [res.body.id]);
        expect(rows).toHaveLength(1);
        expect(rows[0].tenant_id).toBe('alpha');
        expect(Number(rows[0].created_at)).toBe(res.body.created_at);
      });

      it('creates an empty thread from a request with no body at all', async () => {
        const res = await t.http.post(dialect.url('/threads')).set(dialect.auth(KEY_A));
        expect(res.status).toBe(200);
        expectThread(res.body);
        expect(res.body.metadata).toEqual({});
        expect(res.body.tool_resources).toEqual({});
      });

      it('creates an empty thread from {}', async () => {
        const res = await call('post', '/threads', KEY_A, {});
        expect(res.status).toBe(200);
        expectThread(res.body);
        expect(res.body.metadata).toEqual({});
        expect(res.body.tool_resources).toEqual({});
      });

      it('gives every thread a new id', async () => {
        const seen = new Set<string>();
        for (let i = 0; i < 5; i++) seen.add((await create()).id);
        expect(seen.size).toBe(5);
        for (const id of seen) expect(id).toMatch(THREAD_ID);
      });

      it('accepts the limits exactly: 16 metadata keys, a 64-character key, a 512-character value, 20 file_ids, 1 vector store', async () => {
        const metadata = { ...keys(14), ['k'.repeat(64)]: 'x', long: 'v'.repeat(512) };
        expect(Object.keys(metadata)).toHaveLength(16);
        const tool_resources = { code_interpreter: { file_ids: ids(20, 'file-') }, file_search: { vector_store_ids: ['vs_only'] } };
        const created = await create({ metadata, tool_resources });
        expect(created.metadata).toEqual(metadata);
        expect(created.tool_resources).toEqual(tool_resources);
        const retrieved = await call('get', `/threads/${created.id}`, KEY_A);
        expect(retrieved.body).toEqual(created);
      });
    });

    describe('retrieve, modify, delete', () => {
      it('retrieves the thread exactly as created', async () => {
        const created = await create({ metadata: { a: '1' }, tool_resources: { code_interpreter: { file_ids: ['file-x'] } } });
        const res = await call('get', `/threads/${created.id}`, KEY_A);
        expect(res.status).toBe(200);
        expect(res.body).toEqual(created);
      });

      it('modify replaces the metadata and keeps tool_resources; the change is stored', async () => {
        const tool_resources = { code_interpreter: { file_ids: ['file-1'] } };
        const created = await create({ metadata: { a: '1', b: '2' }, tool_resources });
        const res = await call('post', `/threads/${created.id}`, KEY_A, { metadata: { c: '3' } });
        expect(res.status).toBe(200);
        expectThread(res.body);
        expect(res.body).toEqual({ ...created, metadata: { c: '3' } });
        const retrieved = await call('get', `/threads/${created.id}`, KEY_A);
        expect(retrieved.body).toEqual({ id: created.id, object: 'thread', created_at: created.created_at, tool_resources, metadata: { c: '3' } });
      });

      it('modify with empty metadata clears it', async () => {
        const created = await create({ metadata: { a: '1' } });
        const res = await call('post', `/threads/${created.id}`, KEY_A, { metadata: {} });
        expect(res.status).toBe(200);
        expect(res.body.metadata).toEqual({});
        expect((await call('get', `/threads/${created.id}`, KEY_A)).body.metadata).toEqual({});
      });

      it('modify replaces tool_resources and keeps the metadata', async () => {
        const created = await create({ metadata: { keep: 'me' }, tool_resources: { code_interpreter: { file_ids: ['file-1'] } } });
        const tool_resources = { file_search: { vector_store_ids: ['vs_9'] } };
        const res = await call('post', `/threads/${created.id}`, KEY_A, { tool_resources });
        expect(res.status).toBe(200);
        expect(res.body).toEqual({ ...created, tool_resources });
        expect((await call('get', `/threads/${created.id}`, KEY_A)).body).toEqual({ ...created, tool_resources });
      });

      it('modify changes metadata and tool_resources together', async () => {
        const created = await create({ metadata: { a: '1' } });
        const change = { metadata: { b: '2' }, tool_resources: { code_interpreter: { file_ids: ids(20, 'f-') } } };
        const res = await call('post', `/threads/${created.id}`, KEY_A, change);
        expect(res.status).toBe(200);
        expect(res.body).toEqual({ ...created, ...change });
      });

      it('modify with {} changes nothing', async () => {
        const created = await create({ metadata: { a: '1' }, tool_resources: { file_search: { vector_store_ids: ['vs_1'] } } });
        const res = await call('post', `/threads/${created.id}`, KEY_A, {});
        expect(res.status).toBe(200);
        expect(res.body).toEqual(created);
      });

      it('modify accepts the limits exactly (16 keys, 64-character key, 512-character value)', async () => {
        const created = await create();
        const metadata = { ...keys(14), ['m'.repeat(64)]: 'x', long: 'w'.repeat(512) };
        const res = await call('post', `/threads/${created.id}`, KEY_A, { metadata });
        expect(res.status).toBe(200);
        expect(res.body.metadata).toEqual(metadata);
      });

      it('delete answers the deletion object; the thread and its messages are gone', async () => {
        const created = await create({ metadata: { doomed: 'yes' } });
        const message = await call('post', `/threads/${created.id}/messages`, KEY_A, { role: 'user', content: 'bye' });
        expect(message.status).toBe(200);
        const res = await call('delete', `/threads/${created.id}`, KEY_A);
        expect(res.status).toBe(200);
        expect(res.headers['content-type']).toMatch(/^application\/json/);
        expect(res.body).toEqual({ id: created.id, object: 'thread.deleted', deleted: true });

        const after = await call('get', `/threads/${created.id}`, KEY_A);
        expect(after.status).toBe(404);
        expect(after.body).toEqual(notFoundBody(created.id));
        const again = await call('delete', `/threads/${created.id}`, KEY_A);
        expect(again.status).toBe(404);
        expect(again.body).toEqual(notFoundBody(created.id));
        const { rows } = await t.db.query(
          'SELECT (SELECT count(*) FROM threads WHERE id = $1)::int AS threads, (SELECT count(*) FROM messages WHERE thread_id = $1)::int AS messages',
          [created.id],
        );
        expect(rows[0]).toEqual({ threads: 0, messages: 0 });
      });
    });

    describe('not found and tenant isolation', () => {
      const ROUTES: [string, Method, (id: string) => string, Body | undefined][] = [
        ['GET /threads/{id}', 'get', (id) => `/threads/${id}`, undefined],
        ['POST /threads/{id}', 'post', (id) => `/threads/${id}`, { metadata: { hijacked: 'yes' } }],
        ['DELETE /threads/{id}', 'delete', (id) => `/threads/${id}`, undefined],
        ['POST /threads/{id}/messages', 'post', (id) => `/threads/${id}/messages`, { role: 'user', content: 'intruder' }],
        ['GET /threads/{id}/messages', 'get', (id) => `/threads/${id}/messages`, undefined],
      ];

      it.each(ROUTES)('%s of an unknown id: 404 No thread found', async (_name, method, path, body) => {
        const id = missingThreadId();
        const before = await snapshot(t.db);
        const res = await call(method, path(id), KEY_A, body);
        expect(res.status).toBe(404);
        expect(res.headers['content-type']).toMatch(/^application\/json/);
        expect(res.body).toEqual(notFoundBody(id));
        expect(await snapshot(t.db)).toBe(before);
      });

      it.each(ROUTES)("%s of another tenant's thread: the same 404 as a missing id, and nothing changes", async (_name, method, path, body) => {
        const theirs = await create({ metadata: { owner: 'alpha' } });
        const missing = missingThreadId();
        const before = await snapshot(t.db);
        const res = await call(method, path(theirs.id), KEY_B, body);
        const control = await call(method, path(missing), KEY_B, body);
        expect(res.status).toBe(404);
        expect(res.body).toEqual(notFoundBody(theirs.id));
        expect(control.status).toBe(404);
        expect(res.text.split(theirs.id).join('<id>')).toBe(control.text.split(missing).join('<id>'));
        expect(await snapshot(t.db)).toBe(before);
        expect((await call('get', `/threads/${theirs.id}`, KEY_A)).body).toEqual(theirs);
      });

      it("alpha cannot see beta's thread either", async () => {
        const beta = await create({ metadata: { owner: 'beta' } }, KEY_B);
        const res = await call('get', `/threads/${beta.id}`, KEY_A);
        expect(res.status).toBe(404);
        expect(res.body).toEqual(notFoundBody(beta.id));
        expect((await call('get', `/threads/${beta.id}`, KEY_B)).body).toEqual(beta);
      });

      it("a second key of the same tenant (KEY_A2) works on alpha's thread on every route", async () => {
        const created = await create({ metadata: { owner: 'alpha' } });
        const got = await call('get', `/threads/${created.id}`, KEY_A2);
        expect(got.status).toBe(200);
        expect(got.body).toEqual(created);
        const modified = await call('post', `/threads/${created.id}`, KEY_A2, { metadata: { by: 'a2' } });
        expect(modified.status).toBe(200);
        expect(modified.body.metadata).toEqual({ by: 'a2' });
        const message = await call('post', `/threads/${created.id}/messages`, KEY_A2, { role: 'user', content: 'from a2' });
        expect(message.status).toBe(200);
        expect(message.body.thread_id).toBe(created.id);
        const listed = await call('get', `/threads/${created.id}/messages`, KEY_A);
        expect(listed.status).toBe(200);
        expect(listed.body.data.map((m: { id: string }) => m.id)).toEqual([message.body.id]);
        const deleted = await call('delete', `/threads/${created.id}`, KEY_A2);
        expect(deleted.status).toBe(200);
        expect(deleted.body).toEqual({ id: created.id, object: 'thread.deleted', deleted: true });
      });

      it.each(ROUTES)('%s of a deleted thread: 404', async (_name, method, path, body) => {
        const created = await create();
        expect((await call('delete', `/threads/${created.id}`, KEY_A)).status).toBe(200);
        const res = await call(method, path(created.id), KEY_A, body);
        expect(res.status).toBe(404);
        expect(res.body).toEqual(notFoundBody(created.id));
      });
    });

    describe('validation on create (400, param names the field, nothing stored)', () => {
      it.each(INVALID_CREATE)('rejects %s', async (_label, body, param, expectation) => {
        const before = await snapshot(t.db);
        const res = await call('post', '/threads', KEY_A, body);
        expectBadRequest(res, param, expectation);
        expect(await snapshot(t.db)).toBe(before);
      });
    });

    describe('validation on modify (400, param names the field, thread unchanged)', () => {
      it.each(INVALID_MODIFY)('rejects %s', async (_label, body, param, expectation) => {
        const original = { metadata: { stable: 'yes' }, tool_resources: { code_interpreter: { file_ids: ['file-1'] } } };
        const thread = await create(original);
        const before = await snapshot(t.db);
        const res = await call('post', `/threads/${thread.id}`, KEY_A, body);
        expectBadRequest(res, param, expectation);
        expect(await snapshot(t.db)).toBe(before);
        const now = await call('get', `/threads/${thread.id}`, KEY_A);
        expect(now.body).toEqual(thread);
      });
    });
  });

  describe('across dialects', () => {
    it('a thread created in one dialect is the same thread in the other, for the same tenant', async () => {
      const created = await t.http
        .post('/v1/threads')
        .set(bearer(KEY_A))
        .send({ metadata: { from: 'openai' } });
      expect(created.status).toBe(200);
      const viaAzure = await t.http.get(`/openai/threads/${created.body.id}?api-version=2025-04-01-preview`).set('api-key', KEY_A2);
      expect(viaAzure.status).toBe(200);
      expect(viaAzure.body).toEqual(created.body);
      const otherTenant = await t.http.get(`/openai/threads/${created.body.id}?api-version=2025-04-01-preview`).set('api-key', KEY_B);
      expect(otherTenant.status).toBe(404);
      expect(otherTenant.body).toEqual(notFoundBody(created.body.id));
    });
  });

  it('answers a created thread as it then reads back, whatever its metadata and tool resources hold', async () => {
    const bodies = [
      {},
      { metadata: { 'clé "quoted"': 'value with \\ backslash, \u0001 control, emoji 🧵 and \n newline', '': '' } },
      { metadata: { a: 'b' }, tool_resources: { code_interpreter: { file_ids: ['file-1', 'file-2'] }, file_search: { vector_store_ids: ['vs_1'] } } },
      { tool_resources: { code_interpreter: {} }, messages: [{ role: 'user', content: 'hi', metadata: { m: 'n' } }] },
    ];
    for (const body of bodies) {
      const created = await t.http.post('/v1/threads').set(bearer(KEY_A)).send(body);
      expect(created.status).toBe(200);
      const read = await t.http.get(`/v1/threads/${created.body.id}`).set(bearer(KEY_A));
      expect(read.status).toBe(200);
      expect(read.text).toBe(created.text);
    }
  });
});
