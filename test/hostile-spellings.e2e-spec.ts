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

  it('answers 400 for an object keyed by an Object member name where a scalar is expected, and stores nothing', async () => {
    const before = await snapshot(t.db);
    const thread = (await t.http.post('/v1/threads').set(bearer(KEY_A)).send({}).expect(200)).body.id as string;
    const cases: [string, string, string][] = [
      ['/v1/conversations', '{"items":[{"type":"message","role":{"toString":1},"content":"x"}]}', 'items[0].role'],
      ['/v1/conversations', '{"items":[{"type":{"toString":"x"}}]}', 'items[0].type'],
      [`/v1/threads/${thread}/messages`, '{"role":{"toString":1,"valueOf":1},"content":"x"}', 'role'],
      [`/v1/threads/${thread}/messages`, '{"role":"user","content":[{"type":{"toString":1}}]}', 'content[0].type'],
      [
        `/v1/threads/${thread}/messages`,
        '{"role":"user","content":"x","attachments":[{"file_id":"f","tools":[{"type":{"valueOf":1}}]}]}',
        'attachments[0].tools[0].type',
      ],
    ];
    for (const [path, raw, param] of cases) {
      const response = await t.http.post(path).set(bearer(KEY_A)).set('Content-Type', 'application/json').send(raw);
      expect({ raw, status: response.status, param: response.body.error?.param }).toEqual({ raw, status: 400, param });
      expect(response.body.error.message).not.toContain('[object Object]');
    }
    for (const query of ['created_after[toString]=1', 'limit[toString]=1', 'order[valueOf]=asc', 'metadata[toString][x]=1']) {
      const response = await t.http.get(`/v1/threads?${query}`).set(bearer(KEY_A));
      expect({ query, status: response.status }).toEqual({ query, status: 400 });
    }
    await t.db.query('DELETE FROM threads WHERE id = $1', [thread]);
    expect(await snapshot(t.db)).toBe(before);
  });

  it('refuses lone surrogates, which cannot be stored, and NUL characters in metadata (which its filter cannot compare); keeps them in content as sent', async () => {
    const before = await snapshot(t.db);
    for (const raw of ['{"metadata":{"k":"\\ud800"}}', '{"messages":[{"role":"user","content":"a\\udc00b"}]}', '{"metadata":{"\\ud800":"v"}}']) {
      const response = await t.http.post('/v1/threads').set(bearer(KEY_A)).set('Content-Type', 'application/json').send(raw);
      expect({ raw, status: response.status }).toEqual({ raw, status: 400 });
    }
    for (const body of [
      { metadata: { k: 'a\u0000b' } },
      { metadata: { 'k\u0000': 'v' } },
      { messages: [{ role: 'user', content: 'x', metadata: { n: '\u0000' } }] },
    ]) {
      const response = await t.http.post('/v1/threads').set(bearer(KEY_A)).send(body);
      expect({ body, status: response.status, code: response.body.error?.code }).toEqual({ body, status: 400, code: 'invalid_value' });
    }
    expect(await snapshot(t.db)).toBe(before);
    const nul = await t.http
      .post('/v1/threads')
      .set(bearer(KEY_A))
      .send({ metadata: { k: 'ab' }, messages: [{ role: 'user', content: 'x\u0000y' }] })
      .expect(200);
    const list = await t.http.get(`/v1/threads/${nul.body.id}/messages`).set(bearer(KEY_A)).expect(200);
    expect(list.body.data[0].content[0].text.value).toBe('x\u0000y');
  });
});
