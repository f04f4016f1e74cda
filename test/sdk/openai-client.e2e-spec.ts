import OpenAI from 'openai';
import type { Message, MessageCreateParams } from 'openai/resources/beta/threads/messages';
import { KEY_A, startTestApp, TestApp } from '../support/test-app';
import {
  asV1,
  envelopeOf,
  expectMessageV1,
  expectMessageV2,
  expectThreadV1,
  expectThreadV2,
  openAiClient,
  SentRequest,
  storedMessageIds,
  textOf,
  threadWithMessages,
} from '../support/sdk-clients';

/** The official `openai` SDK (v6) against the OpenAI dialect: `/v1/...`, `Authorization: Bearer`. */
describe('openai SDK: OpenAI client on /v1', () => {
  let app: TestApp & { url?: string };
  let url: string;
  let client: OpenAI;
  const sent: SentRequest[] = [];

  beforeAll(async () => {
    app = await startTestApp({ listen: true });
    url = app.url as string;
    client = openAiClient(url, KEY_A, sent);
  });

  afterAll(async () => {
    await app?.close();
  });

  describe('threads', () => {
    it('create() with no body gives an empty v2 thread, sent as POST /v1/threads with the Bearer key and assistants=v2', async () => {
      sent.length = 0;
      const thread = await client.beta.threads.create();
      expectThreadV2(thread);
      expect(thread.metadata).toEqual({});
      expect(thread.tool_resources).toEqual({});

      expect(sent).toHaveLength(1);
      expect(sent[0].method).toBe('POST');
      expect(sent[0].url.pathname).toBe('/v1/threads');
      expect(sent[0].headers.get('authorization')).toBe(`Bearer ${KEY_A}`);
      expect(sent[0].headers.get('openai-beta')).toBe('assistants=v2');
    });

    it('create() with metadata and tool_resources echoes both, and retrieve() returns the same thread', async () => {
      const metadata = { project: 'sdk', owner: 'tests' };
      const toolResources = { code_interpreter: { file_ids: ['file-abc', 'file-def'] }, file_search: { vector_store_ids: ['vs_123'] } };
      const thread = await client.beta.threads.create({ metadata, tool_resources: toolResources });
      expectThreadV2(thread);
      expect(thread.metadata).toEqual(metadata);
      expect(thread.tool_resources).toEqual(toolResources);

      const retrieved = await client.beta.threads.retrieve(thread.id);
      expectThreadV2(retrieved);
      expect(retrieved).toEqual(thread);
    });

    it('create() with messages stores them in the order given, with their content, attachments and metadata', async () => {
      const thread = await client.beta.threads.create({
        metadata: { seeded: 'yes' },
        messages: [
          { role: 'user', content: 'first' },
          {
            role: 'assistant',
            content: [
              { type: 'text', text: 'second' },
              { type: 'image_url', image_url: { url: 'https://example.com/cat.png', detail: 'low' } },
            ],
            metadata: { n: '2' },
          },
          { role: 'user', content: 'third', attachments: [{ file_id: 'file-xyz', tools: [{ type: 'file_search' }] }] },
        ],
      });
      expectThreadV2(thread);
      expect(thread.metadata).toEqual({ seeded: 'yes' });

      const page = await client.beta.threads.messages.list(thread.id, { order: 'asc' });
      expect(page.data).toHaveLength(3);
      expect(page.hasNextPage()).toBe(false);
      const [first, second, third] = page.data;
      for (const message of page.data) expectMessageV2(message, thread.id);
      expect(page.data.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
      expect(textOf(first)).toBe('first');
      expect(second.content).toEqual([
        { type: 'text', text: { value: 'second', annotations: [] } },
        { type: 'image_url', image_url: { url: 'https://example.com/cat.png', detail: 'low' } },
      ]);
      expect(second.metadata).toEqual({ n: '2' });
      expect(third.attachments).toEqual([{ file_id: 'file-xyz', tools: [{ type: 'file_search' }] }]);
      expect(first.metadata).toEqual({});
      expect(first.attachments).toEqual([]);
      // Messages created with the thread carry its creation time.
      for (const message of page.data) expect(message.created_at).toBe(thread.created_at);
    });

    it('update() changes metadata and tool_resources; a field left out is kept', async () => {
      const thread = await client.beta.threads.create({
        metadata: { stage: 'draft' },
        tool_resources: { code_interpreter: { file_ids: ['file-1'] }, file_search: { vector_store_ids: ['vs_1'] } },
      });

      const updated = await client.beta.threads.update(thread.id, { metadata: { stage: 'final', reviewer: 'ann' } });
      expectThreadV2(updated);
      expect(updated.id).toBe(thread.id);
      expect(updated.created_at).toBe(thread.created_at);
      expect(updated.metadata).toEqual({ stage: 'final', reviewer: 'ann' });
      expect(updated.tool_resources).toEqual(thread.tool_resources);

      const resourcesOnly = await client.beta.threads.update(thread.id, { tool_resources: { code_interpreter: { file_ids: ['file-2', 'file-3'] } } });
      expect(resourcesOnly.tool_resources).toEqual({ code_interpreter: { file_ids: ['file-2', 'file-3'] } });
      expect(resourcesOnly.metadata).toEqual({ stage: 'final', reviewer: 'ann' });

      expect(await client.beta.threads.retrieve(thread.id)).toEqual(resourcesOnly);
    });

    it('delete() answers thread.deleted; the thread and its messages are gone', async () => {
      const thread = await client.beta.threads.create({ messages: [{ role: 'user', content: 'bye' }] });
      const [message] = (await client.beta.threads.messages.list(thread.id)).data;

      const deleted = await client.beta.threads.delete(thread.id);
      expect(deleted).toEqual({ id: thread.id, object: 'thread.deleted', deleted: true });

      await expect(client.beta.threads.retrieve(thread.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
      await expect(client.beta.threads.messages.retrieve(message.id, { thread_id: thread.id })).rejects.toBeInstanceOf(OpenAI.NotFoundError);
      await expect(client.beta.threads.delete(thread.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
      const { rows } = await app.db.query('SELECT count(*)::int AS n FROM messages WHERE thread_id = $1', [thread.id]);
      expect(rows[0].n).toBe(0);
    });
  });

  describe('messages', () => {
    let threadId: string;

    beforeAll(async () => {
      threadId = (await client.beta.threads.create()).id;
    });

    it('create() with string content gives a completed v2 message with one text part', async () => {
      sent.length = 0;
      const message = await client.beta.threads.messages.create(threadId, { role: 'user', content: 'Hello, SDK' });
      expectMessageV2(message, threadId);
      expect(message.role).toBe('user');
      expect(message.content).toEqual([{ type: 'text', text: { value: 'Hello, SDK', annotations: [] } }]);
      expect(message.attachments).toEqual([]);
      expect(message.metadata).toEqual({});

      expect(sent).toHaveLength(1);
      expect(sent[0].method).toBe('POST');
      expect(sent[0].url.pathname).toBe(`/v1/threads/${threadId}/messages`);
      expect(sent[0].headers.get('openai-beta')).toBe('assistants=v2');
    });

    it('create() with array content keeps text, image_url and image_file parts in order (detail defaults to auto)', async () => {
      const message = await client.beta.threads.messages.create(threadId, {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Look at these' },
          { type: 'image_url', image_url: { url: 'https://example.com/a.png' } },
          { type: 'image_file', image_file: { file_id: 'file-img1', detail: 'high' } },
          { type: 'text', text: 'and these' },
        ],
      });
      expectMessageV2(message, threadId);
      expect(message.role).toBe('assistant');
      expect(message.content).toEqual([
        { type: 'text', text: { value: 'Look at these', annotations: [] } },
        { type: 'image_url', image_url: { url: 'https://example.com/a.png', detail: 'auto' } },
        { type: 'image_file', image_file: { file_id: 'file-img1', detail: 'high' } },
        { type: 'text', text: { value: 'and these', annotations: [] } },
      ]);
    });

    it('create() with attachments and metadata echoes them', async () => {
      const attachments = [
        { file_id: 'file-a', tools: [{ type: 'code_interpreter' as const }] },
        { file_id: 'file-b', tools: [{ type: 'code_interpreter' as const }, { type: 'file_search' as const }] },
      ];
      const message = await client.beta.threads.messages.create(threadId, {
        role: 'user',
        content: 'with files',
        attachments,
        metadata: { source: 'sdk', lang: 'en' },
      });
      expectMessageV2(message, threadId);
      expect(message.attachments).toEqual(attachments);
      expect(message.metadata).toEqual({ source: 'sdk', lang: 'en' });
    });

    it('retrieve(messageId, { thread_id }) returns the message as created', async () => {
      const created = await client.beta.threads.messages.create(threadId, {
        role: 'user',
        content: [{ type: 'text', text: 'fetch me' }],
        attachments: [{ file_id: 'file-r', tools: [{ type: 'file_search' }] }],
        metadata: { k: 'v' },
      });
      sent.length = 0;
      const retrieved = await client.beta.threads.messages.retrieve(created.id, { thread_id: threadId });
      expect(retrieved).toEqual(created);
      expect(sent[0].url.pathname).toBe(`/v1/threads/${threadId}/messages/${created.id}`);
    });

    it('update(messageId, { thread_id, metadata }) changes only the metadata', async () => {
      const created = await client.beta.threads.messages.create(threadId, { role: 'user', content: 'tag me', metadata: { a: '1' } });
      const updated = await client.beta.threads.messages.update(created.id, { thread_id: threadId, metadata: { a: '2', b: '3' } });
      expectMessageV2(updated, threadId);
      expect(updated).toEqual({ ...created, metadata: { a: '2', b: '3' } });
      expect(await client.beta.threads.messages.retrieve(created.id, { thread_id: threadId })).toEqual(updated);
    });

    it('delete(messageId, { thread_id }) answers thread.message.deleted; the message is gone from retrieve and list', async () => {
      const created = await client.beta.threads.messages.create(threadId, { role: 'user', content: 'delete me' });
      const deleted = await client.beta.threads.messages.delete(created.id, { thread_id: threadId });
      expect(deleted).toEqual({ id: created.id, object: 'thread.message.deleted', deleted: true });

      await expect(client.beta.threads.messages.retrieve(created.id, { thread_id: threadId })).rejects.toBeInstanceOf(OpenAI.NotFoundError);
      const ids: string[] = [];
      for await (const message of client.beta.threads.messages.list(threadId)) ids.push(message.id);
      expect(ids.length).toBeGreaterThan(0);
      expect(ids).not.toContain(created.id);
    });
  });

  describe('messages.list options', () => {
    let threadId: string;
    let ids: string[];
    const list = (query: OpenAI.Beta.Threads.MessageListParams) => client.beta.threads.messages.list(threadId, query);
    const idsOf = (messages: Message[]) => messages.map((m) => m.id);

    beforeAll(async () => {
      ({ threadId } = await threadWithMessages(client, 25));
      ids = await storedMessageIds(app.db, threadId);
      expect(ids).toHaveLength(25);
    });

    it('defaults to 20 newest first; the SDK page reports and fetches the next page', async () => {
      const page = await client.beta.threads.messages.list(threadId);
      expect(idsOf(page.data)).toEqual([...ids].reverse().slice(0, 20));
      expect(page.has_more).toBe(true);
      expect(page.hasNextPage()).toBe(true);
      const next = await page.getNextPage();
      expect(idsOf(next.data)).toEqual([...ids].reverse().slice(20));
      expect(next.has_more).toBe(false);
      expect(next.hasNextPage()).toBe(false);
      for (const message of [...page.data, ...next.data]) expectMessageV2(message, threadId);
    });

    it('limit caps the page; the envelope has first_id, last_id and has_more', async () => {
      const envelope = await envelopeOf<Message>(list({ limit: 5 }));
      expect(envelope.object).toBe('list');
      expect(idsOf(envelope.data)).toEqual([ids[24], ids[23], ids[22], ids[21], ids[20]]);
      expect(envelope.first_id).toBe(ids[24]);
      expect(envelope.last_id).toBe(ids[20]);
      expect(envelope.has_more).toBe(true);

      const all = await envelopeOf<Message>(list({ limit: 100 }));
      expect(all.data).toHaveLength(25);
      expect(all.has_more).toBe(false);
    });

    it('order asc and desc', async () => {
      expect(idsOf((await list({ order: 'asc', limit: 4 })).data)).toEqual(ids.slice(0, 4));
      expect(idsOf((await list({ order: 'desc', limit: 4 })).data)).toEqual([ids[24], ids[23], ids[22], ids[21]]);
      expect(textOf((await list({ order: 'asc', limit: 1 })).data[0])).toBe('m0');
    });

    it('after: the items that follow the cursor in the requested order', async () => {
      expect(idsOf((await list({ order: 'asc', after: ids[4], limit: 5 })).data)).toEqual(ids.slice(5, 10));
      expect(idsOf((await list({ order: 'desc', after: ids[7], limit: 3 })).data)).toEqual([ids[6], ids[5], ids[4]]);
      const end = await envelopeOf<Message>(list({ order: 'asc', after: ids[24] }));
      expect(end.data).toEqual([]);
      expect(end.first_id).toBeNull();
      expect(end.last_id).toBeNull();
      expect(end.has_more).toBe(false);
    });

    it('before: the page right before the cursor, still in the requested order', async () => {
      expect(idsOf((await list({ order: 'asc', before: ids[5], limit: 3 })).data)).toEqual([ids[2], ids[3], ids[4]]);
      expect(idsOf((await list({ order: 'desc', before: ids[5], limit: 3 })).data)).toEqual([ids[8], ids[7], ids[6]]);
      expect(idsOf((await list({ order: 'asc', before: ids[2] })).data)).toEqual([ids[0], ids[1]]);
      expect((await list({ order: 'asc', before: ids[0] })).data).toEqual([]);
    });

    it('after and before together bound the page on both sides', async () => {
      expect(idsOf((await list({ order: 'asc', after: ids[1], before: ids[6] })).data)).toEqual(ids.slice(2, 6));
      expect(idsOf((await list({ order: 'desc', after: ids[6], before: ids[1] })).data)).toEqual([ids[5], ids[4], ids[3], ids[2]]);
    });

    it('run_id keeps only the messages of that run', async () => {
      const { threadId: runThread } = await threadWithMessages(client, 6, 'r');
      const runIds = await storedMessageIds(app.db, runThread);
      await app.db.query(`UPDATE messages SET run_id = 'run_sdk1', assistant_id = 'asst_sdk1' WHERE id = ANY($1)`, [[runIds[1], runIds[3], runIds[4]]]);

      const all = await client.beta.threads.messages.list(runThread, { run_id: 'run_sdk1', order: 'asc' });
      expect(idsOf(all.data)).toEqual([runIds[1], runIds[3], runIds[4]]);
      for (const message of all.data) {
        expect(message.run_id).toBe('run_sdk1');
        expect(message.assistant_id).toBe('asst_sdk1');
      }

      const firstTwo = await envelopeOf<Message>(client.beta.threads.messages.list(runThread, { run_id: 'run_sdk1', order: 'asc', limit: 2 }));
      expect(idsOf(firstTwo.data)).toEqual([runIds[1], runIds[3]]);
      expect(firstTwo.has_more).toBe(true);
      const afterCursor = await client.beta.threads.messages.list(runThread, { run_id: 'run_sdk1', order: 'desc', after: runIds[4] });
      expect(idsOf(afterCursor.data)).toEqual([runIds[3], runIds[1]]);

      const none = await envelopeOf<Message>(client.beta.threads.messages.list(runThread, { run_id: 'run_other' }));
      expect(none.data).toEqual([]);
      expect(none.has_more).toBe(false);
    });
  });

  describe('auto-pagination over 150 messages', () => {
    let threadId: string;
    let texts: string[];
    let ids: string[];

    beforeAll(async () => {
      ({ threadId, texts } = await threadWithMessages(client, 150, 'p'));
      ids = await storedMessageIds(app.db, threadId);
      expect(ids).toHaveLength(150);
    });

    it.each(['asc', 'desc'] as const)('for await over list({ limit: 7, order: %s }) yields each message once, in order', async (order) => {
      const requests: SentRequest[] = [];
      const counting = openAiClient(url, KEY_A, requests);
      const seen: Message[] = [];
      for await (const message of counting.beta.threads.messages.list(threadId, { limit: 7, order })) seen.push(message);

      const expectedIds = order === 'asc' ? ids : [...ids].reverse();
      const expectedTexts = order === 'asc' ? texts : [...texts].reverse();
      expect(seen.map((m) => m.id)).toEqual(expectedIds);
      expect(seen.map(textOf)).toEqual(expectedTexts);
      expect(new Set(seen.map((m) => m.id)).size).toBe(150);
      for (const message of seen) expect(message.thread_id).toBe(threadId);

      // 21 full pages and one of 3; the SDK follows `after` = the last id of the page before.
      expect(requests).toHaveLength(22);
      requests.forEach((request, i) => {
        expect(request.method).toBe('GET');
        expect(request.url.pathname).toBe(`/v1/threads/${threadId}/messages`);
        expect(request.url.searchParams.get('limit')).toBe('7');
        expect(request.url.searchParams.get('order')).toBe(order);
        expect(request.url.searchParams.get('after')).toBe(i === 0 ? null : expectedIds[i * 7 - 1]);
      });
    });

    it('a last page that is exactly full says has_more: false, so the SDK stops without an empty request', async () => {
      const requests: SentRequest[] = [];
      const counting = openAiClient(url, KEY_A, requests);
      const seen: string[] = [];
      for await (const message of counting.beta.threads.messages.list(threadId, { limit: 10, order: 'asc' })) seen.push(message.id);
      expect(seen).toEqual(ids);
      expect(requests).toHaveLength(15);
    });

    it('iterPages() walks pages of 50 with has_more true until the last', async () => {
      const pages: { size: number; hasMore: boolean }[] = [];
      const first = await client.beta.threads.messages.list(threadId, { limit: 50, order: 'desc' });
      for await (const page of first.iterPages()) {
        pages.push({ size: page.data.length, hasMore: page.has_more });
      }
      expect(pages).toEqual([
        { size: 50, hasMore: true },
        { size: 50, hasMore: true },
        { size: 50, hasMore: false },
      ]);
    });
  });

  describe('OpenAI-Beta: assistants=v1 on /v1', () => {
    const v1 = { headers: { 'OpenAI-Beta': 'assistants=v1' } };

    it('gives v1 shapes: no tool_resources on threads, file_ids instead of attachments on messages', async () => {
      sent.length = 0;
      const thread = await client.beta.threads.create({ metadata: { edition: 'v1' } }, v1);
      expect(sent[0].headers.get('openai-beta')).toBe('assistants=v1');
      expectThreadV1(thread);
      expect(thread.metadata).toEqual({ edition: 'v1' });

      const body = { role: 'user', content: 'v1 message', file_ids: ['file-v1a', 'file-v1b'] } as unknown as MessageCreateParams;
      const message = await client.beta.threads.messages.create(thread.id, body, v1);
      expectMessageV1(message, thread.id);
      expect(asV1(message).file_ids).toEqual(['file-v1a', 'file-v1b']);
      expect(textOf(message)).toBe('v1 message');

      const listed = await client.beta.threads.messages.list(thread.id, {}, v1);
      expect(listed.data).toHaveLength(1);
      expectMessageV1(listed.data[0], thread.id);

      // The same message read as v2: the files are attachments without tools.
      const asV2 = await client.beta.threads.messages.retrieve(message.id, { thread_id: thread.id });
      expectMessageV2(asV2, thread.id);
      expect(asV2.attachments).toEqual([
        { file_id: 'file-v1a', tools: [] },
        { file_id: 'file-v1b', tools: [] },
      ]);
    });
  });
});
