import { Client } from 'pg';
import OpenAI from 'openai';
import * as ids from '../src/common/ids';
import { ThreadsService } from '../src/threads/threads.service';
import { CreateThreadDto } from '../src/threads/dto/create-thread.dto';
import { bearer, KEY_A, KEY_B, startTestApp, TestApp } from './support/test-app';

/**
 * Threads created at the same time go to PostgreSQL together (ThreadsRepository's coalesced inserts):
 * which statements carry them, and that each thread, its messages and its tenant come out as if it had
 * been created alone, also when one of them is refused.
 */
describe('threads created together', () => {
  let t: TestApp & { url?: string };
  let threads: ThreadsService;
  /** How many threads each thread insert sent carried. */
  const sent: number[] = [];
  const original = Client.prototype.query;

  beforeAll(async () => {
    t = await startTestApp({ listen: true });
    threads = t.app.get(ThreadsService);
    Client.prototype.query = function (this: Client, ...args: unknown[]) {
      const config = args[0] as string | { text?: string; values?: unknown[] };
      const text = typeof config === 'string' ? config : (config?.text ?? '');
      const values = typeof config === 'string' ? undefined : config.values;
      if (text.includes('INSERT INTO threads')) sent.push(text.includes('unnest($1::varchar[]') ? (values?.[0] as unknown[]).length : 1);
      return (original as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof Client.prototype.query;
  });
  afterAll(async () => {
    Client.prototype.query = original;
    await t.close();
  });

  /** The statements sent, by the threads each carried, in a set order (two sent at once may reach pg in either order). */
  const statements = () => [...sent].sort((a, b) => a - b);
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
    const real = ids.newThreadId;
    const planned = ['', '', '', existing.id, '', ''];
    let call = 0;
    // The fourth create is given the id of a thread that exists: its insert violates the primary key.
    const spy = jest.spyOn(ids, 'newThreadId').mockImplementation(() => planned[call++] || real());
    sent.length = 0;
    const outcomes = await Promise.all(
      planned.map((_, i) =>
        threads.create('alpha', 'v2', dto({ metadata: { n: String(i) }, messages: [{ role: 'user', content: `m${i}` }] })).then(
          (thread) => ({ id: thread.id }),
          (error: Error) => ({ error: error.message }),
        ),
      ),
    );
    spy.mockRestore();
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
});
