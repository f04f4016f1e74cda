import { AZURE_V1_VERSIONS, AZURE_V2_VERSIONS } from './support/api-versions';
import { expectErrorEnvelope } from './support/envelope';
import request from 'supertest';
import { bearer, KEY_A, snapshot, startTestApp, TestApp } from './support/test-app';

/**
 * The version signal of each dialect: `?api-version=` on /openai (required, from a known list),
 * `OpenAI-Beta: assistants=v1|v2` on /v1 (v2 by default). The signal decides the shape.
 */

const V1_VERSIONS = AZURE_V1_VERSIONS;
const V2_VERSIONS = AZURE_V2_VERSIONS;
const ALL_VERSIONS = [...V1_VERSIONS, ...V2_VERSIONS];
const VERSION_TABLE = ALL_VERSIONS.map((version) => [version, V1_VERSIONS.includes(version) ? 'v1' : 'v2'] as const);

const V1_KEYS = ['created_at', 'id', 'metadata', 'object'];
const V2_KEYS = ['created_at', 'id', 'metadata', 'object', 'tool_resources'];
const TOOL_RESOURCES = { code_interpreter: { file_ids: ['file-1', 'file-2'] }, file_search: { vector_store_ids: ['vs_1'] } };

const apiKey = { 'api-key': KEY_A };
const azure = (path: string, version?: string) => (version === undefined ? `/openai${path}` : `/openai${path}?api-version=${encodeURIComponent(version)}`);

function expectBadRequest(res: request.Response, param?: string): void {
  expectErrorEnvelope(res, 400);
  if (param !== undefined) expect(res.body.error.param).toBe(param);
}

function expectListsAllVersions(message: string): void {
  for (const version of ALL_VERSIONS) expect(message).toContain(version);
}

function expectThreadShape(body: Record<string, unknown>, shape: 'v1' | 'v2'): void {
  expect(Object.keys(body).sort()).toEqual(shape === 'v1' ? V1_KEYS : V2_KEYS);
  expect(body.object).toBe('thread');
  expect(body.id).toMatch(/^thread_[0-9A-Za-z]{24}$/);
  expect(Number.isInteger(body.created_at)).toBe(true);
}

describe('API versions', () => {
  let t: TestApp;
  let threadId: string;

  beforeAll(async () => {
    t = await startTestApp();
    const res = await t.http
      .post('/v1/threads')
      .set(bearer(KEY_A))
      .send({ metadata: { made: 'by-v2' }, tool_resources: TOOL_RESOURCES });
    expect(res.status).toBe(200);
    threadId = res.body.id;
  });

  afterAll(async () => {
    await t?.close();
  });

  describe('Azure api-version query parameter', () => {
    const routes: [string, (http: TestApp['http'], version?: string) => request.Test][] = [
      [
        'POST /threads',
        (http, v) =>
          http
            .post(azure('/threads', v))
            .set(apiKey)
            .send({ metadata: { a: 'b' } }),
      ],
      ['GET /threads/{id}', (http, v) => http.get(azure(`/threads/${threadId}`, v)).set(apiKey)],
      [
        'POST /threads/{id}',
        (http, v) =>
          http
            .post(azure(`/threads/${threadId}`, v))
            .set(apiKey)
            .send({ metadata: { changed: 'yes' } }),
      ],
      ['DELETE /threads/{id}', (http, v) => http.delete(azure(`/threads/${threadId}`, v)).set(apiKey)],
      [
        'POST /threads/{id}/messages',
        (http, v) =>
          http
            .post(azure(`/threads/${threadId}/messages`, v))
            .set(apiKey)
            .send({ role: 'user', content: 'x' }),
      ],
      ['GET /threads/{id}/messages', (http, v) => http.get(azure(`/threads/${threadId}/messages`, v)).set(apiKey)],
    ];

    it.each(routes)('%s without api-version is a 400 naming the parameter and listing the supported versions; nothing stored', async (_name, call) => {
      const before = await snapshot(t.db);
      const res = await call(t.http);
      expectBadRequest(res, 'api-version');
      expectListsAllVersions(res.body.error.message);
      expect(await snapshot(t.db)).toBe(before);
    });

    it.each(['2023-05-15', '2024-06-01', '2024-10-21', '2024-02-15', 'latest', ''])(
      'api-version %p is unsupported: 400 naming the parameter and listing the supported versions; nothing stored',
      async (version) => {
        const before = await snapshot(t.db);
        const res = await t.http
          .post(azure('/threads', version))
          .set(apiKey)
          .send({ metadata: { a: 'b' } });
        expectBadRequest(res, 'api-version');
        expectListsAllVersions(res.body.error.message);
        expect(await snapshot(t.db)).toBe(before);
      },
    );

    it('an unsupported api-version is rejected on reads too', async () => {
      const res = await t.http.get(azure(`/threads/${threadId}`, '2022-12-01')).set(apiKey);
      expectBadRequest(res, 'api-version');
      expectListsAllVersions(res.body.error.message);
    });

    it.each(VERSION_TABLE)('%s speaks the %s thread shape on create, retrieve, modify and delete', async (version, shape) => {
      const body = shape === 'v2' ? { metadata: { version }, tool_resources: TOOL_RESOURCES } : { metadata: { version } };
      const created = await t.http.post(azure('/threads', version)).set(apiKey).send(body);
      expect(created.status).toBe(200);
      expectThreadShape(created.body, shape);
      expect(created.body.metadata).toEqual({ version });
      if (shape === 'v2') expect(created.body.tool_resources).toEqual(TOOL_RESOURCES);
      const id = created.body.id;

      const retrieved = await t.http.get(azure(`/threads/${id}`, version)).set(apiKey);
      expect(retrieved.status).toBe(200);
      expect(retrieved.body).toEqual(created.body);

      const modified = await t.http
        .post(azure(`/threads/${id}`, version))
        .set(apiKey)
        .send({ metadata: { version, step: 'modified' } });
      expect(modified.status).toBe(200);
      expectThreadShape(modified.body, shape);
      expect(modified.body.metadata).toEqual({ version, step: 'modified' });

      const deleted = await t.http.delete(azure(`/threads/${id}`, version)).set(apiKey);
      expect(deleted.status).toBe(200);
      expect(deleted.body).toEqual({ id, object: 'thread.deleted', deleted: true });
    });

    it.each(V1_VERSIONS)('%s (v1) rejects tool_resources on create as an unknown parameter; nothing stored', async (version) => {
      const before = await snapshot(t.db);
      const res = await t.http.post(azure('/threads', version)).set(apiKey).send({ tool_resources: TOOL_RESOURCES });
      expectBadRequest(res, 'tool_resources');
      expect(res.body.error.code).toBe('unknown_parameter');
      expect(await snapshot(t.db)).toBe(before);
    });

    it.each(V1_VERSIONS)('%s (v1) rejects tool_resources on modify as an unknown parameter; nothing changed', async (version) => {
      const before = await snapshot(t.db);
      const res = await t.http
        .post(azure(`/threads/${threadId}`, version))
        .set(apiKey)
        .send({ tool_resources: { code_interpreter: { file_ids: [] } } });
      expectBadRequest(res, 'tool_resources');
      expect(res.body.error.code).toBe('unknown_parameter');
      expect(await snapshot(t.db)).toBe(before);
    });

    it('the same stored thread is presented in the shape of the version asked for', async () => {
      const v1 = await t.http.get(azure(`/threads/${threadId}`, '2024-02-15-preview')).set(apiKey);
      expect(v1.status).toBe(200);
      expectThreadShape(v1.body, 'v1');
      expect(v1.body).not.toHaveProperty('tool_resources');
      const v2 = await t.http.get(azure(`/threads/${threadId}`, '2024-05-01-preview')).set(apiKey);
      expect(v2.status).toBe(200);
      expectThreadShape(v2.body, 'v2');
      expect(v2.body.tool_resources).toEqual(TOOL_RESOURCES);
      expect({ ...v1.body, tool_resources: v2.body.tool_resources }).toEqual(v2.body);
    });

    it('on /openai the api-version decides the shape, whatever OpenAI-Beta header the SDK sends', async () => {
      const v1 = await t.http
        .get(azure(`/threads/${threadId}`, '2024-04-01-preview'))
        .set(apiKey)
        .set('OpenAI-Beta', 'assistants=v2');
      expect(v1.status).toBe(200);
      expectThreadShape(v1.body, 'v1');
      const v2 = await t.http
        .get(azure(`/threads/${threadId}`, '2025-04-01-preview'))
        .set(apiKey)
        .set('OpenAI-Beta', 'assistants=v1');
      expect(v2.status).toBe(200);
      expectThreadShape(v2.body, 'v2');
    });
  });

  describe('OpenAI-Beta header on /v1', () => {
    it('no header means v2', async () => {
      const res = await t.http.get(`/v1/threads/${threadId}`).set(bearer(KEY_A));
      expect(res.status).toBe(200);
      expectThreadShape(res.body, 'v2');
      expect(res.body.tool_resources).toEqual(TOOL_RESOURCES);
    });

    it('assistants=v2 means v2', async () => {
      const res = await t.http.get(`/v1/threads/${threadId}`).set(bearer(KEY_A)).set('OpenAI-Beta', 'assistants=v2');
      expect(res.status).toBe(200);
      expectThreadShape(res.body, 'v2');
      expect(res.body.tool_resources).toEqual(TOOL_RESOURCES);
    });

    it('assistants=v1 means the v1 shape (no tool_resources key at all)', async () => {
      const res = await t.http.get(`/v1/threads/${threadId}`).set(bearer(KEY_A)).set('OpenAI-Beta', 'assistants=v1');
      expect(res.status).toBe(200);
      expectThreadShape(res.body, 'v1');
      expect(res.body).not.toHaveProperty('tool_resources');
      expect(res.body.metadata).toEqual({ made: 'by-v2' });
    });

    it('assistants=v1 creates, modifies and deletes in the v1 shape', async () => {
      const headers = { ...bearer(KEY_A), 'OpenAI-Beta': 'assistants=v1' };
      const created = await t.http
        .post('/v1/threads')
        .set(headers)
        .send({ metadata: { v: '1' } });
      expect(created.status).toBe(200);
      expectThreadShape(created.body, 'v1');
      const modified = await t.http
        .post(`/v1/threads/${created.body.id}`)
        .set(headers)
        .send({ metadata: { v: 'one' } });
      expect(modified.status).toBe(200);
      expectThreadShape(modified.body, 'v1');
      expect(modified.body.metadata).toEqual({ v: 'one' });
      const deleted = await t.http.delete(`/v1/threads/${created.body.id}`).set(headers);
      expect(deleted.body).toEqual({ id: created.body.id, object: 'thread.deleted', deleted: true });
    });

    it('assistants=v1 rejects tool_resources as an unknown parameter; nothing stored', async () => {
      const before = await snapshot(t.db);
      const res = await t.http.post('/v1/threads').set(bearer(KEY_A)).set('OpenAI-Beta', 'assistants=v1').send({ tool_resources: TOOL_RESOURCES });
      expectBadRequest(res, 'tool_resources');
      expect(res.body.error.code).toBe('unknown_parameter');
      expect(await snapshot(t.db)).toBe(before);
    });

    it.each(['assistants=v3', 'assistants=v0', 'v2', 'assistants', 'foo=bar'])('OpenAI-Beta %p is a 400 on create, and nothing is stored', async (header) => {
      const before = await snapshot(t.db);
      const res = await t.http
        .post('/v1/threads')
        .set(bearer(KEY_A))
        .set('OpenAI-Beta', header)
        .send({ metadata: { a: 'b' } });
      expectBadRequest(res);
      expect(await snapshot(t.db)).toBe(before);
    });

    it.each(['assistants=v3', 'assistants=beta'])('OpenAI-Beta %p is a 400 on retrieve', async (header) => {
      const res = await t.http.get(`/v1/threads/${threadId}`).set(bearer(KEY_A)).set('OpenAI-Beta', header);
      expectBadRequest(res);
    });

    it('the api-version query parameter plays no part on /v1', async () => {
      const res = await t.http.get(`/v1/threads/${threadId}?api-version=2024-02-15-preview`).set(bearer(KEY_A));
      expect(res.status).toBe(200);
      expectThreadShape(res.body, 'v2');
    });
  });
});
