import { expectErrorEnvelope } from './support/envelope';
import { bearer, KEY_A, snapshot, startTestApp, TestApp } from './support/test-app';

/** Every id a client sends (path, body, cursor) is held to one rule on the way in: 1 to 128 printable ASCII characters. */
describe('the one id rule', () => {
  let t: TestApp;
  let threadId: string;

  beforeAll(async () => {
    t = await startTestApp();
    const thread = await t.http
      .post('/v1/threads')
      .set(bearer(KEY_A))
      .send({ messages: [{ role: 'user', content: 'x' }] });
    expect(thread.status).toBe(200);
    threadId = thread.body.id;
  });
  afterAll(() => t?.close());

  const BAD_IDS = ['a\u0000b', 'a\u001fb', 'a b', 'fïle', 'x'.repeat(129), ''];

  it.each([
    ['tool_resources.code_interpreter.file_ids[1]', (id: string) => ({ tool_resources: { code_interpreter: { file_ids: ['file-ok', id] } } })],
    ['tool_resources.file_search.vector_store_ids[0]', (id: string) => ({ tool_resources: { file_search: { vector_store_ids: [id] } } })],
    ['messages[0].attachments[0].file_id', (id: string) => ({ messages: [{ role: 'user', content: 'x', attachments: [{ file_id: id, tools: [] }] }] })],
  ])('a thread body with a bad id in %s: 400 naming it, nothing stored', async (param, body) => {
    for (const id of BAD_IDS.filter((bad) => bad !== '' || !param.endsWith('file_id'))) {
      const before = await snapshot(t.db);
      const res = await t.http.post('/v1/threads').set(bearer(KEY_A)).send(body(id));
      expectErrorEnvelope(res, 400);
      expect([JSON.stringify(id), res.body.error.param]).toEqual([JSON.stringify(id), param]);
      expect(await snapshot(t.db)).toBe(before);
    }
  });

  it.each(['after', 'before', 'run_id'])('a %s that breaks the rule: 400 naming it', async (name) => {
    for (const id of BAD_IDS.filter(Boolean)) {
      const res = await t.http
        .get(`/v1/threads/${threadId}/messages`)
        .query({ [name]: id })
        .set(bearer(KEY_A));
      expectErrorEnvelope(res, 400);
      expect([JSON.stringify(id), res.body.error.param]).toEqual([JSON.stringify(id), name]);
    }
  });

  it('a path id that breaks the rule names no object: 404', async () => {
    for (const id of BAD_IDS.filter(Boolean)) {
      const res = await t.http.get(`/v1/threads/${encodeURIComponent(id)}`).set(bearer(KEY_A));
      expectErrorEnvelope(res, 404);
      const message = await t.http.get(`/v1/threads/${threadId}/messages/${encodeURIComponent(id)}`).set(bearer(KEY_A));
      expectErrorEnvelope(message, 404);
    }
  });

  it('every id of a stored message can be sent back as a cursor', async () => {
    const created = await t.http
      .post(`/v1/threads/${threadId}/messages`)
      .set(bearer(KEY_A))
      .send({ role: 'user', content: 'y', attachments: [{ file_id: 'file-~!', tools: [] }] });
    expect(created.status).toBe(200);
    const page = await t.http.get(`/v1/threads/${threadId}/messages`).query({ limit: 1 }).set(bearer(KEY_A));
    expect(page.status).toBe(200);
    const next = await t.http.get(`/v1/threads/${threadId}/messages`).query({ after: page.body.last_id }).set(bearer(KEY_A));
    expect(next.status).toBe(200);
    expect(next.body.data).toHaveLength(1);
  });
});
