import {
  ALL_FLAVORS,
  azure,
  AZURE_V1,
  AZURE_V2,
  Client,
  expectInvalid,
  expectMessage,
  expectNotFound,
  expectStatus,
  Flavor,
  Json,
  noMessage,
  noThread,
  OPENAI_V1,
  OPENAI_V2,
  OPENAI_V2_HEADER,
  textPart,
  texts,
  unknownMessageId,
  unknownThreadId,
  V1_MESSAGE_KEYS,
  V2_FLAVORS,
  V2_MESSAGE_KEYS,
} from './support/message-fixtures';
import { KEY_A2, KEY_B, snapshot, startTestApp, TestApp } from './support/test-app';

describe('messages: create, list, retrieve, modify, delete (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });

  afterAll(async () => {
    await t?.close();
  });

  const messageRows = async (threadId: string): Promise<number> =>
    Number((await t.db.query<{ n: string }>('SELECT count(*) AS n FROM messages WHERE thread_id = $1', [threadId])).rows[0].n);

  describe.each(ALL_FLAVORS)('$label', (flavor: Flavor) => {
    const client = () => new Client(t, flavor);

    it('creates a message from string content, stored and returned in the shape of the version', async () => {
      const c = client();
      const threadId = await c.newThreadId();
      const message = await c.createMessage(threadId, { role: 'user', content: 'How does AI work?', metadata: { topic: 'ai' } });
      expectMessage(c.shape, message, { threadId, content: [textPart('How does AI work?')], metadata: { topic: 'ai' } });

      const { rows } = await t.db.query('SELECT thread_id, role, tenant_id, metadata FROM messages WHERE id = $1', [message.id]);
      expect(rows).toEqual([{ thread_id: threadId, role: 'user', tenant_id: 'alpha', metadata: { topic: 'ai' } }]);
    });

    it('creates an assistant message', async () => {
      const c = client();
      const threadId = await c.newThreadId();
      const message = await c.createMessage(threadId, { role: 'assistant', content: 'AI works by learning patterns.' });
      expectMessage(c.shape, message, { threadId, role: 'assistant', content: [textPart('AI works by learning patterns.')] });
    });

    if (flavor.shape === 'v2') {
      it('creates a message from content parts, echoed in output form with detail defaulting to auto, and attachments', async () => {
        const c = client();
        const threadId = await c.newThreadId();
        const attachments = [
          { file_id: 'file-code', tools: [{ type: 'code_interpreter' }] },
          { file_id: 'file-search', tools: [{ type: 'file_search' }] },
          { file_id: 'file-both', tools: [{ type: 'code_interpreter' }, { type: 'file_search' }] },
        ];
        const dataUrl = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';
        const message = await c.createMessage(threadId, {
          role: 'user',
          content: [
            { type: 'text', text: 'What is in these images?' },
            { type: 'image_url', image_url: { url: 'https://example.com/cat.png' } },
            { type: 'image_url', image_url: { url: dataUrl, detail: 'low' } },
            { type: 'image_file', image_file: { file_id: 'file-img1' } },
            { type: 'image_file', image_file: { file_id: 'file-img2', detail: 'high' } },
          ],
          attachments,
        });
        expectMessage('v2', message, {
          threadId,
          attachments,
          content: [
            textPart('What is in these images?'),
            { type: 'image_url', image_url: { url: 'https://example.com/cat.png', detail: 'auto' } },
            { type: 'image_url', image_url: { url: dataUrl, detail: 'low' } },
            { type: 'image_file', image_file: { file_id: 'file-img1', detail: 'auto' } },
            { type: 'image_file', image_file: { file_id: 'file-img2', detail: 'high' } },
          ],
        });
        const retrieved = await c.get(`/threads/${threadId}/messages/${message.id as string}`);
        expectStatus(retrieved, 200);
        expect(retrieved.body).toEqual(message);
      });

      it('accepts attachments: null and metadata: null as absent', async () => {
        const c = client();
        const threadId = await c.newThreadId();
        const message = await c.createMessage(threadId, { role: 'user', content: 'x', attachments: null, metadata: null });
        expectMessage('v2', message, { threadId, content: [textPart('x')], attachments: [], metadata: {} });
      });
    } else {
      it('creates a message with file_ids', async () => {
        const c = client();
        const threadId = await c.newThreadId();
        const message = await c.createMessage(threadId, { role: 'user', content: 'Read these.', file_ids: ['file-a', 'file-b'] });
        expectMessage('v1', message, { threadId, content: [textPart('Read these.')], fileIds: ['file-a', 'file-b'] });
      });
    }

    it('retrieves a message exactly as it was created', async () => {
      const c = client();
      const threadId = await c.newThreadId();
      const created = await c.say(threadId, 'hello', { metadata: { a: '1' } });
      const res = await c.get(`/threads/${threadId}/messages/${created.id as string}`);
      expectStatus(res, 200);
      expect(res.body).toEqual(created);
    });

    it('lists the messages of a thread, newest first by default, in the list envelope', async () => {
      const c = client();
      const threadId = await c.newThreadId();
      const other = await c.newThreadId();
      await c.say(other, 'elsewhere');
      const created = [await c.say(threadId, 'one'), await c.say(threadId, 'two'), await c.say(threadId, 'three')];
      const list = await c.list(threadId);
      expect(Object.keys(list).sort()).toEqual(['data', 'first_id', 'has_more', 'last_id', 'object']);
      expect(list.object).toBe('list');
      expect(list.data).toEqual([...created].reverse());
      expect(list.first_id).toBe(created[2].id);
      expect(list.last_id).toBe(created[0].id);
      expect(list.has_more).toBe(false);
      for (const m of list.data) expect(Object.keys(m).sort()).toEqual(c.shape === 'v1' ? V1_MESSAGE_KEYS : V2_MESSAGE_KEYS);
    });

    it('lists an empty thread as an empty page', async () => {
      const c = client();
      const threadId = await c.newThreadId();
      expect(await c.list(threadId)).toEqual({ object: 'list', data: [], first_id: null, last_id: null, has_more: false });
    });

    it('modifies the metadata, replacing it as a whole', async () => {
      const c = client();
      const threadId = await c.newThreadId();
      const created = await c.say(threadId, 'hello', { metadata: { a: '1', b: '2' } });
      const path = `/threads/${threadId}/messages/${created.id as string}`;

      const res = await c.post(path, { metadata: { c: '3' } });
      expectStatus(res, 200);
      expect(res.body).toEqual({ ...created, metadata: { c: '3' } });

      const retrieved = await c.get(path);
      expect(retrieved.body).toEqual({ ...created, metadata: { c: '3' } });
      const { rows } = await t.db.query('SELECT metadata FROM messages WHERE id = $1', [created.id]);
      expect(rows[0].metadata).toEqual({ c: '3' });

      const cleared = await c.post(path, { metadata: {} });
      expectStatus(cleared, 200);
      expect(cleared.body).toEqual({ ...created, metadata: {} });
    });

    it('modify with an empty body changes nothing', async () => {
      const c = client();
      const threadId = await c.newThreadId();
      const created = await c.say(threadId, 'hello', { metadata: { keep: 'me' } });
      const before = await snapshot(t.db);
      const res = await c.post(`/threads/${threadId}/messages/${created.id as string}`, {});
      expectStatus(res, 200);
      expect(res.body).toEqual(created);
      expect(await snapshot(t.db)).toBe(before);
    });

    it('deletes a message: deletion status, then 404 and gone from the list and the table', async () => {
      const c = client();
      const threadId = await c.newThreadId();
      const kept = await c.say(threadId, 'kept');
      const doomed = await c.say(threadId, 'doomed');
      const id = doomed.id as string;
      const path = `/threads/${threadId}/messages/${id}`;

      const res = await c.delete(path);
      expectStatus(res, 200);
      expect(res.body).toEqual({ id, object: 'thread.message.deleted', deleted: true });

      expectNotFound(await c.get(path), noMessage(id));
      expectNotFound(await c.post(path, { metadata: { x: 'y' } }), noMessage(id));
      expectNotFound(await c.delete(path), noMessage(id));
      expect((await c.list(threadId)).data).toEqual([kept]);
      expect((await t.db.query('SELECT 1 FROM messages WHERE id = $1', [id])).rowCount).toBe(0);
    });

    it('answers 404 No thread found on every message route of an unknown thread', async () => {
      const c = client();
      const threadId = unknownThreadId();
      const messageId = unknownMessageId();
      const before = await snapshot(t.db);
      expectNotFound(await c.post(`/threads/${threadId}/messages`, { role: 'user', content: 'x' }), noThread(threadId));
      expectNotFound(await c.get(`/threads/${threadId}/messages`), noThread(threadId));
      expectNotFound(await c.get(`/threads/${threadId}/messages/${messageId}`), noThread(threadId));
      expectNotFound(await c.post(`/threads/${threadId}/messages/${messageId}`, { metadata: { a: 'b' } }), noThread(threadId));
      expectNotFound(await c.delete(`/threads/${threadId}/messages/${messageId}`), noThread(threadId));
      expect(await snapshot(t.db)).toBe(before);
    });

    it("answers another tenant's thread exactly like a missing one on every message route, and changes nothing", async () => {
      const alpha = client();
      const beta = alpha.as(KEY_B);
      const threadId = await alpha.newThreadId();
      const message = await alpha.say(threadId, 'secret', { metadata: { owner: 'alpha' } });
      const messageId = message.id as string;
      const calls = (cl: Client) => [
        () => cl.post(`/threads/${threadId}/messages`, { role: 'user', content: 'intrusion' }),
        () => cl.get(`/threads/${threadId}/messages`),
        () => cl.get(`/threads/${threadId}/messages/${messageId}`),
        () => cl.post(`/threads/${threadId}/messages/${messageId}`, { metadata: { owner: 'beta' } }),
        () => cl.delete(`/threads/${threadId}/messages/${messageId}`),
      ];

      const before = await snapshot(t.db);
      const betaAnswers: { status: number; body: unknown }[] = [];
      for (const call of calls(beta)) {
        const res = await call();
        expectNotFound(res, noThread(threadId));
        betaAnswers.push({ status: res.status, body: res.body });
      }
      expect(await snapshot(t.db)).toBe(before);
      const retrieved = await alpha.get(`/threads/${threadId}/messages/${messageId}`);
      expect(retrieved.body).toEqual(message);

      // Once the thread is really gone, its owner gets the very same answers.
      expectStatus(await alpha.delete(`/threads/${threadId}`), 200);
      for (const [i, call] of calls(alpha).entries()) {
        const res = await call();
        expect({ status: res.status, body: res.body as unknown }).toEqual(betaAnswers[i]);
      }
    });

    it("another key of the same tenant sees and edits the tenant's messages", async () => {
      const c = client();
      const threadId = await c.newThreadId();
      const message = await c.say(threadId, 'shared');
      const other = c.as(KEY_A2);
      expect((await other.list(threadId)).data).toEqual([message]);
      const res = await other.post(`/threads/${threadId}/messages/${message.id as string}`, { metadata: { by: 'a2' } });
      expectStatus(res, 200);
      expect(res.body).toEqual({ ...message, metadata: { by: 'a2' } });
    });

    it('answers 404 No message found for an unknown message and for a message of another thread', async () => {
      const c = client();
      const threadId = await c.newThreadId();
      const otherThread = await c.newThreadId();
      const foreign = (await c.say(otherThread, 'not here')).id as string;
      const betaThread = await c.as(KEY_B).newThreadId();
      const before = await snapshot(t.db);
      for (const id of [unknownMessageId(), foreign]) {
        const path = `/threads/${threadId}/messages/${id}`;
        expectNotFound(await c.get(path), noMessage(id));
        expectNotFound(await c.post(path, { metadata: { a: 'b' } }), noMessage(id));
        expectNotFound(await c.delete(path), noMessage(id));
      }
      // Alpha's message id from beta's own thread is just as unknown.
      expectNotFound(await c.as(KEY_B).get(`/threads/${betaThread}/messages/${foreign}`), noMessage(foreign));
      expectNotFound(await c.as(KEY_B).delete(`/threads/${betaThread}/messages/${foreign}`), noMessage(foreign));
      expect(await snapshot(t.db)).toBe(before);
      expect((await c.list(otherThread)).data.map((m) => m.id)).toEqual([foreign]);
    });

    it('deleting a thread deletes its messages', async () => {
      const c = client();
      const threadId = await c.newThreadId();
      const survivor = await c.newThreadId();
      await c.say(threadId, 'one');
      await c.say(threadId, 'two');
      await c.say(survivor, 'stays');
      expect(await messageRows(threadId)).toBe(2);
      expectStatus(await c.delete(`/threads/${threadId}`), 200);
      expect(await messageRows(threadId)).toBe(0);
      expect(await messageRows(survivor)).toBe(1);
      expectNotFound(await c.get(`/threads/${threadId}/messages`), noThread(threadId));
    });

    it('pages with limit, order, after and before', async () => {
      const c = client();
      const threadId = await c.newThreadId();
      const ids: string[] = [];
      for (const text of ['m1', 'm2', 'm3', 'm4', 'm5']) ids.push((await c.say(threadId, text)).id as string);
      const [m1, m2, m3, m4, m5] = ids;
      const page = async (query: Record<string, string | number>) => {
        const list = await c.list(threadId, query);
        expect(list.first_id).toBe(list.data.length ? list.data[0].id : null);
        expect(list.last_id).toBe(list.data.length ? list.data[list.data.length - 1].id : null);
        return { ids: list.data.map((m) => m.id), more: list.has_more };
      };

      expect(await page({ order: 'asc' })).toEqual({ ids, more: false });
      expect(await page({ order: 'desc' })).toEqual({ ids: [...ids].reverse(), more: false });
      expect(await page({ order: 'asc', limit: 2 })).toEqual({ ids: [m1, m2], more: true });
      expect(await page({ order: 'asc', limit: 2, after: m2 })).toEqual({ ids: [m3, m4], more: true });
      expect(await page({ order: 'asc', limit: 2, after: m4 })).toEqual({ ids: [m5], more: false });
      expect(await page({ limit: 2 })).toEqual({ ids: [m5, m4], more: true });
      expect(await page({ limit: 2, after: m4 })).toEqual({ ids: [m3, m2], more: true });
      expect(await page({ limit: 2, after: m2 })).toEqual({ ids: [m1], more: false });
      expect(await page({ order: 'asc', limit: 2, before: m5 })).toEqual({ ids: [m3, m4], more: true });
      expect(await page({ order: 'asc', before: m1 })).toEqual({ ids: [], more: false });
      expect(await page({ order: 'desc', limit: 2, before: m1 })).toEqual({ ids: [m3, m2], more: true });
      expect(await page({ order: 'desc', limit: 3, before: m2 })).toEqual({ ids: [m5, m4, m3], more: false });
      expect(await page({ order: 'asc', limit: 100, after: m1, before: m5 })).toEqual({ ids: [m2, m3, m4], more: false });
    });

    it('defaults to limit 20 and order desc', async () => {
      const c = client();
      const threadId = await c.newThreadId();
      const all: string[] = [];
      for (let i = 0; i < 23; i++) all.push((await c.say(threadId, `n${i}`)).id as string);
      const list = await c.list(threadId);
      expect(list.data.map((m) => m.id)).toEqual([...all].reverse().slice(0, 20));
      expect(list.has_more).toBe(true);
      const rest = await c.list(threadId, { after: list.last_id as string });
      expect(rest.data.map((m) => m.id)).toEqual([all[2], all[1], all[0]]);
      expect(rest.has_more).toBe(false);
      expect((await c.list(threadId, { limit: 100 })).data).toHaveLength(23);
      expect((await c.list(threadId, { limit: 1 })).data.map((m) => m.id)).toEqual([all[22]]);
    });

    it.each([
      ['limit', '0'],
      ['limit', '101'],
      ['limit', 'abc'],
      ['limit', '1.5'],
      ['limit', '-1'],
      ['order', 'up'],
      ['order', 'ASC'],
    ])('rejects %s=%s with 400 naming the parameter', async (name, value) => {
      const c = client();
      const threadId = await c.newThreadId();
      await c.say(threadId, 'x');
      expectInvalid(await c.get(`/threads/${threadId}/messages`, { [name]: value }), name);
    });

    it.each([
      ['abc', "Invalid type for 'limit': expected an integer, but got 'abc' instead."],
      ['', "Invalid type for 'limit': expected an integer, but got '' instead."],
      ['1e1', "Invalid type for 'limit': expected an integer, but got '1e1' instead."],
      ['0x10', "Invalid type for 'limit': expected an integer, but got '0x10' instead."],
      ['1.5', "Invalid type for 'limit': expected an integer, but got '1.5' instead."],
      ['0', "Invalid 'limit': integer below minimum value. Expected a value >= 1, but got 0 instead."],
    ])('limit=%s is refused in words that quote what was sent', async (value, message) => {
      const c = client();
      const threadId = await c.newThreadId();
      const response = await c.get(`/threads/${threadId}/messages`, { limit: value });
      expect(response.status).toBe(400);
      expect(response.body.error).toMatchObject({ message, param: 'limit' });
    });

    it('rejects after/before that is not a message of this thread: a random id, a message of another thread, a deleted one', async () => {
      const c = client();
      const threadId = await c.newThreadId();
      const otherThread = await c.newThreadId();
      await c.say(threadId, 'a');
      await c.say(threadId, 'b');
      const deleted = (await c.say(threadId, 'c')).id as string;
      expectStatus(await c.delete(`/threads/${threadId}/messages/${deleted}`), 200);
      const foreign = (await c.say(otherThread, 'elsewhere')).id as string;
      const betaMessage = (await c.as(KEY_B).say(await c.as(KEY_B).newThreadId(), 'beta')).id as string;
      for (const cursor of [unknownMessageId(), foreign, deleted, betaMessage, 'not-an-id']) {
        for (const name of ['after', 'before']) {
          for (const order of ['asc', 'desc']) {
            expectInvalid(await c.get(`/threads/${threadId}/messages`, { [name]: cursor, order }), name);
          }
        }
      }
    });
  });

  describe.each(ALL_FLAVORS)('$label: empty cursors', (flavor: Flavor) => {
    it('after= and before= (empty) are not messages of the thread: 400, never a silently empty page', async () => {
      const c = new Client(t, flavor);
      const threadId = await c.newThreadId();
      await c.say(threadId, 'a');
      await c.say(threadId, 'b');
      expectInvalid(await c.get(`/threads/${threadId}/messages`, { after: '' }), 'after');
      expectInvalid(await c.get(`/threads/${threadId}/messages`, { before: '' }), 'before');
    });
  });

  describe.each(V2_FLAVORS)('$label: run_id filter', (flavor: Flavor) => {
    it('an unknown run id gives an empty page', async () => {
      const c = new Client(t, flavor);
      const threadId = await c.newThreadId();
      await c.say(threadId, 'not from a run');
      await c.say(threadId, 'nor this');
      const list = await c.list(threadId, { run_id: 'run_abc123' });
      expect(list).toEqual({ object: 'list', data: [], first_id: null, last_id: null, has_more: false });
      expect((await c.list(threadId)).data).toHaveLength(2);
    });
  });

  it('OpenAI assistants=v1: run_id filter applies too (the v1 edition of listMessages has it)', async () => {
    const c = new Client(t, OPENAI_V1);
    const threadId = await c.newThreadId();
    await c.say(threadId, 'not from a run');
    const list = await c.list(threadId, { run_id: 'run_abc123' });
    expect(list).toEqual({ object: 'list', data: [], first_id: null, last_id: null, has_more: false });
  });

  describe('one stored message, two shapes and two dialects', () => {
    it('a v2 message with attachments reads as file_ids in v1, in both dialects', async () => {
      const v2 = new Client(t, OPENAI_V2);
      const threadId = await v2.newThreadId();
      const attachments = [
        { file_id: 'file-1', tools: [{ type: 'code_interpreter' }] },
        { file_id: 'file-2', tools: [{ type: 'file_search' }] },
      ];
      const created = await v2.createMessage(threadId, { role: 'user', content: 'see files', attachments, metadata: { m: '1' } });
      for (const v1 of [new Client(t, OPENAI_V1), new Client(t, AZURE_V1)]) {
        const res = await v1.get(`/threads/${threadId}/messages/${created.id as string}`);
        expectStatus(res, 200);
        expectMessage('v1', res.body as Json, { threadId, content: [textPart('see files')], fileIds: ['file-1', 'file-2'], metadata: { m: '1' } });
        expect((res.body as Json).id).toBe(created.id);
        expect((res.body as Json).created_at).toBe(created.created_at);
        expect((await v1.list(threadId)).data).toEqual([res.body]);
      }
      const azureV2 = await new Client(t, AZURE_V2).get(`/threads/${threadId}/messages/${created.id as string}`);
      expect(azureV2.body).toEqual(created);
    });

    it('a v1 message with file_ids reads as attachments in v2, in both dialects', async () => {
      const v1 = new Client(t, AZURE_V1);
      const threadId = await v1.newThreadId();
      const created = await v1.createMessage(threadId, { role: 'user', content: 'old style', file_ids: ['file-x', 'file-y'] });
      for (const v2 of [new Client(t, OPENAI_V2), new Client(t, AZURE_V2)]) {
        const res = await v2.get(`/threads/${threadId}/messages/${created.id as string}`);
        expectStatus(res, 200);
        const message = res.body as Json;
        expect(Object.keys(message).sort()).toEqual(V2_MESSAGE_KEYS);
        expect(message.id).toBe(created.id);
        const attachments = message.attachments as { file_id: string; tools: unknown }[];
        expect(attachments.map((a) => a.file_id)).toEqual(['file-x', 'file-y']);
        for (const a of attachments) {
          expect(Object.keys(a).sort()).toEqual(['file_id', 'tools']);
          expect(Array.isArray(a.tools)).toBe(true);
        }
        expect(message.content).toEqual([textPart('old style')]);
      }
    });

    it.each([
      ['2024-02-15-preview', 'v1'],
      ['2024-03-01-preview', 'v1'],
      ['2024-04-01-preview', 'v1'],
      ['2024-05-01-preview', 'v2'],
      ['2024-08-01-preview', 'v2'],
    ] as const)('Azure api-version %s answers in the %s shape', async (version, shape) => {
      const owner = new Client(t, OPENAI_V2);
      const threadId = await owner.newThreadId();
      const created = await owner.createMessage(threadId, {
        role: 'user',
        content: 'versioned',
        attachments: [{ file_id: 'file-v', tools: [{ type: 'file_search' }] }],
      });
      const c = new Client(t, azure(version, shape));
      const res = await c.get(`/threads/${threadId}/messages/${created.id as string}`);
      expectStatus(res, 200);
      expect(Object.keys(res.body as object).sort()).toEqual(shape === 'v1' ? V1_MESSAGE_KEYS : V2_MESSAGE_KEYS);
      if (shape === 'v1') expect((res.body as Json).file_ids).toEqual(['file-v']);
      else expect(res.body).toEqual(created);
      const made = await c.createMessage(threadId, { role: 'user', content: 'from azure' });
      expectMessage(shape, made, { threadId, content: [textPart('from azure')] });
    });

    it('OpenAI-Beta: assistants=v2 is the same as no header', async () => {
      const explicit = new Client(t, OPENAI_V2_HEADER);
      const threadId = await explicit.newThreadId();
      const created = await explicit.say(threadId, 'explicit');
      expectMessage('v2', created, { threadId, content: [textPart('explicit')] });
      const res = await new Client(t, OPENAI_V2).get(`/threads/${threadId}/messages/${created.id as string}`);
      expect(res.body).toEqual(created);
    });

    it('v1 and v2 lists of one thread hold the same messages in the same order', async () => {
      const v2 = new Client(t, AZURE_V2);
      const v1 = new Client(t, OPENAI_V1);
      const threadId = await v2.newThreadId();
      await v2.say(threadId, 'first');
      await v1.say(threadId, 'second');
      await v2.say(threadId, 'third');
      expect(texts((await v1.list(threadId, { order: 'asc' })).data)).toEqual(['first', 'second', 'third']);
      expect(texts((await v2.list(threadId, { order: 'asc' })).data)).toEqual(['first', 'second', 'third']);
    });
  });
});
