import { bearer, KEY_A, snapshot, startTestApp, TestApp } from './support/test-app';

describe('request limits', () => {
  let t: TestApp;
  beforeAll(async () => (t = await startTestApp()));
  afterAll(() => t.close());

  it('refuses JSON nested deeper than 32 levels, and stores nothing', async () => {
    const before = await snapshot(t.db);
    let deep: unknown = 'x';
    for (let i = 0; i < 40; i++) deep = { a: deep };
    const response = await t.http.post('/v1/threads').set(bearer(KEY_A)).send({ metadata: deep }).expect(400);
    expect(response.body.error).toMatchObject({ type: 'invalid_request_error', code: 'json_too_deep' });
    const arrays = await t.http
      .post('/v1/threads')
      .set(bearer(KEY_A))
      .set('Content-Type', 'application/json')
      .send('['.repeat(5000) + ']'.repeat(5000))
      .expect(400);
    expect(arrays.body.error.code).toBe('json_too_deep');
    expect(await snapshot(t.db)).toBe(before);
  });

  it('names the innermost field of a message content error, also inside thread messages', async () => {
    const thread = await t.http.post('/v1/threads').set(bearer(KEY_A)).send({}).expect(200);
    const part = await t.http
      .post(`/v1/threads/${thread.body.id}/messages`)
      .set(bearer(KEY_A))
      .send({ role: 'user', content: [{ type: 'image_url', image_url: { url: 'notaurl' } }] })
      .expect(400);
    expect(part.body.error.param).toBe('content[0].image_url.url');
    const nested = await t.http
      .post('/v1/threads')
      .set(bearer(KEY_A))
      .send({
        messages: [
          { role: 'user', content: 'ok' },
          { role: 'user', content: [{ type: 'video' }] },
        ],
      })
      .expect(400);
    expect(nested.body.error.param).toBe('messages[1].content[0].type');
    expect(nested.body.error.message).toContain("'messages[1].content[0].type'");
  });
});

describe('request timeout', () => {
  let t: TestApp;
  beforeAll(async () => (t = await startTestApp({ requestTimeoutMs: 300 })));
  afterAll(() => t.close());

  it('answers 504 in the envelope when the database takes longer than the request timeout', async () => {
    const thread = await t.http.post('/v1/threads').set(bearer(KEY_A)).send({}).expect(200);
    const locker = await t.db.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('SELECT * FROM threads WHERE id = $1 FOR UPDATE', [thread.body.id]);
      const response = await t.http
        .post(`/v1/threads/${thread.body.id}`)
        .set(bearer(KEY_A))
        .send({ metadata: { a: 'b' } });
      expect(response.status).toBe(504);
      expect(response.body.error).toMatchObject({ type: 'timeout', code: 'timeout' });
      expect(response.headers['content-type']).toMatch(/application\/json/);
    } finally {
      await locker.query('ROLLBACK');
      locker.release();
    }
    const after = await t.http.get(`/v1/threads/${thread.body.id}`).set(bearer(KEY_A)).expect(200);
    expect(after.body.metadata).toEqual({});
  });
});
