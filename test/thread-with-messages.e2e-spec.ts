import {
  ALL_FLAVORS,
  AZURE_V1,
  AZURE_V2,
  Client,
  expectInvalid,
  expectMessage,
  expectNotFound,
  expectRecentSeconds,
  expectStatus,
  Flavor,
  Json,
  metadataOf,
  noThread,
  OPENAI_V1,
  OPENAI_V2,
  textPart,
  texts,
  THREAD_ID,
  V1_FLAVORS,
  V2_FLAVORS,
} from './support/message-fixtures';
import { KEY_B, snapshot, startTestApp, TestApp } from './support/test-app';

const say = (text: string, extra: Json = {}): Json => ({ role: 'user', content: text, ...extra });
const many = (count: number, prefix = 'msg'): Json[] => Array.from({ length: count }, (_, i) => say(`${prefix} ${String(i).padStart(3, '0')}`));

type Case = [name: string, messages: unknown, param: string];
const named = (cases: Case[]) => cases.map(([name, messages, param]) => ({ name, messages, param }));

/** One bad message among good ones, in both shapes. */
const COMMON_BAD: Case[] = [
  ['empty content in the middle', [say('a'), say(''), say('c')], 'messages'],
  ['role system last', [say('a'), say('b'), { role: 'system', content: 'c' }], 'messages'],
  ['role missing first', [{ content: 'a' }, say('b')], 'messages'],
  ['content missing', [say('a'), { role: 'user' }], 'messages'],
  ['content of 256,001 characters', [say('a'), say('x'.repeat(256_001))], 'messages'],
  ['content a number', [say('a'), { role: 'user', content: 7 }], 'messages'],
  ['metadata with 17 keys', [say('a'), say('b', { metadata: metadataOf(17) })], 'messages'],
  ['metadata with a non-string value', [say('a'), say('b', { metadata: { n: 1 } })], 'messages'],
  ['an unknown field in a message', [say('a'), say('b', { foo: 'bar' })], 'messages'],
  ['a message that is a string', [say('a'), 'b'], 'messages'],
  ['a message that is null', [say('a'), null], 'messages'],
  ['messages a string', 'hello', 'messages'],
  ['messages an object', say('a'), 'messages'],
  ['101 messages', many(101), 'messages'],
];

const V2_BAD: Case[] = [
  ['file_ids in a v2 message', [say('a'), say('b', { file_ids: ['file-1'] })], 'messages'],
  ['an empty content array', [say('a'), { role: 'user', content: [] }], 'messages'],
  ['an image_url that is not a URL', [say('a'), { role: 'user', content: [{ type: 'image_url', image_url: { url: 'nope' } }] }], 'messages'],
  ['an attachment tool of unknown type', [say('a'), say('b', { attachments: [{ file_id: 'f', tools: [{ type: 'retrieval' }] }] })], 'messages'],
  ['11 attachments', [say('a'), say('b', { attachments: Array.from({ length: 11 }, (_, i) => ({ file_id: `f${i}`, tools: [] })) })], 'messages'],
];

const V1_BAD: Case[] = [
  ['attachments in a v1 message', [say('a'), say('b', { attachments: [{ file_id: 'f', tools: [] }] })], 'messages'],
  ['content parts in a v1 message', [say('a'), { role: 'user', content: [{ type: 'text', text: 'b' }] }], 'messages'],
  ['11 file_ids', [say('a'), say('b', { file_ids: Array.from({ length: 11 }, (_, i) => `f${i}`) })], 'messages'],
];

describe('POST /threads with messages (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });

  afterAll(async () => {
    await t?.close();
  });

  const rows = async (threadId: string): Promise<{ id: string; seq: string }[]> =>
    (await t.db.query<{ id: string; seq: string }>('SELECT id, seq FROM messages WHERE thread_id = $1 ORDER BY seq', [threadId])).rows;

  describe.each(ALL_FLAVORS)('$label', (flavor: Flavor) => {
    const client = () => new Client(t, flavor);

    it('creates the thread and its messages, listed in the order given', async () => {
      const c = client();
      const v2 = c.shape === 'v2';
      const attachments = [{ file_id: 'file-att', tools: [{ type: 'file_search' }] }];
      const given: Json[] = [
        say('first', { metadata: { n: '1' } }),
        v2
          ? {
              role: 'assistant',
              content: [
                { type: 'text', text: 'second' },
                { type: 'image_file', image_file: { file_id: 'file-img' } },
              ],
            }
          : say('second'),
        v2 ? say('third', { attachments }) : say('third', { file_ids: ['file-att'] }),
        say('fourth'),
      ];
      const res = await c.post('/threads', { messages: given, metadata: { kind: 'seeded' } });
      expectStatus(res, 200);
      const thread = res.body as Json;
      expect(thread.id).toMatch(THREAD_ID);
      expect(thread.object).toBe('thread');
      expectRecentSeconds(thread.created_at);
      expect(thread.metadata).toEqual({ kind: 'seeded' });
      expect(thread).not.toHaveProperty('messages');
      const threadId = thread.id as string;

      const asc = await c.list(threadId, { order: 'asc' });
      expect(texts(asc.data)).toEqual(['first', 'second', 'third', 'fourth']);
      expect(asc.has_more).toBe(false);
      const desc = await c.list(threadId);
      expect(desc.data).toEqual([...asc.data].reverse());

      const [first, second, third, fourth] = asc.data;
      expectMessage(c.shape, first, { threadId, content: [textPart('first')], metadata: { n: '1' } });
      if (v2) {
        expectMessage('v2', second, {
          threadId,
          role: 'assistant',
          content: [textPart('second'), { type: 'image_file', image_file: { file_id: 'file-img', detail: 'auto' } }],
        });
        expectMessage('v2', third, { threadId, content: [textPart('third')], attachments });
      } else {
        expectMessage('v1', second, { threadId, content: [textPart('second')] });
        expectMessage('v1', third, { threadId, content: [textPart('third')], fileIds: ['file-att'] });
      }
      expectMessage(c.shape, fourth, { threadId, content: [textPart('fourth')] });
      for (const m of asc.data) expect(m.created_at).toBe(thread.created_at);

      expect((await rows(threadId)).map((r) => r.id)).toEqual(asc.data.map((m) => m.id));
      const retrieved = await c.get(`/threads/${threadId}/messages/${third.id as string}`);
      expect(retrieved.body).toEqual(third);
    });

    it('keeps the order of 100 messages: asc equals the order given, desc its reverse, pages included', async () => {
      const c = client();
      const given = many(100);
      const threadId = (await c.createThread({ messages: given })).id as string;
      const expected = given.map((m) => m.content as string);

      const asc = await c.list(threadId, { order: 'asc', limit: 100 });
      expect(texts(asc.data)).toEqual(expected);
      expect(asc.has_more).toBe(false);
      const desc = await c.list(threadId, { order: 'desc', limit: 100 });
      expect(texts(desc.data)).toEqual([...expected].reverse());

      const paged: string[] = [];
      let after: string | undefined;
      for (let i = 0; i < 10; i++) {
        const page = await c.list(threadId, { order: 'asc', limit: 30, after });
        paged.push(...texts(page.data));
        if (!page.has_more) break;
        after = page.last_id as string;
      }
      expect(paged).toEqual(expected);
      expect(await rows(threadId)).toHaveLength(100);
    });

    it('messages: [] creates a thread without messages', async () => {
      const c = client();
      const threadId = (await c.createThread({ messages: [] })).id as string;
      expect((await c.list(threadId)).data).toEqual([]);
      expect(await rows(threadId)).toHaveLength(0);
    });

    const bad = flavor.shape === 'v2' ? [...COMMON_BAD, ...V2_BAD] : [...COMMON_BAD, ...V1_BAD];
    it.each(named(bad))('$name: 400 naming $param, no thread and no message stored', async ({ messages, param }) => {
      const c = client();
      const before = await snapshot(t.db);
      expectInvalid(await c.post('/threads', { messages, metadata: { would: 'be stored' } }), param);
      expect(await snapshot(t.db)).toBe(before);
    });

    it('valid messages with invalid thread metadata: 400 naming metadata, nothing stored', async () => {
      const c = client();
      const before = await snapshot(t.db);
      expectInvalid(await c.post('/threads', { messages: [say('a'), say('b')], metadata: metadataOf(17) }), 'metadata');
      expectInvalid(await c.post('/threads', { messages: [say('a')], metadata: { k: 'v'.repeat(513) } }), 'metadata');
      expect(await snapshot(t.db)).toBe(before);
    });

    it('messages that is not an array is reported as a type error', async () => {
      const c = client();
      for (const messages of ['hello', 5, say('a')]) {
        const res = await c.post('/threads', { messages });
        expectInvalid(res, 'messages');
        const message = (res.body as { error: { message: string } }).error.message;
        expect(message).toMatch(/^Invalid type for 'messages'/);
      }
    });

    it("another tenant cannot see the thread's messages", async () => {
      const c = client();
      const threadId = (await c.createThread({ messages: [say('private')] })).id as string;
      expectNotFound(await c.as(KEY_B).get(`/threads/${threadId}/messages`), noThread(threadId));
      expect(texts((await c.list(threadId)).data)).toEqual(['private']);
    });
  });

  describe.each(V2_FLAVORS)('$label: seeded messages read in v1', (flavor: Flavor) => {
    it('attachments read as file_ids and message files', async () => {
      const v2 = new Client(t, flavor);
      const v1 = new Client(t, flavor.dialect === 'azure' ? AZURE_V1 : OPENAI_V1);
      const threadId = (
        await v2.createThread({
          messages: [
            say('plain'),
            say('with files', {
              attachments: [
                { file_id: 'file-1', tools: [{ type: 'code_interpreter' }] },
                { file_id: 'file-2', tools: [] },
              ],
            }),
          ],
        })
      ).id as string;
      const list = await v1.list(threadId, { order: 'asc' });
      expect(list.data.map((m) => m.file_ids)).toEqual([[], ['file-1', 'file-2']]);
      const files = await v1.get(`/threads/${threadId}/messages/${list.data[1].id as string}/files`, { order: 'asc' });
      expectStatus(files, 200);
      expect((files.body as { data: Json[] }).data.map((f) => f.id)).toEqual(['file-1', 'file-2']);
    });
  });

  describe.each(V1_FLAVORS)('$label: seeded messages read in v2', (flavor: Flavor) => {
    it('file_ids read as attachments', async () => {
      const v1 = new Client(t, flavor);
      const v2 = new Client(t, flavor.dialect === 'azure' ? AZURE_V2 : OPENAI_V2);
      const threadId = (await v1.createThread({ messages: [say('one', { file_ids: ['file-a'] }), say('two')] })).id as string;
      const list = await v2.list(threadId, { order: 'asc' });
      expect(texts(list.data)).toEqual(['one', 'two']);
      expect((list.data[0].attachments as { file_id: string }[]).map((a) => a.file_id)).toEqual(['file-a']);
      expect(list.data[1].attachments).toEqual([]);
    });
  });
});
