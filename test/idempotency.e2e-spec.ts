import { bearer, KEY_A, KEY_A2, KEY_B, startTestApp, TestApp } from './support/test-app';

describe('Idempotency-Key on creates', () => {
  let t: TestApp;
  beforeAll(async () => (t = await startTestApp()));
  afterAll(() => t.close());

  const count = async (table: 'threads' | 'messages') => Number((await t.db.query(`SELECT count(*) FROM ${table}`)).rows[0].count);
  const createThread = (key: string, body: object, apiKey = KEY_A) => t.http.post('/v1/threads').set(bearer(apiKey)).set('Idempotency-Key', key).send(body);

  it('returns the first response to a repeat and creates nothing new', async () => {
    const before = await count('threads');
    const first = await createThread('thread-key-1', { metadata: { n: '1' } }).expect(200);
    const again = await createThread('thread-key-1', { metadata: { n: '1' } }).expect(200);
    expect(again.body).toEqual(first.body);
    expect(await count('threads')).toBe(before + 1);
  });

  it('treats the same body with keys in another order as the same request', async () => {
    const first = await createThread('thread-key-order', { metadata: { a: '1', b: '2' } }).expect(200);
    const again = await createThread('thread-key-order', { metadata: { b: '2', a: '1' } }).expect(200);
    expect(again.body.id).toBe(first.body.id);
  });

  it('creates once when requests with the same key race', async () => {
    const before = await count('threads');
    const responses = await Promise.all(Array.from({ length: 12 }, () => createThread('thread-key-race', { metadata: { r: 'x' } })));
    expect(responses.map((r) => r.status)).toEqual(Array(12).fill(200));
    expect(new Set(responses.map((r) => r.body.id)).size).toBe(1);
    expect(await count('threads')).toBe(before + 1);
  });

  it('refuses the same key with a different body, and stores nothing', async () => {
    await createThread('thread-key-2', { metadata: { n: '1' } }).expect(200);
    const before = await count('threads');
    const reused = await createThread('thread-key-2', { metadata: { n: '2' } }).expect(400);
    expect(reused.body.error).toMatchObject({ type: 'invalid_request_error', param: 'Idempotency-Key', code: 'idempotency_key_reused' });
    expect(await count('threads')).toBe(before);
  });

  it('keeps keys of one tenant apart from another, and shares them between keys of one tenant', async () => {
    const a = await createThread('shared-key', {}, KEY_A).expect(200);
    const b = await createThread('shared-key', {}, KEY_B).expect(200);
    const a2 = await createThread('shared-key', {}, KEY_A2).expect(200);
    expect(b.body.id).not.toBe(a.body.id);
    expect(a2.body.id).toBe(a.body.id);
  });

  it('applies to thread-with-messages and to message creates', async () => {
    const body = {
      messages: [
        { role: 'user', content: 'one' },
        { role: 'user', content: 'two' },
      ],
    };
    const messagesBefore = await count('messages');
    const first = await createThread('with-messages', body).expect(200);
    await createThread('with-messages', body).expect(200);
    expect(await count('messages')).toBe(messagesBefore + 2);

    const send = () =>
      t.http.post(`/v1/threads/${first.body.id}/messages`).set(bearer(KEY_A)).set('Idempotency-Key', 'msg-key').send({ role: 'user', content: 'hi' });
    const results = await Promise.all([send(), send(), send()]);
    expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
    expect(await count('messages')).toBe(messagesBefore + 3);
    const other = await t.http
      .post(`/v1/threads/${first.body.id}/messages`)
      .set(bearer(KEY_A))
      .set('Idempotency-Key', 'msg-key')
      .send({ role: 'user', content: 'different' })
      .expect(400);
    expect(other.body.error.code).toBe('idempotency_key_reused');
  });

  it('does not keep a failed request: the retry runs again', async () => {
    const missing = 'thread_doesnotexist000000000000';
    const send = () => t.http.post(`/v1/threads/${missing}/messages`).set(bearer(KEY_A)).set('Idempotency-Key', 'fails').send({ role: 'user', content: 'x' });
    await send().expect(404);
    await send().expect(404);
    const stored = await t.db.query(`SELECT count(*) FROM idempotency_keys WHERE key = 'fails'`);
    expect(Number(stored.rows[0].count)).toBe(0);
  });

  it('forgets a key after 24 hours', async () => {
    const first = await createThread('old-key', {}).expect(200);
    await t.db.query(`UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE key = 'old-key'`);
    const later = await createThread('old-key', { metadata: { other: 'body' } }).expect(200);
    expect(later.body.id).not.toBe(first.body.id);
  });

  it('rejects a malformed key', async () => {
    const response = await createThread('x'.repeat(256), {}).expect(400);
    expect(response.body.error.param).toBe('Idempotency-Key');
  });
});
