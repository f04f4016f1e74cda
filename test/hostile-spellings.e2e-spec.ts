import { bearer, KEY_A, KEY_B, snapshot, startTestApp, TestApp } from './support/test-app';

describe('hostile spellings of routes and fields', () => {
  let t: TestApp;
  beforeAll(async () => (t = await startTestApp()));
  afterAll(() => t.close());

  it('checks the key on a percent-encoded spelling of a route, and keeps tenants apart there too', async () => {
    const thread = await t.http.post('/v1/threads').set(bearer(KEY_A)).send({}).expect(200);
    for (const path of [
      `/%761/threads/${thread.body.id}`,
      `/v%31/threads/${thread.body.id}`,
      `/%6fpenai/threads/${thread.body.id}?api-version=2024-08-01-preview`,
    ]) {
      const anonymous = await t.http.get(path);
      expect({ path, status: anonymous.status }).toEqual({ path, status: 401 });
      const other = await t.http.get(path).set(bearer(KEY_B)).set('api-key', KEY_B);
      expect({ path, status: other.status }).toEqual({ path, status: 404 });
      const owner = await t.http.get(path).set(bearer(KEY_A)).set('api-key', KEY_A);
      expect({ path, status: owner.status, id: owner.body.id }).toEqual({ path, status: 200, id: thread.body.id });
    }
    const noVersion = await t.http.get(`/%6fpenai/threads/${thread.body.id}`).set('api-key', KEY_A).expect(400);
    expect(noVersion.body.error.param).toBe('api-version');
  });

  it('refuses keys that would be dropped silently, in bodies and queries, and stores nothing', async () => {
    const before = await snapshot(t.db);
    for (const raw of [
      '{"constructor":1}',
      '{"prototype":{}}',
      '{"__proto__":{"x":1}}',
      '{"metadata":{"constructor":"a"}}',
      '{"messages":[{"role":"user","content":"x","prototype":1}]}',
    ]) {
      const response = await t.http.post('/v1/threads').set(bearer(KEY_A)).set('Content-Type', 'application/json').send(raw);
      expect({ raw, status: response.status, code: response.body.error?.code }).toEqual({ raw, status: 400, code: 'invalid_value' });
    }
    const thread = await t.http
      .post('/v1/threads')
      .set(bearer(KEY_A))
      .send({ metadata: { toString: 'kept', valueOf: 'kept' } })
      .expect(200);
    expect(thread.body.metadata).toEqual({ toString: 'kept', valueOf: 'kept' });
    for (const query of ['constructor=x', 'hasOwnProperty=x', 'prototype=1', 'bogus=1']) {
      const response = await t.http.get(`/v1/threads/${thread.body.id}/messages?${query}`).set(bearer(KEY_A)).expect(400);
      expect(response.body.error.code).toBe('unknown_parameter');
    }
    await t.db.query('DELETE FROM threads WHERE id = $1', [thread.body.id]);
    expect(await snapshot(t.db)).toBe(before);
  });

  it('refuses lone surrogates, which cannot be stored, and keeps NUL characters as sent', async () => {
    const before = await snapshot(t.db);
    for (const raw of ['{"metadata":{"k":"\\ud800"}}', '{"messages":[{"role":"user","content":"a\\udc00b"}]}', '{"metadata":{"\\ud800":"v"}}']) {
      const response = await t.http.post('/v1/threads').set(bearer(KEY_A)).set('Content-Type', 'application/json').send(raw);
      expect({ raw, status: response.status }).toEqual({ raw, status: 400 });
    }
    expect(await snapshot(t.db)).toBe(before);
    const nul = await t.http
      .post('/v1/threads')
      .set(bearer(KEY_A))
      .send({ metadata: { k: 'a\u0000b' }, messages: [{ role: 'user', content: 'x\u0000y', metadata: { n: '\u0000' } }] })
      .expect(200);
    expect(nul.body.metadata).toEqual({ k: 'a\u0000b' });
    const list = await t.http.get(`/v1/threads/${nul.body.id}/messages`).set(bearer(KEY_A)).expect(200);
    expect(list.body.data[0].content[0].text.value).toBe('x\u0000y');
    expect(list.body.data[0].metadata).toEqual({ n: '\u0000' });
  });
});
