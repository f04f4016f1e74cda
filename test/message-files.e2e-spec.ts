import {
  azure,
  Client,
  expectInvalid,
  expectNotFound,
  expectStatus,
  Flavor,
  Json,
  noMessage,
  noThread,
  OPENAI_V2,
  OPENAI_V2_HEADER,
  AZURE_V2,
  unknownMessageId,
  unknownThreadId,
  V1_FLAVORS,
} from './support/message-fixtures';
import { KEY_A2, KEY_B, snapshot, startTestApp, TestApp } from './support/test-app';

const FILE_KEYS = ['created_at', 'id', 'message_id', 'object'];

describe('message files: v1 only (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });

  afterAll(async () => {
    await t?.close();
  });

  describe.each(V1_FLAVORS)('$label', (flavor: Flavor) => {
    const client = () => new Client(t, flavor);

    async function messageWithFiles(c: Client, fileIds: string[]) {
      const threadId = await c.newThreadId();
      const message = await c.createMessage(threadId, { role: 'user', content: 'with files', file_ids: fileIds });
      const messageId = message.id as string;
      return { threadId, message, messageId, files: `/threads/${threadId}/messages/${messageId}/files` };
    }

    it('lists the files of a message as thread.message.file objects, newest first by default', async () => {
      const c = client();
      const { message, messageId, files } = await messageWithFiles(c, ['file-1', 'file-2', 'file-3']);
      const fileObject = (id: string) => ({ id, object: 'thread.message.file', created_at: message.created_at, message_id: messageId });

      const res = await c.get(files);
      expectStatus(res, 200);
      expect(res.body).toEqual({
        object: 'list',
        data: ['file-3', 'file-2', 'file-1'].map(fileObject),
        first_id: 'file-3',
        last_id: 'file-1',
        has_more: false,
      });
      for (const file of (res.body as { data: Json[] }).data) {
        expect(Object.keys(file).sort()).toEqual(FILE_KEYS);
        expect(Number.isInteger(file.created_at)).toBe(true);
      }

      const asc = await c.get(files, { order: 'asc' });
      expectStatus(asc, 200);
      expect(asc.body).toEqual({
        object: 'list',
        data: ['file-1', 'file-2', 'file-3'].map(fileObject),
        first_id: 'file-1',
        last_id: 'file-3',
        has_more: false,
      });
    });

    it('pages the files with limit, order, after and before', async () => {
      const c = client();
      const { files } = await messageWithFiles(c, ['f1', 'f2', 'f3', 'f4', 'f5']);
      const page = async (query: Record<string, string | number>) => {
        const res = await c.get(files, query);
        expectStatus(res, 200);
        const body = res.body as { data: Json[]; first_id: string | null; last_id: string | null; has_more: boolean };
        const ids = body.data.map((f) => f.id);
        expect(body.first_id).toBe(ids.length ? ids[0] : null);
        expect(body.last_id).toBe(ids.length ? ids[ids.length - 1] : null);
        return { ids, more: body.has_more };
      };
      expect(await page({ order: 'asc', limit: 2 })).toEqual({ ids: ['f1', 'f2'], more: true });
      expect(await page({ order: 'asc', limit: 2, after: 'f2' })).toEqual({ ids: ['f3', 'f4'], more: true });
      expect(await page({ order: 'asc', limit: 2, after: 'f4' })).toEqual({ ids: ['f5'], more: false });
      expect(await page({ limit: 2 })).toEqual({ ids: ['f5', 'f4'], more: true });
      expect(await page({ limit: 2, after: 'f4' })).toEqual({ ids: ['f3', 'f2'], more: true });
      expect(await page({ order: 'asc', limit: 2, before: 'f5' })).toEqual({ ids: ['f3', 'f4'], more: true });
      expect(await page({ order: 'asc', before: 'f1' })).toEqual({ ids: [], more: false });
      expect(await page({ order: 'asc', after: 'f1', before: 'f5' })).toEqual({ ids: ['f2', 'f3', 'f4'], more: false });
      expect(await page({ limit: 1 })).toEqual({ ids: ['f5'], more: true });
    });

    it('a message without files has an empty list', async () => {
      const c = client();
      const threadId = await c.newThreadId();
      const message = await c.say(threadId, 'no files');
      const res = await c.get(`/threads/${threadId}/messages/${message.id as string}/files`);
      expectStatus(res, 200);
      expect(res.body).toEqual({ object: 'list', data: [], first_id: null, last_id: null, has_more: false });
    });

    it('retrieves one file of a message; an id that is not one of its files is 404', async () => {
      const c = client();
      const { message, messageId, files } = await messageWithFiles(c, ['file-a', 'file-b']);
      const res = await c.get(`${files}/file-b`);
      expectStatus(res, 200);
      expect(res.body).toEqual({ id: 'file-b', object: 'thread.message.file', created_at: message.created_at, message_id: messageId });

      for (const fileId of ['file-zzz', 'file-A']) {
        const missing = await c.get(`${files}/${fileId}`);
        expectStatus(missing, 404);
        expect((missing.body as { error: Json }).error).toEqual({
          message: expect.stringContaining(fileId),
          type: 'invalid_request_error',
          param: null,
          code: null,
        });
      }
      // A file of another message of the same thread is not this message's file.
      const { messageId: otherMessage, threadId: otherThread } = await messageWithFiles(c, ['file-other']);
      expectStatus(await c.get(`/threads/${otherThread}/messages/${otherMessage}/files/file-other`), 200);
      expectStatus(await c.get(`${files}/file-other`), 404);
    });

    it('the attachments of a v2 message are its files in v1', async () => {
      const v2 = new Client(t, flavor.dialect === 'azure' ? AZURE_V2 : OPENAI_V2);
      const threadId = await v2.newThreadId();
      const message = await v2.createMessage(threadId, {
        role: 'user',
        content: 'attached',
        attachments: [
          { file_id: 'file-ci', tools: [{ type: 'code_interpreter' }] },
          { file_id: 'file-fs', tools: [{ type: 'file_search' }] },
        ],
      });
      const res = await client().get(`/threads/${threadId}/messages/${message.id as string}/files`, { order: 'asc' });
      expectStatus(res, 200);
      expect((res.body as { data: Json[] }).data.map((f) => f.id)).toEqual(['file-ci', 'file-fs']);
      expect((res.body as { data: Json[] }).data.every((f) => f.message_id === message.id)).toBe(true);
    });

    it('unknown or foreign thread: 404 No thread found; unknown, deleted or foreign message: 404 No message found', async () => {
      const c = client();
      const { threadId, messageId } = await messageWithFiles(c, ['file-1']);
      const ghost = unknownThreadId();
      expectNotFound(await c.get(`/threads/${ghost}/messages/${messageId}/files`), noThread(ghost));
      expectNotFound(await c.get(`/threads/${ghost}/messages/${messageId}/files/file-1`), noThread(ghost));

      const beta = c.as(KEY_B);
      expectNotFound(await beta.get(`/threads/${threadId}/messages/${messageId}/files`), noThread(threadId));
      expectNotFound(await beta.get(`/threads/${threadId}/messages/${messageId}/files/file-1`), noThread(threadId));

      const unknown = unknownMessageId();
      const other = await messageWithFiles(c, ['file-1']);
      const deleted = await c.createMessage(threadId, { role: 'user', content: 'gone', file_ids: ['file-1'] });
      expectStatus(await c.delete(`/threads/${threadId}/messages/${deleted.id as string}`), 200);
      for (const id of [unknown, other.messageId, deleted.id as string]) {
        expectNotFound(await c.get(`/threads/${threadId}/messages/${id}/files`), noMessage(id));
        expectNotFound(await c.get(`/threads/${threadId}/messages/${id}/files/file-1`), noMessage(id));
      }

      const same = c.as(KEY_A2);
      expectStatus(await same.get(`/threads/${threadId}/messages/${messageId}/files`), 200);
      expectStatus(await same.get(`/threads/${threadId}/messages/${messageId}/files/file-1`), 200);
    });

    it.each([
      ['limit', '0'],
      ['limit', '101'],
      ['limit', 'abc'],
      ['limit', '1.5'],
      ['order', 'up'],
      ['after', 'file-unknown'],
      ['before', 'file-unknown'],
    ])('rejects %s=%s with 400 naming the parameter', async (name, value) => {
      const c = client();
      const { files } = await messageWithFiles(c, ['file-1', 'file-2']);
      expectInvalid(await c.get(files, { [name]: value }), name);
    });

    it('reading files writes nothing', async () => {
      const c = client();
      const { files } = await messageWithFiles(c, ['file-1']);
      const before = await snapshot(t.db);
      expectStatus(await c.get(files), 200);
      expectStatus(await c.get(`${files}/file-1`), 200);
      expect(await snapshot(t.db)).toBe(before);
    });
  });

  describe.each([OPENAI_V2, OPENAI_V2_HEADER, AZURE_V2, azure('2024-05-01-preview', 'v2')])('$label', (flavor: Flavor) => {
    async function setup() {
      const c = new Client(t, flavor);
      const threadId = await c.newThreadId();
      const message = await c.createMessage(threadId, {
        role: 'user',
        content: 'files',
        attachments: [{ file_id: 'file-1', tools: [{ type: 'file_search' }] }],
      });
      return { c, files: `/threads/${threadId}/messages/${message.id as string}/files` };
    }

    it('the message-files routes do not exist: 404, even for a message with attachments', async () => {
      const { c, files } = await setup();
      for (const [path, query] of [
        [files, {}],
        [files, { limit: 5, order: 'asc' }],
        [`${files}/file-1`, {}],
      ] as const) {
        const res = await c.get(path, query);
        expectStatus(res, 404);
        expect(res.body).not.toHaveProperty('data');
        expect(res.body).not.toHaveProperty('id');
        expect((res.body as { error: Json }).error.type).toBe('invalid_request_error');
      }
    });

    it('the 404 is the unknown-URL error naming the full request path, as for any unknown route', async () => {
      const { c, files } = await setup();
      const unknownRoute = await c.get(`${files}/file-1/content`);
      expectNotFound(unknownRoute, `Invalid URL (GET ${c.path(`${files}/file-1/content`)})`);
      expectNotFound(await c.get(files), `Invalid URL (GET ${c.path(files)})`);
      expectNotFound(await c.get(`${files}/file-1`), `Invalid URL (GET ${c.path(`${files}/file-1`)})`);
    });

    it('a query that v1 would reject does not turn the missing route into a 400', async () => {
      const { c, files } = await setup();
      expectStatus(await c.get(files, { limit: 0 }), 404);
    });
  });
});
