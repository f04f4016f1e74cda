import { AzureOpenAI, NotFoundError } from 'openai';
import type { Message, MessageCreateParams } from 'openai/resources/beta/threads/messages';
import type { ThreadCreateParams } from 'openai/resources/beta/threads/threads';
import { KEY_A, startTestApp, TestApp } from '../support/test-app';
import {
  asV1,
  AZURE_V1,
  AZURE_V2,
  azureClient,
  envelopeOf,
  expectMessageV1,
  expectMessageV2,
  expectThreadV1,
  expectThreadV2,
  ListV1,
  MessageFileV1,
  sdkError,
  SentRequest,
  storedMessageIds,
  textOf,
  threadWithMessages,
} from '../support/sdk-clients';

/** A v1 message body: `file_ids`, which the SDK's (v2) types do not know. */
const v1Message = (content: string, fileIds?: string[], metadata?: Record<string, string>): MessageCreateParams =>
  ({ role: 'user', content, ...(fileIds ? { file_ids: fileIds } : {}), ...(metadata ? { metadata } : {}) }) as unknown as MessageCreateParams;

/** The official `openai` SDK's AzureOpenAI client against the Azure dialect: `/openai/...?api-version=`, `api-key` header. */
describe('openai SDK: AzureOpenAI client on /openai', () => {
  let app: TestApp & { url?: string };
  let url: string;

  beforeAll(async () => {
    app = await startTestApp({ listen: true });
    url = app.url as string;
  });

  afterAll(async () => {
    await app?.close();
  });

  describe(`api-version ${AZURE_V2} (v2 shapes)`, () => {
    let client: AzureOpenAI;
    const sent: SentRequest[] = [];

    beforeAll(() => {
      client = azureClient(url, KEY_A, AZURE_V2, sent);
    });

    it('create() calls POST {endpoint}/openai/threads?api-version=… with the api-key header, and gives an empty v2 thread', async () => {
      sent.length = 0;
      const thread = await client.beta.threads.create();
      expectThreadV2(thread);
      expect(thread.metadata).toEqual({});
      expect(thread.tool_resources).toEqual({});

      expect(sent).toHaveLength(1);
      expect(sent[0].method).toBe('POST');
      expect(sent[0].url.origin + sent[0].url.pathname).toBe(`${url}/openai/threads`);
      expect(sent[0].url.searchParams.get('api-version')).toBe(AZURE_V2);
      expect(sent[0].headers.get('api-key')).toBe(KEY_A);
      expect(sent[0].headers.get('authorization')).toBeNull();
    });

    it('threads: create with metadata, tool_resources and messages; retrieve; update; delete', async () => {
      const toolResources = { code_interpreter: { file_ids: ['assistant-file1'] }, file_search: { vector_store_ids: ['vs_az'] } };
      const thread = await client.beta.threads.create({
        metadata: { cloud: 'azure' },
        tool_resources: toolResources,
        messages: [
          { role: 'user', content: 'one', attachments: [{ file_id: 'assistant-f1', tools: [{ type: 'code_interpreter' }] }] },
          { role: 'assistant', content: [{ type: 'text', text: 'two' }], metadata: { m: '2' } },
        ],
      });
      expectThreadV2(thread);
      expect(thread.metadata).toEqual({ cloud: 'azure' });
      expect(thread.tool_resources).toEqual(toolResources);

      expect(await client.beta.threads.retrieve(thread.id)).toEqual(thread);

      const messages = (await client.beta.threads.messages.list(thread.id, { order: 'asc' })).data;
      expect(messages.map(textOf)).toEqual(['one', 'two']);
      expect(messages[0].attachments).toEqual([{ file_id: 'assistant-f1', tools: [{ type: 'code_interpreter' }] }]);
      expect(messages[1].metadata).toEqual({ m: '2' });
      for (const message of messages) expectMessageV2(message, thread.id);

      const updated = await client.beta.threads.update(thread.id, {
        metadata: { cloud: 'azure', region: 'westeurope' },
        tool_resources: { file_search: { vector_store_ids: ['vs_new'] } },
      });
      expectThreadV2(updated);
      expect(updated.metadata).toEqual({ cloud: 'azure', region: 'westeurope' });
      expect(updated.tool_resources).toEqual({ file_search: { vector_store_ids: ['vs_new'] } });
      expect(await client.beta.threads.retrieve(thread.id)).toEqual(updated);

      sent.length = 0;
      expect(await client.beta.threads.delete(thread.id)).toEqual({ id: thread.id, object: 'thread.deleted', deleted: true });
      expect(sent[0].method).toBe('DELETE');
      expect(sent[0].url.pathname).toBe(`/openai/threads/${thread.id}`);
      expect(sent[0].url.searchParams.get('api-version')).toBe(AZURE_V2);
      const gone = await sdkError(client.beta.threads.retrieve(thread.id), NotFoundError, 404);
      expect(gone.error).toEqual({ message: `No thread found with id '${thread.id}'.`, type: 'invalid_request_error', param: null, code: null });
    });

    it('messages: create (string, parts, attachments, metadata), retrieve, update, delete', async () => {
      const threadId = (await client.beta.threads.create()).id;

      const plain = await client.beta.threads.messages.create(threadId, { role: 'user', content: 'plain' });
      expectMessageV2(plain, threadId);
      expect(plain.content).toEqual([{ type: 'text', text: { value: 'plain', annotations: [] } }]);
      expect(plain.attachments).toEqual([]);

      const parts = await client.beta.threads.messages.create(threadId, {
        role: 'user',
        content: [
          { type: 'text', text: 'see' },
          { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=', detail: 'high' } },
          { type: 'image_file', image_file: { file_id: 'assistant-img' } },
        ],
        attachments: [{ file_id: 'assistant-doc', tools: [{ type: 'file_search' }] }],
        metadata: { kind: 'parts' },
      });
      expectMessageV2(parts, threadId);
      expect(parts.content).toEqual([
        { type: 'text', text: { value: 'see', annotations: [] } },
        { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=', detail: 'high' } },
        { type: 'image_file', image_file: { file_id: 'assistant-img', detail: 'auto' } },
      ]);
      expect(parts.attachments).toEqual([{ file_id: 'assistant-doc', tools: [{ type: 'file_search' }] }]);
      expect(parts.metadata).toEqual({ kind: 'parts' });

      sent.length = 0;
      expect(await client.beta.threads.messages.retrieve(parts.id, { thread_id: threadId })).toEqual(parts);
      expect(sent[0].url.pathname).toBe(`/openai/threads/${threadId}/messages/${parts.id}`);
      expect(sent[0].url.searchParams.get('api-version')).toBe(AZURE_V2);

      const updated = await client.beta.threads.messages.update(parts.id, { thread_id: threadId, metadata: { kind: 'updated' } });
      expect(updated).toEqual({ ...parts, metadata: { kind: 'updated' } });

      expect(await client.beta.threads.messages.delete(plain.id, { thread_id: threadId })).toEqual({
        id: plain.id,
        object: 'thread.message.deleted',
        deleted: true,
      });
      await sdkError(client.beta.threads.messages.retrieve(plain.id, { thread_id: threadId }), NotFoundError, 404);
      expect((await client.beta.threads.messages.list(threadId)).data.map((m) => m.id)).toEqual([parts.id]);
    });

    it('messages.list: limit, order, after, before, run_id', async () => {
      const { threadId } = await threadWithMessages(client, 12);
      const ids = await storedMessageIds(app.db, threadId);
      const list = (query: Parameters<typeof client.beta.threads.messages.list>[1]) => client.beta.threads.messages.list(threadId, query);
      const idsOf = (messages: Message[]) => messages.map((m) => m.id);

      const first = await envelopeOf<Message>(list({ limit: 3 }));
      expect(idsOf(first.data)).toEqual([ids[11], ids[10], ids[9]]);
      expect(first.first_id).toBe(ids[11]);
      expect(first.last_id).toBe(ids[9]);
      expect(first.has_more).toBe(true);
      expect(idsOf((await list({})).data)).toEqual([...ids].reverse());
      expect(idsOf((await list({ order: 'asc', limit: 4 })).data)).toEqual(ids.slice(0, 4));
      expect(idsOf((await list({ order: 'asc', after: ids[3], limit: 4 })).data)).toEqual(ids.slice(4, 8));
      expect(idsOf((await list({ order: 'desc', after: ids[3] })).data)).toEqual([ids[2], ids[1], ids[0]]);
      expect(idsOf((await list({ order: 'asc', before: ids[6], limit: 2 })).data)).toEqual([ids[4], ids[5]]);
      expect(idsOf((await list({ order: 'desc', before: ids[6], limit: 2 })).data)).toEqual([ids[8], ids[7]]);

      await app.db.query(`UPDATE messages SET run_id = 'run_az' WHERE id = ANY($1)`, [[ids[2], ids[9]]]);
      const ofRun = await list({ run_id: 'run_az' });
      expect(idsOf(ofRun.data)).toEqual([ids[9], ids[2]]);
      for (const message of ofRun.data) expect(message.run_id).toBe('run_az');
      expect((await list({ run_id: 'run_none' })).data).toEqual([]);
    });

    it.each(['asc', 'desc'] as const)('for await over list({ limit: 7, order: %s }) yields 150 messages once each, in order', async (order) => {
      const { threadId, texts } = await threadWithMessages(client, 150, `a${order}`);
      const ids = await storedMessageIds(app.db, threadId);
      const requests: SentRequest[] = [];
      const counting = azureClient(url, KEY_A, AZURE_V2, requests);
      const seen: Message[] = [];
      for await (const message of counting.beta.threads.messages.list(threadId, { limit: 7, order })) seen.push(message);
      expect(seen.map((m) => m.id)).toEqual(order === 'asc' ? ids : [...ids].reverse());
      expect(seen.map(textOf)).toEqual(order === 'asc' ? texts : [...texts].reverse());
      expect(new Set(seen.map((m) => m.id)).size).toBe(150);
      expect(requests).toHaveLength(22);
      for (const request of requests) expect(request.url.searchParams.get('api-version')).toBe(AZURE_V2);
    });

    it('the v1 message-files routes do not exist in v2', async () => {
      const thread = await client.beta.threads.create({ messages: [{ role: 'user', content: 'x' }] });
      const [message] = (await client.beta.threads.messages.list(thread.id)).data;
      await sdkError(client.get(`/threads/${thread.id}/messages/${message.id}/files`), NotFoundError, 404);
    });
  });

  describe(`api-version ${AZURE_V1} (v1 shapes)`, () => {
    let client: AzureOpenAI;
    const sent: SentRequest[] = [];

    beforeAll(() => {
      client = azureClient(url, KEY_A, AZURE_V1, sent);
    });

    it('threads have no tool_resources: create (empty, metadata, messages with file_ids), retrieve, update, delete', async () => {
      sent.length = 0;
      const empty = await client.beta.threads.create();
      expectThreadV1(empty);
      expect(empty.metadata).toEqual({});
      expect(sent[0].url.pathname).toBe('/openai/threads');
      expect(sent[0].url.searchParams.get('api-version')).toBe(AZURE_V1);
      expect(sent[0].headers.get('api-key')).toBe(KEY_A);

      const thread = await client.beta.threads.create({
        metadata: { edition: 'v1' },
        messages: [
          { role: 'user', content: 'with files', file_ids: ['file-1', 'file-2'] },
          { role: 'assistant', content: 'plain', metadata: { n: '2' } },
        ] as unknown as ThreadCreateParams.Message[],
      });
      expectThreadV1(thread);
      expect(thread.metadata).toEqual({ edition: 'v1' });
      expect(await client.beta.threads.retrieve(thread.id)).toEqual(thread);

      const messages = (await client.beta.threads.messages.list(thread.id, { order: 'asc' })).data;
      expect(messages).toHaveLength(2);
      for (const message of messages) expectMessageV1(message, thread.id);
      expect(messages.map(asV1).map((m) => m.file_ids)).toEqual([['file-1', 'file-2'], []]);
      expect(messages.map(textOf)).toEqual(['with files', 'plain']);
      expect(messages[1].metadata).toEqual({ n: '2' });

      const updated = await client.beta.threads.update(thread.id, { metadata: { edition: 'v1', touched: 'yes' } });
      expectThreadV1(updated);
      expect(updated.metadata).toEqual({ edition: 'v1', touched: 'yes' });
      expect(await client.beta.threads.retrieve(thread.id)).toEqual(updated);

      expect(await client.beta.threads.delete(thread.id)).toEqual({ id: thread.id, object: 'thread.deleted', deleted: true });
      await sdkError(client.beta.threads.retrieve(thread.id), NotFoundError, 404);
    });

    it('messages have file_ids and no attachments: create, retrieve, update, delete', async () => {
      const threadId = (await client.beta.threads.create()).id;
      const created = await client.beta.threads.messages.create(threadId, v1Message('hello v1', ['file-a', 'file-b'], { tag: 'x' }));
      expectMessageV1(created, threadId);
      const v1 = asV1(created);
      expect(v1.role).toBe('user');
      expect(v1.file_ids).toEqual(['file-a', 'file-b']);
      expect(v1.metadata).toEqual({ tag: 'x' });
      expect(v1.content).toEqual([{ type: 'text', text: { value: 'hello v1', annotations: [] } }]);

      const plain = await client.beta.threads.messages.create(threadId, { role: 'assistant', content: 'no files' });
      expectMessageV1(plain, threadId);
      expect(asV1(plain).file_ids).toEqual([]);

      expect(await client.beta.threads.messages.retrieve(created.id, { thread_id: threadId })).toEqual(created);

      const updated = await client.beta.threads.messages.update(created.id, { thread_id: threadId, metadata: { tag: 'y' } });
      expectMessageV1(updated, threadId);
      expect(updated).toEqual({ ...created, metadata: { tag: 'y' } });

      expect(await client.beta.threads.messages.delete(plain.id, { thread_id: threadId })).toEqual({
        id: plain.id,
        object: 'thread.message.deleted',
        deleted: true,
      });
      await sdkError(client.beta.threads.messages.retrieve(plain.id, { thread_id: threadId }), NotFoundError, 404);

      // The same thread read through a v2 api-version: tool_resources appear, file_ids become attachments.
      const v2 = azureClient(url, KEY_A, AZURE_V2);
      expectThreadV2(await v2.beta.threads.retrieve(threadId));
      const asV2 = await v2.beta.threads.messages.retrieve(created.id, { thread_id: threadId });
      expectMessageV2(asV2, threadId);
      expect(asV2.attachments).toEqual([
        { file_id: 'file-a', tools: [] },
        { file_id: 'file-b', tools: [] },
      ]);
    });

    it('message files (v1 only, no SDK method): list and retrieve through client.get', async () => {
      const threadId = (await client.beta.threads.create()).id;
      const message = asV1(await client.beta.threads.messages.create(threadId, v1Message('files', ['file-x', 'file-y', 'file-z'])));

      sent.length = 0;
      const files = await client.get<ListV1<MessageFileV1>>(`/threads/${threadId}/messages/${message.id}/files`);
      expect(sent[0].url.pathname).toBe(`/openai/threads/${threadId}/messages/${message.id}/files`);
      expect(sent[0].url.searchParams.get('api-version')).toBe(AZURE_V1);
      expect(files.object).toBe('list');
      expect(files.data.map((f) => f.id)).toEqual(['file-z', 'file-y', 'file-x']);
      for (const file of files.data) {
        expect(file).toEqual({ id: file.id, object: 'thread.message.file', created_at: message.created_at, message_id: message.id });
      }
      expect(files.first_id).toBe('file-z');
      expect(files.last_id).toBe('file-x');
      expect(files.has_more).toBe(false);

      const asc = await client.get<ListV1<MessageFileV1>>(`/threads/${threadId}/messages/${message.id}/files`, {
        query: { order: 'asc', limit: 2 },
      });
      expect(asc.data.map((f) => f.id)).toEqual(['file-x', 'file-y']);
      expect(asc.has_more).toBe(true);

      const file = await client.get<MessageFileV1>(`/threads/${threadId}/messages/${message.id}/files/file-y`);
      expect(file).toEqual({ id: 'file-y', object: 'thread.message.file', created_at: message.created_at, message_id: message.id });
      await sdkError(client.get(`/threads/${threadId}/messages/${message.id}/files/file-nope`), NotFoundError, 404);
    });

    it('messages.list: limit, order, after, before', async () => {
      const { threadId } = await threadWithMessages(client, 9);
      const ids = await storedMessageIds(app.db, threadId);
      const list = (query: Parameters<typeof client.beta.threads.messages.list>[1]) => client.beta.threads.messages.list(threadId, query);
      const idsOf = (messages: Message[]) => messages.map((m) => m.id);

      const page = await envelopeOf<Message>(list({ limit: 4 }));
      expect(idsOf(page.data)).toEqual([ids[8], ids[7], ids[6], ids[5]]);
      expect(page.has_more).toBe(true);
      for (const message of page.data) expectMessageV1(message, threadId);
      expect(idsOf((await list({ order: 'asc' })).data)).toEqual(ids);
      expect(idsOf((await list({ order: 'asc', after: ids[2], limit: 3 })).data)).toEqual(ids.slice(3, 6));
      expect(idsOf((await list({ order: 'desc', after: ids[2] })).data)).toEqual([ids[1], ids[0]]);
      expect(idsOf((await list({ order: 'asc', before: ids[4], limit: 2 })).data)).toEqual([ids[2], ids[3]]);
      expect(idsOf((await list({ order: 'desc', before: ids[4], limit: 2 })).data)).toEqual([ids[6], ids[5]]);
    });

    it.each(['asc', 'desc'] as const)('for await over list({ limit: 7, order: %s }) yields 150 v1 messages once each, in order', async (order) => {
      const { threadId, texts } = await threadWithMessages(client, 150, `b${order}`);
      const ids = await storedMessageIds(app.db, threadId);
      const seen: Message[] = [];
      for await (const message of client.beta.threads.messages.list(threadId, { limit: 7, order })) seen.push(message);
      expect(seen.map((m) => m.id)).toEqual(order === 'asc' ? ids : [...ids].reverse());
      expect(seen.map(textOf)).toEqual(order === 'asc' ? texts : [...texts].reverse());
      for (const message of seen) expectMessageV1(message, threadId);
    });
  });

  describe.each([
    ['2024-03-01-preview', 'v1'],
    ['2024-04-01-preview', 'v1'],
    ['2024-05-01-preview', 'v2'],
    ['2025-04-01-preview', 'v2'],
  ] as const)('api-version %s', (apiVersion, shape) => {
    it(`speaks ${shape}`, async () => {
      const client = azureClient(url, KEY_A, apiVersion);
      const thread = await client.beta.threads.create({ messages: [{ role: 'user', content: 'shape' }] });
      const [message] = (await client.beta.threads.messages.list(thread.id)).data;
      if (shape === 'v1') {
        expectThreadV1(thread);
        expectMessageV1(message, thread.id);
      } else {
        expectThreadV2(thread);
        expectMessageV2(message, thread.id);
      }
    });
  });
});
