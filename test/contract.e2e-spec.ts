import { createServer, ServerResponse } from 'node:http';
import request from 'supertest';
import type { Shape } from '../src/common/api-version/api-request';
import {
  assertNoViolations,
  checkResponse,
  ContractRecorder,
  ContractSchemaName,
  CONTRACT_SCHEMAS,
  formatViolations,
  schemaFor,
  shapeOfRequest,
} from './support/contract';
import { bearer, KEY_A, startTestApp, TestApp } from './support/test-app';

/**
 * Every route, in both dialects and both shapes, answered in the published OpenAI schemas
 * (test/contract/openai-schemas.json, extracted by scripts/extract-schemas.mjs), errors included.
 */

interface Variant {
  name: string;
  dialect: 'openai' | 'azure';
  shape: Shape;
  prefix: string;
  apiVersion?: string;
  headers: Record<string, string>;
}

const VARIANTS: Variant[] = [
  { name: 'OpenAI, no OpenAI-Beta (v2)', dialect: 'openai', shape: 'v2', prefix: '/v1', headers: bearer(KEY_A) },
  { name: 'OpenAI, assistants=v2', dialect: 'openai', shape: 'v2', prefix: '/v1', headers: { ...bearer(KEY_A), 'OpenAI-Beta': 'assistants=v2' } },
  { name: 'OpenAI, assistants=v1', dialect: 'openai', shape: 'v1', prefix: '/v1', headers: { ...bearer(KEY_A), 'OpenAI-Beta': 'assistants=v1' } },
  { name: 'Azure 2024-02-15-preview (v1)', dialect: 'azure', shape: 'v1', prefix: '/openai', apiVersion: '2024-02-15-preview', headers: { 'api-key': KEY_A } },
  { name: 'Azure 2024-04-01-preview (v1)', dialect: 'azure', shape: 'v1', prefix: '/openai', apiVersion: '2024-04-01-preview', headers: { 'api-key': KEY_A } },
  { name: 'Azure 2024-08-01-preview (v2)', dialect: 'azure', shape: 'v2', prefix: '/openai', apiVersion: '2024-08-01-preview', headers: { 'api-key': KEY_A } },
];

const V2_CONTENT = [
  { type: 'text', text: 'Look at these.' },
  { type: 'image_url', image_url: { url: 'https://example.com/cat.png', detail: 'low' } },
  { type: 'image_file', image_file: { file_id: 'file-image' } },
];
const V2_ATTACHMENTS = [
  { file_id: 'file-a', tools: [{ type: 'code_interpreter' }, { type: 'file_search' }] },
  { file_id: 'file-b', tools: [{ type: 'file_search' }] },
];

describe('response contract: the published OpenAI schemas', () => {
  let t: TestApp;
  let recorder: ContractRecorder;

  beforeAll(async () => {
    // A small body limit, so that 413 is reachable.
    t = await startTestApp({ bodyLimitBytes: 64 * 1024 });
    recorder = t.contract;
  });

  afterAll(async () => {
    await t?.close();
  });

  const url = (v: Variant, path: string, params: Record<string, string> = {}) => {
    const query = new URLSearchParams({ ...(v.apiVersion ? { 'api-version': v.apiVersion } : {}), ...params }).toString();
    return `${v.prefix}${path}${query ? `?${query}` : ''}`;
  };

  const slug = (v: Variant) => `${v.dialect}-${v.apiVersion ?? v.headers['OpenAI-Beta'] ?? 'default'}`;

  /** Runs `work`, then fails on any response it got that breaks its published schema. */
  async function conforming(work: () => Promise<void>): Promise<void> {
    const before = recorder.violations().length;
    await work();
    assertNoViolations(recorder.violations().slice(before));
  }

  type Body = string | object | undefined;
  async function call(v: Variant, method: 'get' | 'post' | 'delete', path: string, expected: number, body?: Body, params?: Record<string, string>) {
    let req = t.http[method](url(v, path, params)).set(v.headers);
    if (body !== undefined) req = req.send(body as object);
    const res = await req;
    expect({ route: `${method.toUpperCase()} ${path}`, status: res.status }).toEqual({ route: `${method.toUpperCase()} ${path}`, status: expected });
    return res.body as Record<string, unknown> & { id: string };
  }

  describe.each(VARIANTS)('$name', (v) => {
    it('answers the Files API in the published shape (OpenAIFile, ListFilesResponse, DeleteFileResponse)', async () => {
      await conforming(async () => {
        const upload = (purpose: string, withExpiry: boolean) => {
          let req = t.http.post(url(v, '/files')).set(v.headers).field('purpose', purpose);
          if (withExpiry) req = req.field('expires_after[anchor]', 'created_at').field('expires_after[seconds]', '3600');
          return req.attach('file', Buffer.from(`contract ${slug(v)}`), `${slug(v)}.jsonl`);
        };
        const evals = await upload('evals', true);
        expect(evals.status).toBe(200);
        expect(evals.body).toMatchObject({ object: 'file', purpose: 'evals', expires_at: evals.body.created_at + 3600 });
        const plain = await upload('assistants', false);
        expect(plain.status).toBe(200);
        const list = await call(v, 'get', '/files', 200, undefined, { limit: '2' });
        expect(list).toMatchObject({ object: 'list', first_id: plain.body.id });
        const none = await call(v, 'get', '/files', 200, undefined, { purpose: 'batch' });
        expect(none).toMatchObject({ data: [], first_id: null, last_id: null, has_more: false });
        await call(v, 'get', `/files/${evals.body.id}`, 200);
        expect(await call(v, 'delete', `/files/${evals.body.id}`, 200)).toEqual({ id: evals.body.id, object: 'file', deleted: true });
        await call(v, 'delete', `/files/${plain.body.id}`, 200);
        await call(v, 'get', `/files/${evals.body.id}`, 404);
      });
    });

    it('answers every route in the published shape', async () => {
      await conforming(async () => {
        const v2 = v.shape === 'v2';
        const empty = await call(v, 'post', '/threads', 200, {});
        const emptyList = await call(v, 'get', `/threads/${empty.id}/messages`, 200);
        expect(emptyList).toMatchObject({ data: [], first_id: null, last_id: null, has_more: false });

        const thread = await call(v, 'post', '/threads', 200, {
          metadata: { purpose: 'contract' },
          messages: v2
            ? [
                { role: 'user', content: 'hello' },
                { role: 'user', content: V2_CONTENT, attachments: V2_ATTACHMENTS, metadata: { n: '2' } },
              ]
            : [
                { role: 'user', content: 'hello' },
                { role: 'user', content: 'with files', file_ids: ['file-a', 'file-b'], metadata: { n: '2' } },
              ],
          ...(v2 ? { tool_resources: { code_interpreter: { file_ids: ['file-ci'] }, file_search: { vector_store_ids: ['vs_1'] } } } : {}),
        });
        const threadPath = `/threads/${thread.id}`;
        await call(v, 'get', threadPath, 200);
        await call(v, 'post', threadPath, 200, { metadata: { purpose: 'modified' } });
        await call(v, 'post', threadPath, 200, {});
        if (v2) await call(v, 'post', threadPath, 200, { tool_resources: { file_search: { vector_store_ids: ['vs_2'] } } });

        const withFiles = await call(
          v,
          'post',
          `${threadPath}/messages`,
          200,
          v2
            ? { role: 'assistant', content: V2_CONTENT, attachments: V2_ATTACHMENTS, metadata: { k: 'v' } }
            : { role: 'assistant', content: 'files attached', file_ids: ['file-1', 'file-2', 'file-3'], metadata: { k: 'v' } },
        );
        const plain = await call(v, 'post', `${threadPath}/messages`, 200, { role: 'user', content: 'plain text' });
        const replay = { role: 'user', content: 'sent twice' };
        const key = { 'Idempotency-Key': `contract-${slug(v)}` };
        await t.http
          .post(url(v, `${threadPath}/messages`))
          .set(v.headers)
          .set(key)
          .send(replay)
          .expect(200);
        await t.http
          .post(url(v, `${threadPath}/messages`))
          .set(v.headers)
          .set(key)
          .send(replay)
          .expect(200);

        const page = await call(v, 'get', `${threadPath}/messages`, 200);
        expect((page.data as unknown[]).length).toBe(5);
        const first = await call(v, 'get', `${threadPath}/messages`, 200, undefined, { order: 'asc', limit: '2' });
        await call(v, 'get', `${threadPath}/messages`, 200, undefined, { order: 'asc', limit: '2', after: first.last_id as string });
        await call(v, 'get', `${threadPath}/messages`, 200, undefined, { before: plain.id, limit: '1' });
        if (v2) await call(v, 'get', `${threadPath}/messages`, 200, undefined, { run_id: 'run_none' });

        const messagePath = `${threadPath}/messages/${withFiles.id}`;
        await call(v, 'get', messagePath, 200);
        await call(v, 'post', messagePath, 200, { metadata: { k: 'changed' } });
        await call(v, 'post', messagePath, 200, {});

        if (v2) {
          await call(v, 'get', `${messagePath}/files`, 404);
          await call(v, 'get', `${messagePath}/files/file-1`, 404);
        } else {
          const files = await call(v, 'get', `${messagePath}/files`, 200);
          expect((files.data as unknown[]).length).toBe(3);
          await call(v, 'get', `${messagePath}/files`, 200, undefined, { order: 'asc', limit: '1' });
          await call(v, 'get', `${messagePath}/files`, 200, undefined, { after: 'file-3' });
          const none = await call(v, 'get', `${threadPath}/messages/${plain.id}/files`, 200);
          expect(none).toMatchObject({ data: [], first_id: null, last_id: null, has_more: false });
          await call(v, 'get', `${messagePath}/files/file-2`, 200);
          await call(v, 'get', `${messagePath}/files/file-missing`, 404);
          await call(v, 'get', `${messagePath}/files`, 400, undefined, { after: 'file-missing' });
        }

        await call(v, 'delete', `${threadPath}/messages/${plain.id}`, 200);
        await call(v, 'delete', `${threadPath}/messages/${plain.id}`, 404);
        await call(v, 'delete', threadPath, 200);
        await call(v, 'delete', `/threads/${empty.id}`, 200);
      });
    });

    it('answers errors in the published error envelope', async () => {
      await conforming(async () => {
        const thread = await call(v, 'post', '/threads', 200, {});
        const threadPath = `/threads/${thread.id}`;
        const message = await call(v, 'post', `${threadPath}/messages`, 200, { role: 'user', content: 'hi' });
        // 400: validation, unknown parameters, cursors, Idempotency-Key reuse.
        await call(v, 'post', `${threadPath}/messages`, 400, { role: 'system', content: 'hi' });
        await call(v, 'post', `${threadPath}/messages`, 400, { role: 'user' });
        await call(v, 'post', `${threadPath}/messages`, 400, { role: 'user', content: 'hi', colour: 'blue' });
        await call(v, 'post', `${threadPath}/messages`, 400, { role: 'user', content: 'hi', ...(v.shape === 'v1' ? { attachments: [] } : { file_ids: [] }) });
        await call(v, 'post', threadPath, 400, { metadata: 'not a map' });
        await call(v, 'post', '/threads', 400, { messages: 'nope' });
        await call(v, 'get', `${threadPath}/messages`, 400, undefined, { limit: '0' });
        await call(v, 'get', `${threadPath}/messages`, 400, undefined, { order: 'sideways' });
        await call(v, 'get', `${threadPath}/messages`, 400, undefined, { after: 'msg_unknown' });
        await t.http.post(url(v, '/threads')).set(v.headers).type('json').send('[]').expect(400);
        const key = { 'Idempotency-Key': `contract-reuse-${slug(v)}` };
        await t.http.post(url(v, '/threads')).set(v.headers).set(key).send({}).expect(200);
        await t.http
          .post(url(v, '/threads'))
          .set(v.headers)
          .set(key)
          .send({ metadata: { a: 'b' } })
          .expect(400);
        // 400, 413 and 415 from below the router: the body parser and the content-type check.
        await t.http.post(url(v, '/threads')).set(v.headers).type('json').send('{"metadata":').expect(400);
        await t.http
          .post(url(v, '/threads'))
          .set(v.headers)
          .send({ metadata: { big: 'x'.repeat(70 * 1024) } })
          .expect(413);
        await t.http.post(url(v, '/threads')).set(v.headers).type('text/plain').send('hello').expect(415);
        // 404: unknown objects and unknown URLs.
        await call(v, 'get', '/threads/thread_doesnotexist', 404);
        await call(v, 'post', '/threads/thread_doesnotexist', 404, { metadata: {} });
        await call(v, 'delete', '/threads/thread_doesnotexist', 404);
        await call(v, 'get', '/threads/thread_doesnotexist/messages', 404);
        await call(v, 'post', '/threads/thread_doesnotexist/messages', 404, { role: 'user', content: 'hi' });
        await call(v, 'get', `${threadPath}/messages/msg_doesnotexist`, 404);
        await call(v, 'post', `${threadPath}/messages/msg_doesnotexist`, 404, { metadata: {} });
        await call(v, 'delete', `${threadPath}/messages/msg_doesnotexist`, 404);
        await call(v, 'get', `${threadPath}/messages/${message.id}/nothing`, 404);
        await call(v, 'get', '/nothing', 404);
        // GET /threads lists the tenant's threads (our extension, test/list-threads.e2e-spec.ts); a route of the API we do not serve:
        await call(v, 'get', '/assistants', 404);
        // 401: no key, a wrong key (the Azure dialect's 401 has Azure's own body and no schema here).
        const anonymous = { ...v, headers: Object.fromEntries(Object.entries(v.headers).filter(([name]) => name !== 'Authorization' && name !== 'api-key')) };
        await call(anonymous, 'get', threadPath, 401);
        await call(
          {
            ...anonymous,
            headers: { ...anonymous.headers, ...(v.dialect === 'azure' ? { 'api-key': 'wrong-key-0123456789' } : bearer('sk-wrong-0123456789abcdef')) },
          },
          'get',
          threadPath,
          401,
        );
      });
    });
  });

  it('answers an invalid version signal in the (current) error envelope', async () => {
    await conforming(async () => {
      await t.http.get('/openai/threads/thread_x').set('api-key', KEY_A).expect(400);
      await t.http.get('/openai/threads/thread_x?api-version=2023-05-15').set('api-key', KEY_A).expect(400);
      await t.http.get('/v1/threads/thread_x').set(bearer(KEY_A)).set('OpenAI-Beta', 'assistants=v3').expect(400);
    });
  });

  it('answers in the v1 shape for a thread written in v2', async () => {
    const v2 = VARIANTS[0];
    await conforming(async () => {
      const thread = await call(v2, 'post', '/threads', 200, {
        tool_resources: { code_interpreter: { file_ids: ['file-ci'] } },
        messages: [{ role: 'user', content: V2_CONTENT, attachments: V2_ATTACHMENTS }],
      });
      const message = await call(v2, 'post', `/threads/${thread.id}/messages`, 200, { role: 'user', content: V2_CONTENT });
      for (const v1 of VARIANTS.filter((v) => v.shape === 'v1')) {
        await call(v1, 'get', `/threads/${thread.id}`, 200);
        await call(v1, 'get', `/threads/${thread.id}/messages`, 200);
        await call(v1, 'get', `/threads/${thread.id}/messages/${message.id}`, 200);
      }
    });
  });

  it('does not check the health probes', async () => {
    await t.http.get('/healthz').expect(200);
    await t.http.get('/readyz').expect(200);
    const probes = recorder.responses.filter((r) => r.path === '/healthz' || r.path === '/readyz');
    expect(probes).toHaveLength(2);
    expect(probes.every((r) => r.schema === undefined)).toBe(true);
  });

  it('checked every schema in both dialects and both shapes, and every API response had one', () => {
    const checked = new Set(recorder.responses.filter((r) => r.schema).map((r) => `${r.dialect} ${r.shape ?? '-'} ${r.schema}`));
    for (const dialect of ['openai', 'azure']) {
      for (const shape of ['v1', 'v2'] as const) {
        for (const schema of Object.keys(CONTRACT_SCHEMAS[shape])) expect(checked).toContain(`${dialect} ${shape} ${schema}`);
      }
    }
    const errors = new Set(recorder.responses.filter((r) => r.schema === 'ErrorResponse').map((r) => `${r.dialect} ${r.status}`));
    for (const status of [400, 401, 404, 413, 415]) expect(errors).toContain(`openai ${status}`);
    for (const status of [400, 404, 413, 415]) expect(errors).toContain(`azure ${status}`);
    const unchecked = recorder.responses.filter((r) => r.dialect !== undefined && r.schema === undefined);
    expect(unchecked.every((r) => r.dialect === 'azure' && r.status === 401)).toBe(true);
    expect(unchecked.length).toBeGreaterThan(0);
  });

  it('found no response that breaks its published schema', () => {
    assertNoViolations(recorder.violations());
  });
});

describe('schemaFor', () => {
  it.each<[string, string, number, Shape | undefined, ContractSchemaName | undefined]>([
    ['POST', '/v1/threads', 200, 'v2', 'ThreadObject'],
    ['GET', '/openai/threads/thread_1?api-version=2024-08-01-preview', 200, 'v2', 'ThreadObject'],
    ['POST', '/v1/threads/thread_1', 200, 'v1', 'ThreadObject'],
    ['DELETE', '/v1/threads/thread_1', 200, 'v2', 'DeleteThreadResponse'],
    ['POST', '/v1/threads/thread_1/messages', 200, 'v2', 'MessageObject'],
    ['GET', '/v1/threads/thread_1/messages?limit=2&order=asc', 200, 'v1', 'ListMessagesResponse'],
    ['GET', '/openai/threads/thread_1/messages/msg_1?api-version=2024-02-15-preview', 200, 'v1', 'MessageObject'],
    ['POST', '/v1/threads/thread_1/messages/msg_1', 200, 'v2', 'MessageObject'],
    ['DELETE', '/v1/threads/thread_1/messages/msg_1', 200, 'v2', 'DeleteMessageResponse'],
    ['GET', '/v1/threads/thread_1/messages/msg_1/files', 200, 'v1', 'ListMessageFilesResponse'],
    ['GET', '/v1/threads/thread_1/messages/msg_1/files/file-1', 200, 'v1', 'MessageFileObject'],
    ['GET', '/v1/threads/thread_1/messages/msg_1/files', 200, 'v2', undefined],
    ['GET', '/v1/threads', 200, 'v2', undefined],
    ['HEAD', '/v1/threads/thread_1', 200, 'v2', undefined],
    ['GET', '/v1/threads/thread_1', 404, 'v2', 'ErrorResponse'],
    ['POST', '/v1/threads', 400, undefined, 'ErrorResponse'],
    ['GET', '/v1/threads/thread_1', 401, 'v2', 'ErrorResponse'],
    ['GET', '/openai/threads/thread_1?api-version=2024-08-01-preview', 401, 'v2', undefined],
    ['GET', '/openai/threads/thread_1?api-version=2024-08-01-preview', 404, 'v2', 'ErrorResponse'],
    ['GET', '/nothing', 404, undefined, 'ErrorResponse'],
    ['GET', '/healthz', 200, undefined, undefined],
    ['GET', '/readyz', 503, undefined, undefined],
    ['POST', '/v1/files', 200, 'v2', 'OpenAIFile'],
    ['POST', '/openai/files?api-version=2024-02-15-preview', 200, 'v1', 'OpenAIFile'],
    ['GET', '/v1/files?purpose=assistants', 200, 'v1', 'ListFilesResponse'],
    ['GET', '/v1/files/file-1', 200, 'v2', 'OpenAIFile'],
    ['DELETE', '/openai/files/file-1?api-version=2024-08-01-preview', 200, 'v2', 'DeleteFileResponse'],
    ['GET', '/v1/files/file-1/content', 200, 'v2', undefined],
    ['GET', '/v1/files/file-1/content', 404, 'v2', 'ErrorResponse'],
  ])('%s %s %d (%s) -> %s', (method, path, status, shape, expected) => {
    expect(schemaFor(method, path, status, shape)).toBe(expected);
  });

  it('decides the shape by the service rules', () => {
    expect(shapeOfRequest('/v1/threads', {}, {})).toBe('v2');
    expect(shapeOfRequest('/v1/threads', { 'openai-beta': ' assistants=v1 ' }, {})).toBe('v1');
    expect(shapeOfRequest('/v1/threads', { 'openai-beta': 'assistants=v3' }, {})).toBeUndefined();
    expect(shapeOfRequest('/openai/threads', {}, { 'api-version': '2024-03-01-preview' })).toBe('v1');
    expect(shapeOfRequest('/openai/threads', {}, { 'api-version': '2024-05-01-preview' })).toBe('v2');
    expect(shapeOfRequest('/openai/threads', {}, { 'api-version': ['2024-05-01-preview', '2024-05-01-preview'] })).toBeUndefined();
    expect(shapeOfRequest('/openai/threads', {}, {})).toBeUndefined();
  });
});

describe('ContractRecorder', () => {
  it('catches responses that break their schema, on a plain HTTP server', async () => {
    const recorder = new ContractRecorder();
    const json = (res: ServerResponse, status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const routes: Record<string, (res: ServerResponse) => void> = {
      'POST /v1/threads': (res) => json(res, 200, { id: 'thread_1', object: 'thread', created_at: '1700000000', metadata: {} }),
      'GET /v1/threads/thread_1': (res) => json(res, 404, { error: 'not found' }),
      'GET /openai/threads/thread_1': (res) => json(res, 401, { error: { code: '401', message: 'Access denied' } }),
      'DELETE /v1/threads/thread_1': (res) => {
        res.setHeader('content-type', 'text/plain');
        res.end('deleted');
      },
      'GET /v1/threads/thread_1/messages': (res) => {
        res.write('{"object":"list","data":[],');
        res.end('"first_id":null,"last_id":null,"has_more":false}');
      },
    };
    const app = createServer((req, res) => {
      const route = routes[`${req.method} ${(req.url ?? '').split('?')[0]}`];
      recorder.middleware(req, res, () => route(res));
    });
    await request(app).post('/v1/threads').send({}).expect(200);
    await request(app).get('/v1/threads/thread_1').set('OpenAI-Beta', 'assistants=v1').expect(404);
    await request(app).get('/openai/threads/thread_1?api-version=2024-08-01-preview').expect(401);
    await request(app).delete('/v1/threads/thread_1').expect(200);
    await request(app).get('/v1/threads/thread_1/messages').set('Content-Type', 'application/json').expect(200);

    const violations = recorder.violations();
    expect(violations.map((v) => `${v.method} ${v.path} ${v.status} ${v.shape} ${v.schema}`)).toEqual([
      'POST /v1/threads 200 v2 ThreadObject',
      'GET /v1/threads/thread_1 404 v1 ErrorResponse',
      'DELETE /v1/threads/thread_1 200 v2 DeleteThreadResponse',
      'GET /v1/threads/thread_1/messages 200 v2 ListMessagesResponse',
    ]);
    const [thread, error, deleted, list] = violations;
    expect(thread.errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ instancePath: '', keyword: 'required', params: { missingProperty: 'tool_resources' } }),
        expect.objectContaining({ instancePath: '/created_at', keyword: 'type' }),
      ]),
    );
    expect(thread.body).toContain('"thread_1"');
    expect(error.errors).toEqual([expect.objectContaining({ instancePath: '/error', keyword: 'type' })]);
    expect(deleted.errors.map((e) => e.keyword)).toEqual(['content-type', 'json']);
    // Written in two pieces and valid JSON: only the missing content type is wrong.
    expect(list.errors.map((e) => e.keyword)).toEqual(['content-type']);
    expect(formatViolations([thread])).toMatch(
      /^POST \/v1\/threads -> 200 \(openai, v2\) vs v2 ThreadObject:\n {2}- \/ must have required property 'tool_resources'/,
    );
    expect(recorder.responses).toHaveLength(5);
    expect(recorder.responses[2]).toMatchObject({ status: 401, dialect: 'azure', schema: undefined, valid: true });
  });

  it('checks a body directly', () => {
    const message = {
      id: 'msg_1',
      object: 'thread.message',
      created_at: 1700000000,
      thread_id: 'thread_1',
      role: 'user',
      content: [{ type: 'text', text: { value: 'hi', annotations: [] } }],
      assistant_id: null,
      run_id: null,
      file_ids: [],
      metadata: {},
    };
    const check = (body: object) =>
      checkResponse({ method: 'GET', path: '/v1/threads/thread_1/messages/msg_1', status: 200, shape: 'v1', body: JSON.stringify(body) });
    const complete = { ...message, status: 'completed', incomplete_details: null, completed_at: null, incomplete_at: null };
    expect(check(complete)).toBeUndefined();
    expect(check({ ...complete, content: [{ type: 'image_url', image_url: { url: 'https://example.com/a.png' } }] })?.errors).toEqual(
      expect.arrayContaining([expect.objectContaining({ instancePath: '/content/0', keyword: 'oneOf' })]),
    );
    expect(check({ ...complete, role: 'system' })?.errors).toEqual([expect.objectContaining({ instancePath: '/role', keyword: 'enum' })]);
  });

  it('checks file objects against the current edition in either shape, with evals admitted as a purpose', () => {
    const file = { id: 'file-1', object: 'file', bytes: 3, created_at: 1700000000, filename: 'a.txt', purpose: 'evals', status: 'processed' };
    for (const shape of ['v1', 'v2'] as const) {
      const check = (body: object) => checkResponse({ method: 'GET', path: '/v1/files/file-1', status: 200, shape, body: JSON.stringify(body) });
      expect(check(file)).toBeUndefined();
      expect(check({ ...file, purpose: 'fun' })?.errors).toEqual([expect.objectContaining({ instancePath: '/purpose', keyword: 'enum' })]);
      expect(check({ ...file, bytes: '3' })?.errors).toEqual([expect.objectContaining({ instancePath: '/bytes', keyword: 'type' })]);
    }
    expect(CONTRACT_SCHEMAS.overlays).toEqual(
      expect.arrayContaining([expect.objectContaining({ edition: 'v2', schema: 'OpenAIFile', path: '/properties/purpose' })]),
    );
  });
});
