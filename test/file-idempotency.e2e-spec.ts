import { bearer, KEY_A, KEY_A2, KEY_B, startTestApp, TestApp } from './support/test-app';

const V = 'api-version=2025-04-01-preview';

/** Idempotency-Key on POST /files, and tenancy on every file route. */
describe('Files API: Idempotency-Key and tenancy', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ files: { references: 'strict' } });
  });
  afterAll(() => t.close());

  const stored = async () =>
    (await t.db.query('SELECT (SELECT count(*) FROM files)::int AS files, (SELECT count(*) FROM file_chunks)::int AS chunks')).rows[0] as {
      files: number;
      chunks: number;
    };
  const upload = (apiKey: string, content: string, idempotencyKey?: string, purpose = 'assistants') => {
    const request = t.http.post('/v1/files').set(bearer(apiKey));
    if (idempotencyKey) request.set('Idempotency-Key', idempotencyKey);
    return request.field('purpose', purpose).attach('file', Buffer.from(content), 'idem.txt');
  };

  it('answers a repeat with the first response and stores nothing new', async () => {
    const before = await stored();
    const first = await upload(KEY_A, 'first bytes', 'file-key-1');
    expect(first.status).toBe(200);
    const again = await upload(KEY_A, 'first bytes', 'file-key-1');
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    // Another key of the same tenant, and other bytes: still the first response (the body is streamed, not fingerprinted).
    const other = await upload(KEY_A2, 'other bytes, longer', 'file-key-1');
    expect(other.body).toEqual(first.body);
    expect(await stored()).toEqual({ files: before.files + 1, chunks: before.chunks + 1 });
    const content = await t.http.get(`/v1/files/${first.body.id}/content`).set(bearer(KEY_A));
    expect(content.text).toBe('first bytes');
  });

  it('stores once when uploads with the same key race', async () => {
    const before = await stored();
    const responses = await Promise.all(Array.from({ length: 6 }, () => upload(KEY_A, 'raced', 'file-key-race')));
    expect(responses.map((r) => r.status)).toEqual(Array(6).fill(200));
    expect(new Set(responses.map((r) => r.body.id)).size).toBe(1);
    expect(await stored()).toEqual({ files: before.files + 1, chunks: before.chunks + 1 });
  });

  it("keeps one tenant's keys apart from another's", async () => {
    const a = await upload(KEY_A, 'tenant a', 'file-key-shared');
    const b = await upload(KEY_B, 'tenant b', 'file-key-shared');
    expect(b.status).toBe(200);
    expect(b.body.id).not.toBe(a.body.id);
    expect((await t.http.get(`/v1/files/${b.body.id}/content`).set(bearer(KEY_B))).text).toBe('tenant b');
    expect((await upload(KEY_B, 'tenant b again', 'file-key-shared')).body).toEqual(b.body);
  });

  it('does not remember a refused upload', async () => {
    const before = await stored();
    const refused = await upload(KEY_A, 'x', 'file-key-refused', 'fun');
    expect(refused.status).toBe(400);
    const accepted = await upload(KEY_A, 'x', 'file-key-refused');
    expect(accepted.status).toBe(200);
    expect(await stored()).toEqual({ files: before.files + 1, chunks: before.chunks + 1 });
  });

  it("never shows tenant A's files to tenant B, on any route of either dialect", async () => {
    const a = await upload(KEY_A, 'secret of a', undefined, 'user_data');
    const id = a.body.id as string;
    const bBefore = await upload(KEY_B, 'of b', undefined, 'user_data');
    const missing = { error: { message: `No file found with id '${id}'.`, type: 'invalid_request_error', param: null, code: null } };
    const routes = [
      ['get', `/v1/files/${id}`, bearer(KEY_B)],
      ['get', `/v1/files/${id}/content`, bearer(KEY_B)],
      ['delete', `/v1/files/${id}`, bearer(KEY_B)],
      ['get', `/openai/files/${id}?${V}`, { 'api-key': KEY_B }],
      ['get', `/openai/files/${id}/content?${V}`, { 'api-key': KEY_B }],
      ['delete', `/openai/files/${id}?${V}`, { 'api-key': KEY_B }],
    ] as const;
    for (const [method, path, auth] of routes) {
      const response = await t.http[method](path).set(auth);
      expect([path, response.status]).toEqual([path, 404]);
      expect(response.body).toEqual(missing);
    }
    // A's file is a cursor B cannot use: the same 400 as an id that names nothing.
    const cursor = await t.http.get(`/v1/files?after=${id}`).set(bearer(KEY_B));
    expect(cursor.status).toBe(400);
    expect(cursor.body.error.param).toBe('after');
    for (const [path, auth] of [
      ['/v1/files', bearer(KEY_B)],
      ['/v1/files?purpose=user_data&order=asc', bearer(KEY_B)],
      [`/openai/files?${V}`, { 'api-key': KEY_B }],
      [`/openai/files?${V}&purpose=user_data`, { 'api-key': KEY_B }],
    ] as const) {
      const list = await t.http.get(path).set(auth);
      expect(list.status).toBe(200);
      const ids = list.body.data.map((f: { id: string }) => f.id);
      expect(ids).not.toContain(id);
      expect(ids).toContain(bBefore.body.id);
    }
    // B's attempts changed nothing: A still has the file and its bytes; another key of tenant A sees it.
    expect((await t.http.get(`/v1/files/${id}/content`).set(bearer(KEY_A2))).text).toBe('secret of a');
    const listA = await t.http.get('/v1/files?purpose=user_data').set(bearer(KEY_A));
    expect(listA.body.data.map((f: { id: string }) => f.id)).toContain(id);
    expect(listA.body.data.map((f: { id: string }) => f.id)).not.toContain(bBefore.body.id);
  });
});
