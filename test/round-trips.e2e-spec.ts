import { watchSentQueries } from './support/sent-queries';
import { bearer, KEY_A, startTestApp, TestApp } from './support/test-app';

/**
 * The SQL round trips one request makes: every query any pg client of this process sends while
 * the request runs (the key store's own reads of api_keys, on timers, are left out).
 */
describe('SQL round trips per request', () => {
  let t: TestApp;
  let threadId: string;
  let messageId: string;
  const sent: string[] = [];
  let stopWatching: () => void;

  beforeAll(async () => {
    t = await startTestApp();
    const thread = await t.http
      .post('/v1/threads')
      .set(bearer(KEY_A))
      .send({ messages: [{ role: 'user', content: 'one' }] });
    threadId = thread.body.id;
    const list = await t.http.get(`/v1/threads/${threadId}/messages`).set(bearer(KEY_A));
    messageId = list.body.data[0].id;
    stopWatching = watchSentQueries((text) => {
      if (!text.includes('api_keys') && !text.startsWith('LISTEN')) sent.push(text);
    });
  });
  afterAll(async () => {
    stopWatching();
    await t.close();
  });

  const count = async (request: () => Promise<{ status: number }>, status = 200) => {
    sent.length = 0;
    const response = await request();
    expect(response.status).toBe(status);
    return sent.length;
  };

  it.each([
    ['create message', () => t.http.post(`/v1/threads/${threadId}/messages`).set(bearer(KEY_A)).send({ role: 'user', content: 'hi' })],
    ['list messages', () => t.http.get(`/v1/threads/${threadId}/messages?limit=20`).set(bearer(KEY_A))],
    ['list messages after a cursor', () => t.http.get(`/v1/threads/${threadId}/messages?after=${messageId}&order=asc`).set(bearer(KEY_A))],
    [
      'list messages before a cursor, v1',
      () => t.http.get(`/v1/threads/${threadId}/messages?before=${messageId}`).set(bearer(KEY_A)).set('OpenAI-Beta', 'assistants=v1'),
    ],
    ['retrieve message', () => t.http.get(`/v1/threads/${threadId}/messages/${messageId}`).set(bearer(KEY_A))],
    [
      'modify message',
      () =>
        t.http
          .post(`/v1/threads/${threadId}/messages/${messageId}`)
          .set(bearer(KEY_A))
          .send({ metadata: { a: 'b' } }),
    ],
    [
      'list message files (v1)',
      () => t.http.get(`/openai/threads/${threadId}/messages/${messageId}/files?api-version=2024-02-15-preview`).set('api-key', KEY_A),
    ],
    [
      'create thread with messages',
      () =>
        t.http
          .post('/v1/threads')
          .set(bearer(KEY_A))
          .send({
            messages: [
              { role: 'user', content: 'a' },
              { role: 'user', content: 'b' },
            ],
          }),
    ],
    ['retrieve thread', () => t.http.get(`/v1/threads/${threadId}`).set(bearer(KEY_A))],
    ['list threads, filtered, after a cursor', () => t.http.get(`/v1/threads?metadata[a]=b&created_after=1&after=${threadId}`).set(bearer(KEY_A))],
    ['search a thread', () => t.http.get(`/v1/threads/${threadId}/messages?query=one`).set(bearer(KEY_A))],
    ['search the tenant', () => t.http.get('/v1/messages/search?query=one').set(bearer(KEY_A))],
  ])('%s: one round trip', async (_name, request) => {
    expect(await count(request)).toBe(1);
  });

  it('a missing thread or message costs one round trip too', async () => {
    expect(await count(() => t.http.get('/v1/threads/thread_missing/messages').set(bearer(KEY_A)), 404)).toBe(1);
    expect(await count(() => t.http.get(`/v1/threads/${threadId}/messages/msg_missing`).set(bearer(KEY_A)), 404)).toBe(1);
    expect(await count(() => t.http.post('/v1/threads/thread_missing/messages').set(bearer(KEY_A)).send({ role: 'user', content: 'x' }), 404)).toBe(1);
  });

  it('download a file: one round trip for the file, one per chunk, none past the last', async () => {
    const upload = (content: Buffer) =>
      t.http.post('/v1/files').set(bearer(KEY_A)).field('purpose', 'assistants').attach('file', content, { filename: 'a.txt', contentType: 'text/plain' });
    const small = await upload(Buffer.from('hello'));
    const empty = await upload(Buffer.alloc(0));
    expect([small.status, empty.status]).toEqual([200, 200]);
    expect(await count(() => t.http.get(`/v1/files/${small.body.id}/content`).set(bearer(KEY_A)))).toBe(2);
    expect(await count(() => t.http.get(`/v1/files/${empty.body.id}/content`).set(bearer(KEY_A)))).toBe(1);
  });

  it('delete message: one round trip', async () => {
    const created = await t.http.post(`/v1/threads/${threadId}/messages`).set(bearer(KEY_A)).send({ role: 'user', content: 'bye' });
    expect(await count(() => t.http.delete(`/v1/threads/${threadId}/messages/${created.body.id}`).set(bearer(KEY_A)))).toBe(1);
  });

  it('rejected input costs no round trip', async () => {
    expect(await count(() => t.http.post(`/v1/threads/${threadId}/messages`).set(bearer(KEY_A)).send({ role: 'robot', content: 'x' }), 400)).toBe(0);
    expect(await count(() => t.http.get(`/v1/threads/${threadId}/messages?limit=0`).set(bearer(KEY_A)), 400)).toBe(0);
    expect(await count(() => t.http.get(`/v1/threads/${threadId}/messages`), 401)).toBe(0);
  });
});
