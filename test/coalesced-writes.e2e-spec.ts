import OpenAI from 'openai';
import * as ids from '../src/common/ids';
import { definedStatements } from '../src/database/sql';
import { ConversationsService } from '../src/conversations/conversations.service';
import { CreateConversationDto } from '../src/conversations/dto/create-conversation.dto';
import { CreateItemsDto } from '../src/conversations/dto/create-items.dto';
import { MessagesService } from '../src/messages/messages.service';
import { CreateMessageDto } from '../src/messages/dto/create-message.dto';
import { ThreadsService } from '../src/threads/threads.service';
import { CreateThreadDto } from '../src/threads/dto/create-thread.dto';
import { bearer, KEY_A, KEY_B, startTestApp, TestApp } from './support/test-app';

import { explain, nodes } from './support/query-plan';
import { watchSentQueries } from './support/sent-queries';

/**
 * Threads and messages created at the same time go to PostgreSQL together (the repositories' coalesced
 * inserts): which statements carry them, and that each thread or message, its thread and its tenant
 * come out as if it had been created alone, also when one of them is refused.
 */
describe('threads and messages created together', () => {
  let t: TestApp & { url?: string };
  let threads: ThreadsService;
  let messages: MessagesService;
  let conversations: ConversationsService;
  /** Each insert sent: 1 for a request's own statement; for a coalesced one, how many rows its arrays carry (threads, or rows of messages when no thread is inserted). */
  const sent: number[] = [];
  let stopWatching: () => void;

  beforeAll(async () => {
    t = await startTestApp({ listen: true });
    threads = t.app.get(ThreadsService);
    messages = t.app.get(MessagesService);
    conversations = t.app.get(ConversationsService);
    stopWatching = watchSentQueries((text, values) => {
      if (/INSERT INTO (threads|messages)/.test(text)) sent.push(text.includes('unnest($1::varchar[]') ? (values?.[0] as unknown[]).length : 1);
    });
  });
  afterAll(async () => {
    stopWatching();
    await t.close();
  });

  /** The statements sent, by the threads each carried, in a set order (two sent at once may reach pg in either order). */
  const statements = () => [...sent].sort((a, b) => a - b);

  /** Six creates at once (`create(i)`), the fourth given the existing `id` by the id generator `generator`: what each answered. */
  async function sixWithFourthId<T>(generator: 'newThreadId' | 'newMessageId', id: string, create: (i: number) => Promise<T>): Promise<T[]> {
    const real = ids[generator];
    const planned = ['', '', '', id, '', ''];
    let call = 0;
    const spy = jest.spyOn(ids, generator).mockImplementation(() => planned[call++] || real());
    sent.length = 0;
    try {
      return await Promise.all(planned.map((_, i) => create(i)));
    } finally {
      spy.mockRestore();
    }
  }
  const dto = (body: object) => body as CreateThreadDto;
  /** Texts that need escaping in an array literal (quotes, backslashes, braces, commas) or in JSON (a NUL). */
  const awkward = ['a "quoted", {braced} text', 'back\\slash \\" and \\\\', 'nul \u0000 here', 'accents é ü 漢字 🎉', ' ', 'NULL'];

  it('sends the creates that arrive while two are in flight as one statement, each thread with its own messages and tenant', async () => {
    sent.length = 0;
    const bodies = Array.from({ length: 10 }, (_, i) => ({
      metadata: { n: String(i), text: awkward[i % awkward.length] },
      messages: Array.from({ length: i % 4 }, (_, j) => ({ role: j % 2 ? 'assistant' : 'user', content: `${awkward[(i + j) % awkward.length]} ${i}.${j}` })),
    }));
    const created = await Promise.all(bodies.map((body, i) => threads.create(i % 3 ? 'alpha' : 'beta', 'v2', dto(body))));
    // Two alone (nothing else in flight), then the eight that waited, in one statement.
    expect(statements()).toEqual([1, 1, 8]);
    expect(new Set(created.map((thread) => thread.id)).size).toBe(10);
    for (const [i, thread] of created.entries()) {
      expect(thread).toMatchObject({ object: 'thread', metadata: bodies[i].metadata, tool_resources: {} });
      const key = i % 3 ? KEY_A : KEY_B;
      const other = i % 3 ? KEY_B : KEY_A;
      const read = await t.http.get(`/v1/threads/${thread.id}`).set(bearer(key));
      expect(read.status).toBe(200);
      expect(read.body).toEqual(thread);
      expect((await t.http.get(`/v1/threads/${thread.id}`).set(bearer(other))).status).toBe(404);
      const listed = await t.http.get(`/v1/threads/${thread.id}/messages?order=asc`).set(bearer(key));
      expect(
        listed.body.data.map((m: { role: string; content: { text: { value: string } }[]; created_at: number }) => [
          m.role,
          m.content[0].text.value,
          m.created_at,
        ]),
      ).toEqual(bodies[i].messages.map((m) => [m.role, m.content, thread.created_at]));
    }
  });

  it('sends the creates of a statement PostgreSQL refused one by one: only the one at fault fails, nothing of it is written', async () => {
    const existing = await threads.create('alpha', 'v2', dto({ metadata: { keep: 'me' } }));
    // The fourth create is given the id of a thread that exists: its insert violates the primary key.
    const outcomes = await sixWithFourthId('newThreadId', existing.id, (i) =>
      threads.create('alpha', 'v2', dto({ metadata: { n: String(i) }, messages: [{ role: 'user', content: `m${i}` }] })).then(
        (thread) => ({ id: thread.id }),
        (error: Error) => ({ error: error.message }),
      ),
    );
    // Two alone, four together (refused), then those four one by one.
    expect(statements()).toEqual([1, 1, 1, 1, 1, 1, 4]);
    expect(outcomes.filter((o) => 'error' in o)).toHaveLength(1);
    expect(outcomes[3]).toEqual({ error: expect.stringMatching(/duplicate key/) });
    for (const [i, outcome] of outcomes.entries()) {
      if (!('id' in outcome)) continue;
      const listed = await t.http.get(`/v1/threads/${outcome.id}/messages`).set(bearer(KEY_A));
      expect(listed.body.data.map((m: { content: { text: { value: string } }[] }) => m.content[0].text.value)).toEqual([`m${i}`]);
    }
    const kept = await t.http.get(`/v1/threads/${existing.id}`).set(bearer(KEY_A));
    expect(kept.body.metadata).toEqual({ keep: 'me' });
    expect((await t.http.get(`/v1/threads/${existing.id}/messages`).set(bearer(KEY_A))).body.data).toEqual([]);
  });

  it('creates every thread of many concurrent SDK requests of two tenants, each as sent', async () => {
    const clients = [KEY_A, KEY_B].map((apiKey) => new OpenAI({ apiKey, baseURL: `${t.url}/v1`, maxRetries: 0 }));
    const bodies = Array.from({ length: 60 }, (_, i) => ({
      metadata: { i: String(i) },
      messages: Array.from({ length: i % 3 }, (_, j) => ({ role: 'user' as const, content: `${i}-${j} ${awkward[j]}` })),
    }));
    const created = await Promise.all(bodies.map((body, i) => clients[i % 2].beta.threads.create(body)));
    expect(new Set(created.map((thread) => thread.id)).size).toBe(60);
    for (const [i, thread] of created.entries()) {
      expect(thread.metadata).toEqual(bodies[i].metadata);
      const messages = await clients[i % 2].beta.threads.messages.list(thread.id, { order: 'asc' });
      expect(messages.data.map((m) => (m.content[0].type === 'text' ? m.content[0].text.value : null))).toEqual(bodies[i].messages.map((m) => m.content));
      await expect(clients[(i + 1) % 2].beta.threads.retrieve(thread.id)).rejects.toMatchObject({ status: 404 });
    }
  });

  describe('messages', () => {
    type Outcome = { id: string; created_at: number } | { status: number };
    const outcome = (promise: Promise<{ id: string; created_at: number }>): Promise<Outcome> =>
      promise.then(
        ({ id, created_at }) => ({ id, created_at }),
        (error: { status?: number; message: string }) => ({ status: error.status ?? 0, message: error.message }),
      );
    const text = (m: { content: { text: { value: string } }[] }) => m.content[0].text.value;
    const listed = async (key: string, threadId: string): Promise<string[]> =>
      (await t.http.get(`/v1/threads/${threadId}/messages?order=asc&limit=100`).set(bearer(key))).body.data.map(text);

    it("sends the creates that arrive while two are in flight as one statement: each message in its thread, in the order sent; another tenant's thread or no thread: 404", async () => {
      const [a1, a2, b1] = await Promise.all([
        threads.create('alpha', 'v2', dto({})),
        threads.create('alpha', 'v2', dto({})),
        threads.create('beta', 'v2', dto({})),
      ]);
      sent.length = 0;
      // Tenant alpha writes to its two threads, to beta's thread and to no thread; beta to its own.
      const plan: [string, string][] = [
        ['alpha', a1.id],
        ['alpha', a2.id],
        ['alpha', a1.id],
        ['beta', b1.id],
        ['alpha', b1.id],
        ['alpha', 'thread_missing'],
        ['alpha', a2.id],
        ['alpha', a1.id],
        ['beta', b1.id],
        ['alpha', a1.id],
      ];
      const results = await Promise.all(
        plan.map(([tenant, threadId], i) =>
          outcome(messages.create(tenant, 'v2', threadId, { role: 'user', content: `${awkward[i % awkward.length]} #${i}` } as CreateMessageDto)),
        ),
      );
      expect(statements()).toEqual([1, 1, 8]);
      expect(results[4]).toMatchObject({ status: 404 });
      expect(results[5]).toMatchObject({ status: 404 });
      const sentTo = (tenant: string, threadId: string, from = 0) =>
        plan.flatMap(([to, id], i) => (i >= from && to === tenant && id === threadId ? [`${awkward[i % awkward.length]} #${i}`] : []));
      // Each thread holds what was sent to it; the eight that went together keep their order. The first two went
      // alone, side by side with that statement, so either may land before or after it.
      const coalesced = (text: string) => Number(text.slice(text.lastIndexOf('#') + 1)) >= 2;
      for (const [key, tenant, threadId] of [
        [KEY_A, 'alpha', a1.id],
        [KEY_A, 'alpha', a2.id],
        [KEY_B, 'beta', b1.id],
      ]) {
        const texts = await listed(key, threadId);
        expect([...texts].sort()).toEqual(sentTo(tenant, threadId).sort());
        expect(texts.filter(coalesced)).toEqual(sentTo(tenant, threadId, 2));
      }
      for (const [i, result] of results.entries()) {
        if (!('id' in result)) continue;
        const [tenant, threadId] = plan[i];
        const read = await t.http.get(`/v1/threads/${threadId}/messages/${result.id}`).set(bearer(tenant === 'alpha' ? KEY_A : KEY_B));
        expect(read.body).toMatchObject({ id: result.id, thread_id: threadId, created_at: result.created_at });
      }
    });

    it('sends the creates of a statement PostgreSQL refused one by one: only the one at fault fails', async () => {
      const thread = await threads.create('alpha', 'v2', dto({ messages: [{ role: 'user', content: 'first' }] }));
      const [first] = (await t.http.get(`/v1/threads/${thread.id}/messages`).set(bearer(KEY_A))).body.data;
      // The fourth create is given the id of the thread's first message: its insert violates (thread_id, id)'s uniqueness.
      const results = await sixWithFourthId('newMessageId', first.id, (i) =>
        outcome(messages.create('alpha', 'v2', thread.id, { role: 'user', content: `m${i}` } as CreateMessageDto)),
      );
      expect(statements()).toEqual([1, 1, 1, 1, 1, 1, 4]);
      expect(results.map((r) => 'id' in r)).toEqual([true, true, true, false, true, true]);
      // Those of the refused statement one after the other, in their order; the first two went alone, side by side
      // with them, so either may land anywhere among them.
      const texts = await listed(KEY_A, thread.id);
      expect(texts[0]).toBe('first');
      expect([...texts].sort()).toEqual(['first', 'm0', 'm1', 'm2', 'm4', 'm5']);
      expect(texts.filter((text) => ['m2', 'm4', 'm5'].includes(text))).toEqual(['m2', 'm4', 'm5']);
    });

    it('creates every message of many concurrent SDK requests on two threads of two tenants, each once', async () => {
      const clients = [KEY_A, KEY_B].map((apiKey) => new OpenAI({ apiKey, baseURL: `${t.url}/v1`, maxRetries: 0 }));
      const owned = await Promise.all(clients.map((client) => client.beta.threads.create()));
      const created = await Promise.all(
        Array.from({ length: 60 }, (_, i) =>
          clients[i % 2].beta.threads.messages.create(owned[i % 2].id, { role: 'user', content: `${i} ${awkward[i % awkward.length]}` }),
        ),
      );
      expect(new Set(created.map((m) => m.id)).size).toBe(60);
      for (const side of [0, 1]) {
        const page = await clients[side].beta.threads.messages.list(owned[side].id, { order: 'asc', limit: 100 });
        const expected = created.filter((_, i) => i % 2 === side);
        // Each message once, in the order the service answered them (seq order); the same bodies.
        expect(page.data.map((m) => m.id).sort()).toEqual(expected.map((m) => m.id).sort());
        expect(page.data.map((m) => (m.content[0].type === 'text' ? m.content[0].text.value : null)).sort()).toEqual(
          expected.map((m) => (m.content[0].type === 'text' ? m.content[0].text.value : null)).sort(),
        );
        await expect(clients[1 - side].beta.threads.messages.list(owned[side].id)).rejects.toMatchObject({ status: 404 });
      }
    });

    it("looks each message's thread up by its key, whatever the number of threads (the generic plan)", async () => {
      const text = definedStatements().find((s) => s.includes('INSERT INTO messages') && s.includes('CROSS JOIN LATERAL'));
      expect(text).toBeDefined();
      const client = await t.db.connect();
      try {
        await client.query(
          `INSERT INTO threads (id, tenant_id, created_at, metadata, tool_resources) SELECT 'thread_plan' || g, 'alpha', 1, '{}', '{}' FROM generate_series(1, 20000) g`,
        );
        await client.query('ANALYZE threads');
        await client.query('SET plan_cache_mode = force_generic_plan');
        const values = [['thread_plan1'], ['alpha'], ['msg_plan'], ['user'], ['[]'], ['[]'], ['{}'], [null]];
        const plan = nodes(await explain(client, text as string, values));
        expect(plan.filter((node) => node['Relation Name'] === 'threads').map((node) => node['Node Type'])).toEqual([
          expect.stringMatching(/^Index (Only )?Scan$/),
        ]);
      } finally {
        await client.query('RESET plan_cache_mode');
        client.release();
      }
    });
  });

  it("sends the conversation items that arrive while two creates are in flight as one statement, each request's items in its conversation, in order", async () => {
    const [c1, c2] = await Promise.all([conversations.create('alpha', {}), conversations.create('beta', {})]);
    sent.length = 0;
    const requests: [string, string, Record<string, unknown>[]][] = Array.from({ length: 8 }, (_, i) => [
      i % 2 ? 'beta' : 'alpha',
      i === 5 ? 'conv_missing' : i % 2 ? c2.id : c1.id,
      [
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: `${awkward[i % awkward.length]} ${i}` }] },
        ...(i % 3 === 0 ? [{ type: 'function_call', call_id: `call_${i}`, name: 'f', arguments: `{"i":${i}}` }] : []),
      ],
    ]);
    const results = await Promise.all(
      requests.map(([tenant, id, items]) =>
        conversations.createItems(tenant, id, { items } as CreateItemsDto).then(
          (list) => list.data.map((item) => item.id),
          (error: { status?: number }) => error.status,
        ),
      ),
    );
    // Two alone, then the six requests that waited: their eight rows in one statement.
    expect(statements()).toEqual([1, 1, 8]);
    expect(results[5]).toBe(404);
    const key = { alpha: KEY_A, beta: KEY_B } as Record<string, string>;
    for (const [conversation, tenant] of [
      [c1.id, 'alpha'],
      [c2.id, 'beta'],
    ]) {
      const page = await t.http.get(`/v1/conversations/${conversation}/items?order=asc`).set(bearer(key[tenant]));
      // Every request's items, each request's in its order; those that went together in the requests' order (the
      // first two went alone, side by side with them: theirs may land before, after or between them).
      const ids: string[] = page.body.data.map((item: { id: string }) => item.id);
      const mine = requests.flatMap(([, id], i) => (id === conversation ? [i] : []));
      expect([...ids].sort()).toEqual(mine.flatMap((i) => results[i] as string[]).sort());
      for (const i of mine) expect(ids.filter((id) => (results[i] as string[]).includes(id))).toEqual(results[i]);
      const together = mine.filter((i) => i >= 2).flatMap((i) => results[i] as string[]);
      expect(ids.filter((id) => together.includes(id))).toEqual(together);
      const calls = page.body.data.filter((item: { type: string }) => item.type === 'function_call');
      expect(calls.map((item: { arguments: string }) => item.arguments).sort()).toEqual(
        requests
          .flatMap(([, id, items]) => (id === conversation ? items.filter((item) => item.type === 'function_call').map((item) => item.arguments) : []))
          .sort(),
      );
    }
  });

  it('sends the conversations created while two creates are in flight as one statement, each with its own items, metadata and tenant', async () => {
    sent.length = 0;
    const bodies = Array.from({ length: 10 }, (_, i) => ({
      metadata: { n: String(i) },
      items: Array.from({ length: i % 3 }, (_, j) =>
        j === 1
          ? { type: 'function_call', call_id: `call_${i}`, name: 'f', arguments: `{"i":${i}}` }
          : { type: 'message', role: 'user', content: [{ type: 'input_text', text: `${awkward[(i + j) % awkward.length]} ${i}` }] },
      ),
    }));
    const created = await Promise.all(bodies.map((body, i) => conversations.create(i % 2 ? 'beta' : 'alpha', body as CreateConversationDto)));
    expect(statements()).toEqual([1, 1, 8]);
    expect(new Set(created.map((c) => c.id)).size).toBe(10);
    for (const [i, conversation] of created.entries()) {
      const key = i % 2 ? KEY_B : KEY_A;
      const read = await t.http.get(`/v1/conversations/${conversation.id}`).set(bearer(key));
      expect(read.body).toEqual({ id: conversation.id, object: 'conversation', created_at: conversation.created_at, metadata: bodies[i].metadata });
      expect((await t.http.get(`/v1/conversations/${conversation.id}`).set(bearer(i % 2 ? KEY_A : KEY_B))).status).toBe(404);
      const page = await t.http.get(`/v1/conversations/${conversation.id}/items?order=asc`).set(bearer(key));
      expect(
        page.body.data.map((item: { type: string; arguments?: string; content?: { text: string }[] }) => item.arguments ?? item.content?.[0].text),
      ).toEqual(bodies[i].items.map((item) => ('arguments' in item ? item.arguments : item.content[0].text)));
    }
  });
});
