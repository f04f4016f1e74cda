import OpenAI, { NotFoundError } from 'openai';
import type { ConversationItem } from 'openai/resources/conversations/items';
import { KEY_A, KEY_B, startTestApp, TestApp } from '../support/test-app';
import { openAiClient, SentRequest } from '../support/sdk-clients';

const idOf = (item: ConversationItem): string => item.id as string;

/** The text of a message item's parts, in order. */
const texts = (item: ConversationItem): string[] =>
  item.type === 'message' ? item.content.map((part) => ('text' in part ? (part.text as string) : part.type)) : [item.type];

/**
 * The official SDK's `client.conversations` and `client.conversations.items` against the same
 * store as `client.beta.threads`: one thread, two views.
 */
describe('openai SDK: conversations over the threads store', () => {
  let app: TestApp & { url?: string };
  let client: OpenAI;
  let other: OpenAI;
  const sent: SentRequest[] = [];

  beforeAll(async () => {
    app = await startTestApp({ listen: true });
    client = openAiClient(app.url as string, KEY_A, sent);
    other = openAiClient(app.url as string, KEY_B);
  });

  afterAll(async () => {
    await app?.close();
  });

  it('create, retrieve, update and delete a conversation', async () => {
    const created = await client.conversations.create({ metadata: { topic: 'demo' } });
    expect(Object.keys(created).sort()).toEqual(['created_at', 'id', 'metadata', 'object']);
    expect(created.id).toMatch(/^conv_[A-Za-z0-9]{24}$/);
    expect(created.object).toBe('conversation');
    expect(created.metadata).toEqual({ topic: 'demo' });

    expect(await client.conversations.retrieve(created.id)).toEqual(created);
    const updated = await client.conversations.update(created.id, { metadata: { topic: 'changed' } });
    expect(updated).toEqual({ ...created, metadata: { topic: 'changed' } });

    const deleted = await client.conversations.delete(created.id);
    expect(deleted).toEqual({ id: created.id, object: 'conversation.deleted', deleted: true });
    await expect(client.conversations.retrieve(created.id)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('a thread is a conversation: thread_X is conv_X, and a message keeps its id in both APIs', async () => {
    const thread = await client.beta.threads.create({ metadata: { from: 'assistants' }, messages: [{ role: 'user', content: 'hello' }] });
    const suffix = thread.id.slice('thread_'.length);
    const conversation = await client.conversations.retrieve(`conv_${suffix}`);
    expect(conversation).toEqual({ id: `conv_${suffix}`, object: 'conversation', created_at: thread.created_at, metadata: { from: 'assistants' } });

    const reply = await client.beta.threads.messages.create(thread.id, { role: 'assistant', content: 'hi there', metadata: { kept: 'yes' } });
    const items = await client.conversations.items.list(conversation.id, { order: 'asc' });
    expect(items.data).toHaveLength(2);
    expect(items.data[1]).toEqual({
      id: reply.id,
      type: 'message',
      status: 'completed',
      role: 'assistant',
      content: [{ type: 'output_text', text: 'hi there', annotations: [], logprobs: [] }],
    });
    expect(items.data[0]).toEqual({
      id: items.data[0].id,
      type: 'message',
      status: 'completed',
      role: 'user',
      content: [{ type: 'input_text', text: 'hello' }],
    });

    // Written through Conversations, read through Assistants.
    const added = await client.conversations.items.create(conversation.id, {
      items: [
        {
          type: 'message',
          role: 'user',
          content: [
            { type: 'input_text', text: 'look' },
            { type: 'input_image', image_url: 'https://example.com/a.png', detail: 'low' },
            { type: 'input_image', file_id: 'file-img', detail: 'auto' },
            { type: 'input_file', file_id: 'file-doc' },
          ],
        },
      ],
    });
    expect(added.object).toBe('list');
    expect(added.data).toHaveLength(1);
    const message = await client.beta.threads.messages.retrieve(idOf(added.data[0]), { thread_id: thread.id });
    expect(message.content).toEqual([
      { type: 'text', text: { value: 'look', annotations: [] } },
      { type: 'image_url', image_url: { url: 'https://example.com/a.png', detail: 'low' } },
      { type: 'image_file', image_file: { file_id: 'file-img', detail: 'auto' } },
    ]);
    expect(message.attachments).toEqual([{ file_id: 'file-doc', tools: [] }]);
    // And back: the same parts as written.
    expect(await client.conversations.items.retrieve(idOf(added.data[0]), { conversation_id: conversation.id })).toEqual({
      id: idOf(added.data[0]),
      type: 'message',
      status: 'completed',
      role: 'user',
      content: [
        { type: 'input_text', text: 'look' },
        { type: 'input_image', image_url: 'https://example.com/a.png', file_id: null, detail: 'low' },
        { type: 'input_image', image_url: null, file_id: 'file-img', detail: 'auto' },
        { type: 'input_file', file_id: 'file-doc' },
      ],
    });

    // What Conversations cannot carry (message metadata) is kept on the Assistants side.
    await client.conversations.update(conversation.id, { metadata: { from: 'conversations' } });
    const again = await client.beta.threads.messages.retrieve(reply.id, { thread_id: thread.id });
    expect(again.metadata).toEqual({ kept: 'yes' });
    expect((await client.beta.threads.retrieve(thread.id)).metadata).toEqual({ from: 'conversations' });

    // Deleted through Conversations, gone from Assistants.
    const answered = await client.conversations.items.delete(reply.id, { conversation_id: conversation.id });
    expect(answered).toEqual({ id: conversation.id, object: 'conversation', created_at: thread.created_at, metadata: { from: 'conversations' } });
    await expect(client.beta.threads.messages.retrieve(reply.id, { thread_id: thread.id })).rejects.toBeInstanceOf(NotFoundError);
    await client.conversations.delete(conversation.id);
    await expect(client.beta.threads.retrieve(thread.id)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('annotations of an assistant message are kept both ways', async () => {
    const annotations = [{ type: 'file_citation', file_id: 'file-1', filename: 'a.txt', index: 3 }];
    const conversation = await client.conversations.create({
      items: [{ type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'cited', annotations, logprobs: [] }] } as never],
    });
    const threadId = `thread_${conversation.id.slice('conv_'.length)}`;
    const messages = await client.beta.threads.messages.list(threadId);
    expect(messages.data).toHaveLength(1);
    expect(messages.data[0].content).toEqual([
      {
        type: 'text',
        text: { value: 'cited', annotations: [{ type: 'file_citation', text: 'a.txt', start_index: 3, end_index: 3, file_citation: { file_id: 'file-1' } }] },
      },
    ]);
    const items = await client.conversations.items.list(conversation.id);
    expect(items.data[0]).toMatchObject({ content: [{ type: 'output_text', text: 'cited', annotations }] });
  });

  it('items the Assistants API cannot express are served whole by Conversations and left out of Assistants lists, pages still exact', async () => {
    const conversation = await client.conversations.create({
      items: [
        { type: 'message', role: 'developer', content: 'be brief' },
        { type: 'message', role: 'user', content: 'q1' },
        { type: 'function_call', call_id: 'call_1', name: 'lookup', arguments: '{"q":1}' },
        { type: 'function_call_output', call_id: 'call_1', output: '42' },
        { type: 'message', role: 'assistant', content: 'a1' },
        { type: 'reasoning', id: 'rs_from_client', summary: [{ type: 'summary_text', text: 'thinking' }] },
        { type: 'message', role: 'system', content: [{ type: 'input_text', text: 'sys' }] },
        { type: 'message', role: 'user', content: 'q2' },
      ],
    });
    const all = [];
    for await (const item of client.conversations.items.list(conversation.id, { order: 'asc', limit: 3 })) all.push(item);
    expect(all.map((item) => item.type)).toEqual(['message', 'message', 'function_call', 'function_call_output', 'message', 'reasoning', 'message', 'message']);
    expect(all.flatMap(texts)).toEqual(['be brief', 'q1', 'function_call', 'function_call_output', 'a1', 'reasoning', 'sys', 'q2']);
    expect(all[2]).toEqual({ id: idOf(all[2]), type: 'function_call', call_id: 'call_1', name: 'lookup', arguments: '{"q":1}', status: 'completed' });
    expect(idOf(all[2])).toMatch(/^fc_/);
    expect(all[0]).toEqual({ id: idOf(all[0]), type: 'message', role: 'developer', status: 'completed', content: [{ type: 'input_text', text: 'be brief' }] });
    expect(await client.conversations.items.retrieve(idOf(all[3]), { conversation_id: conversation.id })).toEqual(all[3]);

    // The Assistants view: only q1, a1, q2, with exact pages in both directions.
    const threadId = `thread_${conversation.id.slice('conv_'.length)}`;
    const visible = [all[1], all[4], all[7]].map(idOf);
    const firstPage = await client.beta.threads.messages.list(threadId, { order: 'asc', limit: 2 });
    expect(firstPage.data.map((m) => m.id)).toEqual(visible.slice(0, 2));
    expect(firstPage.has_more).toBe(true);
    const second = await client.beta.threads.messages.list(threadId, { order: 'asc', limit: 2, after: visible[1] });
    expect(second.data.map((m) => m.id)).toEqual([visible[2]]);
    expect(second.has_more).toBe(false);
    const before = await client.beta.threads.messages.list(threadId, { order: 'asc', limit: 2, before: visible[2] });
    expect(before.data.map((m) => m.id)).toEqual(visible.slice(0, 2));
    expect(before.has_more).toBe(false);
    const desc = await client.beta.threads.messages.list(threadId, { limit: 1 });
    expect(desc.data.map((m) => m.id)).toEqual([visible[2]]);
    expect(desc.has_more).toBe(true);
    // Not a message of the Assistants view.
    await expect(client.beta.threads.messages.retrieve(idOf(all[0]), { thread_id: threadId })).rejects.toBeInstanceOf(NotFoundError);
    await expect(client.beta.threads.messages.delete(idOf(all[2]), { thread_id: threadId })).rejects.toBeInstanceOf(NotFoundError);
  });

  it('items list: desc by default, limit, after, include, first_id/last_id/has_more', async () => {
    const conversation = await client.conversations.create({
      items: ['1', '2', '3', '4', '5'].map((text) => ({ type: 'message' as const, role: 'user' as const, content: text })),
    });
    sent.length = 0;
    const page = await client.conversations.items.list(conversation.id, { limit: 2, include: ['message.output_text.logprobs'] });
    expect(sent[0].url.searchParams.getAll('include[]')).toEqual(['message.output_text.logprobs']);
    expect(page.data.flatMap(texts)).toEqual(['5', '4']);
    expect(page.has_more).toBe(true);
    const body = (await (await client.conversations.items.list(conversation.id, { limit: 2 }).asResponse()).json()) as { first_id: string; last_id: string };
    expect(body.first_id).toBe(page.data[0].id);
    expect(body.last_id).toBe(page.data[1].id);
    expect(page.last_id).toBe(page.data[1].id);
    const next = await page.getNextPage();
    expect(next.data.flatMap(texts)).toEqual(['3', '2']);
    const all: string[] = [];
    for await (const item of client.conversations.items.list(conversation.id, { limit: 2 })) all.push(...texts(item));
    expect(all).toEqual(['5', '4', '3', '2', '1']);
  });

  it("another tenant's conversation is missing (404), in every route", async () => {
    const conversation = await client.conversations.create({ items: [{ type: 'message', role: 'user', content: 'mine' }] });
    const items = await client.conversations.items.list(conversation.id);
    const itemId = idOf(items.data[0]);
    await expect(other.conversations.retrieve(conversation.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(other.conversations.update(conversation.id, { metadata: {} })).rejects.toBeInstanceOf(NotFoundError);
    await expect(other.conversations.delete(conversation.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(other.conversations.items.list(conversation.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(other.conversations.items.create(conversation.id, { items: [{ type: 'message', role: 'user', content: 'x' }] })).rejects.toBeInstanceOf(
      NotFoundError,
    );
    await expect(other.conversations.items.retrieve(itemId, { conversation_id: conversation.id })).rejects.toBeInstanceOf(NotFoundError);
    await expect(other.conversations.items.delete(itemId, { conversation_id: conversation.id })).rejects.toBeInstanceOf(NotFoundError);
    expect((await client.conversations.items.list(conversation.id)).data.map((item) => item.id)).toEqual([itemId]);
  });

  it('20 concurrent writers mixing both APIs lose and duplicate nothing, and both lists agree on the order', async () => {
    const conversation = await client.conversations.create();
    const threadId = `thread_${conversation.id.slice('conv_'.length)}`;
    const written = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        if (i % 2 === 0) return [(await client.beta.threads.messages.create(threadId, { role: 'user', content: `a${i}` })).id];
        const page = await client.conversations.items.create(conversation.id, {
          items: [
            { type: 'message', role: 'user', content: `c${i}` },
            { type: 'function_call_output', call_id: `call_${i}`, output: 'ok' },
          ],
        });
        return page.data.map((item) => item.id);
      }),
    );
    const ids = written.flat();
    expect(new Set(ids).size).toBe(30);

    const conversationOrder: ConversationItem[] = [];
    for await (const item of client.conversations.items.list(conversation.id, { order: 'asc', limit: 7 })) conversationOrder.push(item);
    expect(conversationOrder.map((item) => item.id).sort()).toEqual([...ids].sort());
    // Each writer's items in the order given.
    const position = new Map(conversationOrder.map((item, i) => [item.id, i]));
    for (const group of written.filter((g) => g.length === 2)) expect((position.get(group[0]) as number) < (position.get(group[1]) as number)).toBe(true);
    const assistantsOrder: string[] = [];
    for await (const message of client.beta.threads.messages.list(threadId, { order: 'asc', limit: 6 })) assistantsOrder.push(message.id);
    expect(assistantsOrder).toEqual(conversationOrder.filter((item) => item.type === 'message').map((item) => item.id));
    expect(assistantsOrder).toHaveLength(20);
  });
});
