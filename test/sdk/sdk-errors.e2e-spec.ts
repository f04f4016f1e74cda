import OpenAI, { AuthenticationError, AzureOpenAI, BadRequestError, NotFoundError } from 'openai';
import type { MessageCreateParams } from 'openai/resources/beta/threads/messages';
import type { ThreadCreateParams } from 'openai/resources/beta/threads/threads';
import { KEY_A, KEY_A2, KEY_B, snapshot, startTestApp, TestApp } from '../support/test-app';
import { AZURE_V1, AZURE_V2, azureClient, metadataWithKeys, openAiClient, sdkError } from '../support/sdk-clients';

const WRONG_KEY = 'sk-wrong-0123456789abcdefghijklmnopqrstuvwxyz';
const AZURE_DENIED =
  'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.';

/** How the official SDK surfaces the service's errors: class, status, and the parsed `error` body. */
describe('openai SDK: errors', () => {
  let app: TestApp & { url?: string };
  let url: string;
  let openai: OpenAI;
  let azure: AzureOpenAI;
  let azureV1: AzureOpenAI;
  /** A thread of tenant alpha with one message. */
  let threadId: string;
  let messageId: string;

  beforeAll(async () => {
    app = await startTestApp({ listen: true });
    url = app.url as string;
    openai = openAiClient(url, KEY_A);
    azure = azureClient(url, KEY_A, AZURE_V2);
    azureV1 = azureClient(url, KEY_A, AZURE_V1);
    const thread = await openai.beta.threads.create({ metadata: { owner: 'alpha' }, messages: [{ role: 'user', content: 'private' }] });
    threadId = thread.id;
    messageId = (await openai.beta.threads.messages.list(threadId)).data[0].id;
  });

  afterAll(async () => {
    await app?.close();
  });

  /** Runs the calls, each of which must fail, and checks that none of them wrote anything. */
  async function withoutWrites(work: () => Promise<void>): Promise<void> {
    const before = await snapshot(app.db);
    await work();
    expect(await snapshot(app.db)).toBe(before);
  }

  describe('401 AuthenticationError', () => {
    it('OpenAI client with a wrong key: invalid_api_key, the key masked in the message', async () => {
      const client = openAiClient(url, WRONG_KEY);
      await withoutWrites(async () => {
        const error = await sdkError(client.beta.threads.create({ metadata: { a: 'b' } }), AuthenticationError, 401);
        expect(error.type).toBe('invalid_request_error');
        expect(error.code).toBe('invalid_api_key');
        expect(error.param).toBeNull();
        expect(error.error).toEqual({
          message: expect.stringContaining('Incorrect API key provided: sk-'),
          type: 'invalid_request_error',
          param: null,
          code: 'invalid_api_key',
        });
        expect(error.message).toMatch(/^401 Incorrect API key provided/);
        expect(error.message).toContain(WRONG_KEY.slice(-4));
        expect(error.message).not.toContain(WRONG_KEY);
      });
    });

    it('OpenAI client with a wrong key: every thread and message method answers 401, even for an existing thread', async () => {
      const client = openAiClient(url, WRONG_KEY);
      await withoutWrites(async () => {
        const calls: (() => Promise<unknown>)[] = [
          () => client.beta.threads.retrieve(threadId),
          () => client.beta.threads.update(threadId, { metadata: { owner: 'mallory' } }),
          () => client.beta.threads.delete(threadId),
          () => client.beta.threads.messages.create(threadId, { role: 'user', content: 'x' }),
          () => client.beta.threads.messages.retrieve(messageId, { thread_id: threadId }),
          () => client.beta.threads.messages.update(messageId, { thread_id: threadId, metadata: { a: 'b' } }),
          () => client.beta.threads.messages.delete(messageId, { thread_id: threadId }),
          () =>
            (async () => {
              for await (const message of client.beta.threads.messages.list(threadId, { limit: 7 })) void message;
            })(),
        ];
        for (const call of calls) {
          const error = await sdkError(call(), AuthenticationError, 401);
          expect(error.code).toBe('invalid_api_key');
        }
      });
    });

    it.each([AZURE_V2, AZURE_V1])('AzureOpenAI client (api-version %s) with a wrong key: Azure’s 401 body', async (apiVersion) => {
      const client = azureClient(url, WRONG_KEY, apiVersion);
      await withoutWrites(async () => {
        const error = await sdkError(client.beta.threads.create(), AuthenticationError, 401);
        expect(error.error).toEqual({ code: '401', message: AZURE_DENIED });
        expect(error.code).toBe('401');
        expect(error.type).toBeUndefined();
        expect(error.param).toBeUndefined();
        expect(error.message).toBe(`401 ${AZURE_DENIED}`);

        await sdkError(client.beta.threads.retrieve(threadId), AuthenticationError, 401);
        await sdkError(client.beta.threads.messages.list(threadId), AuthenticationError, 401);
        await sdkError(client.beta.threads.messages.retrieve(messageId, { thread_id: threadId }), AuthenticationError, 401);
      });
    });
  });

  describe('404 NotFoundError', () => {
    const missingThread = 'thread_doesNotExist0000000000000';
    const threadGone = (id: string) => ({ message: `No thread found with id '${id}'.`, type: 'invalid_request_error', param: null, code: null });
    const messageGone = (id: string) => ({ message: `No message found with id '${id}'.`, type: 'invalid_request_error', param: null, code: null });

    it('unknown thread: every thread and message method', async () => {
      await withoutWrites(async () => {
        const calls: (() => Promise<unknown>)[] = [
          () => openai.beta.threads.retrieve(missingThread),
          () => openai.beta.threads.update(missingThread, { metadata: { a: 'b' } }),
          () => openai.beta.threads.delete(missingThread),
          () => openai.beta.threads.messages.create(missingThread, { role: 'user', content: 'x' }),
          () => openai.beta.threads.messages.list(missingThread),
          () => openai.beta.threads.messages.retrieve(messageId, { thread_id: missingThread }),
          () => openai.beta.threads.messages.update(messageId, { thread_id: missingThread, metadata: { a: 'b' } }),
          () => openai.beta.threads.messages.delete(messageId, { thread_id: missingThread }),
        ];
        for (const call of calls) {
          const error = await sdkError(call(), NotFoundError, 404);
          expect(error.error).toEqual(threadGone(missingThread));
          expect(error.type).toBe('invalid_request_error');
          expect(error.param).toBeNull();
          expect(error.code).toBeNull();
        }
      });
    });

    it('unknown message on an existing thread: retrieve, update, delete', async () => {
      const missing = 'msg_doesNotExist000000000000000';
      await withoutWrites(async () => {
        for (const call of [
          () => openai.beta.threads.messages.retrieve(missing, { thread_id: threadId }),
          () => openai.beta.threads.messages.update(missing, { thread_id: threadId, metadata: { a: 'b' } }),
          () => openai.beta.threads.messages.delete(missing, { thread_id: threadId }),
        ]) {
          const error = await sdkError(call(), NotFoundError, 404);
          expect(error.error).toEqual(messageGone(missing));
        }
      });
    });

    it('a message of another thread is not found through this thread', async () => {
      const other = await openai.beta.threads.create({ messages: [{ role: 'user', content: 'elsewhere' }] });
      const error = await sdkError(openai.beta.threads.messages.retrieve(messageId, { thread_id: other.id }), NotFoundError, 404);
      expect(error.error).toEqual(messageGone(messageId));
    });

    it('another tenant’s thread (KEY_B client) is not found, and is left untouched', async () => {
      const beta = openAiClient(url, KEY_B);
      await withoutWrites(async () => {
        const calls: (() => Promise<unknown>)[] = [
          () => beta.beta.threads.retrieve(threadId),
          () => beta.beta.threads.update(threadId, { metadata: { owner: 'beta' } }),
          () => beta.beta.threads.delete(threadId),
          () => beta.beta.threads.messages.create(threadId, { role: 'user', content: 'intrusion' }),
          () => beta.beta.threads.messages.list(threadId),
          () => beta.beta.threads.messages.retrieve(messageId, { thread_id: threadId }),
          () => beta.beta.threads.messages.update(messageId, { thread_id: threadId, metadata: { owner: 'beta' } }),
          () => beta.beta.threads.messages.delete(messageId, { thread_id: threadId }),
        ];
        for (const call of calls) {
          const error = await sdkError(call(), NotFoundError, 404);
          expect(error.error).toEqual(threadGone(threadId));
        }
      });
      const thread = await openai.beta.threads.retrieve(threadId);
      expect(thread.metadata).toEqual({ owner: 'alpha' });
      // A second key of the same tenant sees the thread.
      const sameTenant = openAiClient(url, KEY_A2);
      expect(await sameTenant.beta.threads.retrieve(threadId)).toEqual(thread);
    });

    it('another tenant’s thread through the AzureOpenAI client (KEY_B) is not found', async () => {
      const beta = azureClient(url, KEY_B, AZURE_V2);
      const error = await sdkError(beta.beta.threads.retrieve(threadId), NotFoundError, 404);
      expect(error.error).toEqual(threadGone(threadId));
      await sdkError(beta.beta.threads.messages.list(threadId), NotFoundError, 404);
      const v1 = azureClient(url, KEY_B, AZURE_V1);
      await sdkError(v1.beta.threads.messages.retrieve(messageId, { thread_id: threadId }), NotFoundError, 404);
      await sdkError(azure.beta.threads.retrieve(missingThread), NotFoundError, 404);
    });
  });

  describe('400 BadRequestError', () => {
    /** The error body of a 400 as the SDK exposes it: `type`, `param`, `code` and `error` agree. */
    async function badRequest(call: Promise<unknown>, param: string, code: string): Promise<BadRequestError> {
      const error = await sdkError(call, BadRequestError, 400);
      expect(error.type).toBe('invalid_request_error');
      expect(error.param).toBe(param);
      expect(error.code).toBe(code);
      expect(error.error).toEqual({ message: expect.any(String), type: 'invalid_request_error', param, code });
      expect(error.message).toBe(`400 ${(error.error as { message: string }).message}`);
      return error;
    }

    it('metadata with 17 keys: threads.create/update, messages.create/update (16 keys are fine)', async () => {
      const tooMany = metadataWithKeys(17);
      await withoutWrites(async () => {
        for (const call of [
          () => openai.beta.threads.create({ metadata: tooMany }),
          () => openai.beta.threads.update(threadId, { metadata: tooMany }),
          () => openai.beta.threads.messages.create(threadId, { role: 'user', content: 'x', metadata: tooMany }),
          () => openai.beta.threads.messages.update(messageId, { thread_id: threadId, metadata: tooMany }),
          () => azure.beta.threads.create({ metadata: tooMany }),
          () => azureV1.beta.threads.update(threadId, { metadata: tooMany }),
        ]) {
          const error = await badRequest(call(), 'metadata', 'invalid_value');
          expect(error.message).toContain('too many properties');
          expect(error.message).toContain('at most 16 properties');
        }
      });
      const sixteen = metadataWithKeys(16);
      expect((await openai.beta.threads.update(threadId, { metadata: sixteen })).metadata).toEqual(sixteen);
      await openai.beta.threads.update(threadId, { metadata: { owner: 'alpha' } });
    });

    it('an invalid role, in messages.create and in threads.create messages', async () => {
      await withoutWrites(async () => {
        const error = await badRequest(
          openai.beta.threads.messages.create(threadId, { role: 'system', content: 'x' } as unknown as MessageCreateParams),
          'role',
          'invalid_value',
        );
        expect(error.message).toContain("'system'");
        await badRequest(
          openai.beta.threads.create({
            messages: [
              { role: 'user', content: 'ok' },
              { role: 'tool', content: 'x' },
            ] as unknown as ThreadCreateParams.Message[],
          }),
          'messages[1].role',
          'invalid_value',
        );
        await badRequest(
          azure.beta.threads.messages.create(threadId, { role: 'developer', content: 'x' } as unknown as MessageCreateParams),
          'role',
          'invalid_value',
        );
      });
    });

    it('list: limit 0, limit 101, an unknown order, an unknown cursor', async () => {
      const limitZero = await badRequest(openai.beta.threads.messages.list(threadId, { limit: 0 }), 'limit', 'invalid_value');
      expect(limitZero.message).toContain('>= 1');
      const limitHigh = await badRequest(openai.beta.threads.messages.list(threadId, { limit: 101 }), 'limit', 'invalid_value');
      expect(limitHigh.message).toContain('<= 100');
      await badRequest(openai.beta.threads.messages.list(threadId, { order: 'sideways' as 'asc' }), 'order', 'invalid_value');
      await badRequest(openai.beta.threads.messages.list(threadId, { after: 'msg_unknown' }), 'after', 'invalid_cursor');
      await badRequest(openai.beta.threads.messages.list(threadId, { before: 'msg_unknown' }), 'before', 'invalid_cursor');
      await badRequest(azure.beta.threads.messages.list(threadId, { limit: 0 }), 'limit', 'invalid_value');
      // Auto-pagination surfaces the error from the first page.
      await badRequest(
        (async () => {
          for await (const message of openai.beta.threads.messages.list(threadId, { limit: 0 })) void message;
        })(),
        'limit',
        'invalid_value',
      );
    });

    it('invalid content: empty string, empty array, unknown part type, bad image url', async () => {
      await withoutWrites(async () => {
        await badRequest(openai.beta.threads.messages.create(threadId, { role: 'user', content: '' }), 'content', 'invalid_value');
        await badRequest(openai.beta.threads.messages.create(threadId, { role: 'user', content: [] }), 'content', 'invalid_value');
        await badRequest(
          openai.beta.threads.messages.create(threadId, { role: 'user', content: [{ type: 'audio', audio: {} }] } as unknown as MessageCreateParams),
          'content[0].type',
          'invalid_value',
        );
        await badRequest(
          openai.beta.threads.messages.create(threadId, { role: 'user', content: [{ type: 'image_url', image_url: { url: 'ftp://x/y.png' } }] }),
          'content[0].image_url.url',
          'invalid_value',
        );
      });
    });

    it('more than 100 messages in threads.create', async () => {
      const messages = Array.from({ length: 101 }, (_, i) => ({ role: 'user' as const, content: `m${i}` }));
      await withoutWrites(async () => {
        const error = await badRequest(openai.beta.threads.create({ messages }), 'messages', 'invalid_value');
        expect(error.message).toContain('maximum length 100');
      });
    });

    it('v1 fields on a v2 request: file_ids is an unknown parameter', async () => {
      await withoutWrites(async () => {
        for (const client of [openai, azure]) {
          await badRequest(
            client.beta.threads.messages.create(threadId, { role: 'user', content: 'x', file_ids: ['file-1'] } as unknown as MessageCreateParams),
            'file_ids',
            'unknown_parameter',
          );
        }
      });
    });

    it('v2 fields on a v1 api-version: attachments, tool_resources and content parts are refused', async () => {
      await withoutWrites(async () => {
        await badRequest(
          azureV1.beta.threads.messages.create(threadId, { role: 'user', content: 'x', attachments: [{ file_id: 'f', tools: [{ type: 'file_search' }] }] }),
          'attachments',
          'unknown_parameter',
        );
        await badRequest(azureV1.beta.threads.create({ tool_resources: { code_interpreter: { file_ids: ['f'] } } }), 'tool_resources', 'unknown_parameter');
        await badRequest(
          azureV1.beta.threads.update(threadId, { tool_resources: { code_interpreter: { file_ids: ['f'] } } }),
          'tool_resources',
          'unknown_parameter',
        );
        await badRequest(
          azureV1.beta.threads.messages.create(threadId, { role: 'user', content: [{ type: 'text', text: 'parts' }] }),
          'content',
          'invalid_type',
        );
        await badRequest(
          azureV1.beta.threads.create({ messages: [{ role: 'user', content: 'x', attachments: [{ file_id: 'f', tools: [] }] }] }),
          'messages[0].attachments',
          'unknown_parameter',
        );
      });
    });

    it('an unsupported api-version, and an unknown OpenAI-Beta header', async () => {
      await withoutWrites(async () => {
        const error = await badRequest(azureClient(url, KEY_A, '2023-05-15').beta.threads.create(), 'api-version', 'invalid_api_version');
        expect(error.message).toContain("'2023-05-15'");
        expect(error.message).toContain(AZURE_V2);
        await badRequest(openai.beta.threads.create({}, { headers: { 'OpenAI-Beta': 'assistants=v3' } }), 'OpenAI-Beta', 'invalid_beta');
      });
    });
  });
});
