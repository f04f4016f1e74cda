import { Agent } from 'node:http';
import { SeededRandom } from '../support/seeded-random';
import { Load } from '../support/reliability/load';
import { jsonOf, RawOutcome, RawResponse, sendRaw } from '../support/reliability/raw-http';
import { waitFor } from '../support/reliability/wait-for';
import { bearer, KEY_A, startTestApp, TestApp } from '../support/test-app';

/**
 * Concurrency on one thread, over real HTTP connections: 20 writers, a deleter and a pager at
 * once; concurrent modifies of one message; concurrent identical creates with one Idempotency-Key.
 */

const WRITERS = 20;
const PER_WRITER = 100;
const json = { Authorization: `Bearer ${KEY_A}`, 'Content-Type': 'application/json' };

interface Page {
  data: { id: string; content: { text: { value: string } }[]; created_at: number }[];
  has_more: boolean;
  first_id: string | null;
  last_id: string | null;
}

/** "w<writer>-<n>": which writer created a message and as its how-manieth. */
function origin(message: { content: { text: { value: string } }[] }): { writer: number; n: number } {
  const match = /^w(\d+)-(\d+)$/.exec(message.content[0]?.text?.value ?? '');
  if (!match) throw new Error(`unexpected content ${JSON.stringify(message.content)}`);
  return { writer: Number(match[1]), n: Number(match[2]) };
}

describe('concurrency', () => {
  let t: TestApp & { url?: string };
  let port: number;

  beforeAll(async () => {
    t = await startTestApp({ listen: true });
    port = Number(new URL(t.url as string).port);
  });

  afterAll(async () => {
    await t?.close();
  });

  const status = (outcome: RawOutcome) => outcome.response?.status ?? outcome.error?.code;

  it(`${WRITERS} writers x ${PER_WRITER} creates in one thread, with a deleter and a pager: no 5xx, exact count, nothing duplicated or lost, pagination holds`, async () => {
    const thread = await t.http.post('/v1/threads').set(bearer(KEY_A)).send({});
    expect(thread.status).toBe(200);
    const threadId: string = thread.body.id;
    const path = `/v1/threads/${threadId}/messages`;
    // Half the writers speak the Azure dialect.
    const azurePath = `/openai/threads/${threadId}/messages?api-version=2024-08-01-preview`;
    const azure = { 'api-key': KEY_A, 'Content-Type': 'application/json' };

    const writers = new Load(port, {
      clients: WRITERS,
      keepAlive: true,
      maxPerClient: PER_WRITER,
      next: (writer, n) => ({
        kind: 'create',
        request: {
          method: 'POST',
          path: writer % 2 === 0 ? path : azurePath,
          headers: writer % 2 === 0 ? json : azure,
          body: JSON.stringify({ role: 'user', content: `w${writer}-${n}`, metadata: { writer: String(writer) } }),
        },
      }),
    }).start();
    let writersDone = false;
    const writing = writers.finished().then(() => (writersDone = true));

    // The deleter: one delete for about every eight acknowledged messages, and a few repeats of a done delete.
    const rng = new SeededRandom(20_240_601);
    const deleteStarted = new Map<string, number>();
    const deleted = new Set<string>();
    const problems: string[] = [];
    const deleterAgent = new Agent({ keepAlive: true, maxSockets: 1 });
    const quota = () => writers.ok().length / 8;
    const deleting = (async () => {
      for (;;) {
        await waitFor('another acknowledged message to delete', () => writersDone || deleteStarted.size < quota(), { timeoutMs: 60_000, intervalMs: 2 });
        if (deleteStarted.size >= quota()) break;
        const candidates = writers
          .ok()
          .map((s) => s.id as string)
          .filter((id) => !deleteStarted.has(id));
        const id = rng.pick(candidates);
        deleteStarted.set(id, Date.now());
        const outcome = await sendRaw(port, { method: 'DELETE', path: `${path}/${id}`, headers: json, agent: deleterAgent });
        if (status(outcome) === 200) deleted.add(id);
        else problems.push(`delete ${id}: ${status(outcome)} ${outcome.response?.text.slice(0, 120)}`);
        if (deleted.size > 0 && rng.chance(0.05)) {
          const again = rng.pick([...deleted]);
          const repeat = await sendRaw(port, { method: 'DELETE', path: `${path}/${again}`, headers: json, agent: deleterAgent });
          if (status(repeat) !== 404) problems.push(`repeated delete ${again}: ${status(repeat)}, expected 404`);
        }
      }
    })();

    // The pager: walks the list with `after` in ascending order, again and again, with random page sizes.
    const pagerAgent = new Agent({ keepAlive: true, maxSockets: 1 });
    let completeWalks = 0;
    let abortedWalks = 0;
    let pages = 0;
    const walk = async (final: boolean): Promise<string[] | undefined> => {
      const startedAt = Date.now();
      const ackedAtStart = new Set(writers.ok().map((s) => s.id as string));
      const seen: string[] = [];
      const seenSet = new Set<string>();
      const lastOf = new Map<number, number>();
      let after: string | undefined;
      for (let walked = 0; ; walked++) {
        if (walked > 2 * WRITERS * PER_WRITER) {
          problems.push('a walk did not end');
          return undefined;
        }
        const limit = final ? 100 : rng.range(1, 100);
        const outcome = await sendRaw(port, {
          method: 'GET',
          path: `${path}?order=asc&limit=${limit}${after ? `&after=${after}` : ''}`,
          headers: json,
          agent: pagerAgent,
        });
        pages++;
        const response = outcome.response as RawResponse | undefined;
        if (response?.status === 400 && after && deleteStarted.has(after)) {
          // The cursor was deleted under the pager: refusing it is the documented answer.
          abortedWalks++;
          return undefined;
        }
        if (response?.status !== 200) {
          problems.push(`list after ${after}: ${status(outcome)} ${response?.text.slice(0, 160)}`);
          return undefined;
        }
        const page = jsonOf(response) as Page;
        if (page.data.length > limit) problems.push(`a page of ${page.data.length} for limit ${limit}`);
        for (const message of page.data) {
          if (seenSet.has(message.id)) problems.push(`walk yielded ${message.id} twice`);
          seenSet.add(message.id);
          seen.push(message.id);
          const { writer, n } = origin(message);
          if ((lastOf.get(writer) ?? -1) >= n) problems.push(`walk: writer ${writer}'s #${n} after its #${lastOf.get(writer)} (not in creation order)`);
          lastOf.set(writer, n);
        }
        if (!page.has_more) break;
        if (page.data.length === 0 || page.last_id === after) {
          problems.push(`has_more with a page that does not advance (after ${after})`);
          break;
        }
        after = page.last_id as string;
      }
      // Nothing that existed for the whole walk is missing from it.
      for (const id of ackedAtStart) {
        if (!seenSet.has(id) && !deleteStarted.has(id))
          problems.push(`a walk missed ${id}, acknowledged before it started and never deleted (walk of ${Date.now() - startedAt} ms)`);
      }
      completeWalks++;
      return seen;
    };
    const paging = (async () => {
      while (!writersDone) await walk(false);
    })();

    await Promise.all([writing, deleting, paging]);
    deleterAgent.destroy();
    const finalWalk = await walk(true);
    pagerAgent.destroy();

    // Every create succeeded, every delete succeeded, nothing answered 5xx.
    const failedCreates = writers.samples
      .filter((s) => status(s) !== 200)
      .map((s) => `create by writer ${s.client}: ${status(s)} ${s.response?.text.slice(0, 120)}`);
    expect(failedCreates.slice(0, 10)).toEqual([]);
    expect(writers.ok()).toHaveLength(WRITERS * PER_WRITER);
    expect(problems.slice(0, 20)).toEqual([]);
    console.log(
      `concurrency: ${writers.ok().length} creates, ${deleted.size} deletes, ${completeWalks} complete walks (${abortedWalks} cut short by a deleted cursor), ${pages} pages`,
    );
    expect(completeWalks).toBeGreaterThanOrEqual(3);
    expect(deleted.size).toBeGreaterThanOrEqual(100);

    // Each writer's acknowledgements are distinct and all of them are kept except the deleted ones.
    const acked = writers.ok().map((s) => s.id as string);
    expect(new Set(acked).size).toBe(acked.length);
    const expected = new Set(acked.filter((id) => !deleted.has(id)));
    const { rows } = await t.db.query<{ id: string; content: { text: { value: string } }[] }>(
      'SELECT id, content FROM messages WHERE thread_id = $1 ORDER BY seq',
      [threadId],
    );
    expect(rows).toHaveLength(WRITERS * PER_WRITER - deleted.size);
    expect(rows.filter((row) => !expected.has(row.id)).map((row) => row.id)).toEqual([]);
    const contents = rows.map((row) => row.content[0].text.value);
    expect(new Set(contents).size).toBe(contents.length);

    // The final walk is exactly the stored order, and each writer's messages ascend in creation order.
    expect(finalWalk).toEqual(rows.map((row) => row.id));
    const byWriter = new Map<number, number[]>();
    for (const row of rows) {
      const { writer, n } = origin(row);
      byWriter.set(writer, [...(byWriter.get(writer) ?? []), n]);
    }
    for (const [writer, ns] of byWriter) expect([writer, ns]).toEqual([writer, [...ns].sort((a, b) => a - b)]);

    // And desc is exactly the reverse of asc.
    const desc: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 100; page++) {
      const outcome = await sendRaw(port, { method: 'GET', path: `${path}?order=desc&limit=100${cursor ? `&after=${cursor}` : ''}`, headers: json });
      const body = jsonOf(outcome.response) as Page;
      desc.push(...body.data.map((m) => m.id));
      if (!body.has_more) break;
      cursor = body.last_id as string;
    }
    expect(desc).toEqual([...rows.map((row) => row.id)].reverse());
  }, 90_000);

  it('concurrent modifies of one message metadata: the result is exactly one of the written maps, never a mix or an error', async () => {
    const thread = await t.http
      .post('/v1/threads')
      .set(bearer(KEY_A))
      .send({ messages: [{ role: 'user', content: 'modified concurrently' }] });
    expect(thread.status).toBe(200);
    const threadId: string = thread.body.id;
    const list = await t.http.get(`/v1/threads/${threadId}/messages`).set(bearer(KEY_A));
    const messageId: string = list.body.data[0].id;
    const dialects: { prefix: string; query: string; headers: Record<string, string> }[] = [
      { prefix: '/v1', query: '', headers: json },
      { prefix: '/v1', query: '', headers: { ...json, 'OpenAI-Beta': 'assistants=v1' } },
      { prefix: '/openai', query: '?api-version=2024-08-01-preview', headers: { 'api-key': KEY_A, 'Content-Type': 'application/json' } },
      { prefix: '/openai', query: '?api-version=2024-02-15-preview', headers: { 'api-key': KEY_A, 'Content-Type': 'application/json' } },
    ];
    for (let round = 0; round < 10; round++) {
      // Each writer's map has its own keys (and a different number of them): a mix would show.
      const maps = Array.from({ length: 20 }, (_, w) =>
        Object.fromEntries([['writer', `${round}-${w}`], ...Array.from({ length: 1 + (w % 15) }, (_, k) => [`w${w}k${k}`, `${round}:${w}:${k}`])]),
      );
      const outcomes = await Promise.all(
        maps.map((metadata, w) => {
          const d = dialects[w % dialects.length];
          return sendRaw(port, {
            method: 'POST',
            path: `${d.prefix}/threads/${threadId}/messages/${messageId}${d.query}`,
            headers: d.headers,
            body: JSON.stringify({ metadata }),
          });
        }),
      );
      outcomes.forEach((outcome, w) => {
        expect([w, status(outcome)]).toEqual([w, 200]);
        // Each answer shows the map its own request wrote.
        expect((jsonOf(outcome.response) as { metadata: unknown }).metadata).toEqual(maps[w]);
      });
      const after = await t.http.get(`/v1/threads/${threadId}/messages/${messageId}`).set(bearer(KEY_A));
      expect(after.status).toBe(200);
      expect(maps).toContainEqual(after.body.metadata);
      const { rows } = await t.db.query('SELECT metadata FROM messages WHERE id = $1', [messageId]);
      expect(rows[0].metadata).toEqual(after.body.metadata);
    }
  });

  it('20 concurrent identical creates with one Idempotency-Key create exactly one message, in either dialect', async () => {
    const thread = await t.http.post('/v1/threads').set(bearer(KEY_A)).send({});
    const threadId: string = thread.body.id;
    const variants: { name: string; path: string; headers: Record<string, string> }[] = [
      { name: 'openai v2', path: `/v1/threads/${threadId}/messages`, headers: json },
      { name: 'openai v1', path: `/v1/threads/${threadId}/messages`, headers: { ...json, 'OpenAI-Beta': 'assistants=v1' } },
      {
        name: 'azure v2',
        path: `/openai/threads/${threadId}/messages?api-version=2024-08-01-preview`,
        headers: { 'api-key': KEY_A, 'Content-Type': 'application/json' },
      },
    ];
    for (const [i, variant] of variants.entries()) {
      const key = `concurrent-create-${i}-${Date.now()}`;
      const content = `exactly once ${i}`;
      const outcomes = await Promise.all(
        Array.from({ length: 20 }, () =>
          sendRaw(port, {
            method: 'POST',
            path: variant.path,
            headers: { ...variant.headers, 'Idempotency-Key': key },
            body: JSON.stringify({ role: 'user', content }),
          }),
        ),
      );
      expect([variant.name, outcomes.map(status)]).toEqual([variant.name, Array(20).fill(200)]);
      const ids = new Set(outcomes.map((outcome) => (jsonOf(outcome.response) as { id: string }).id));
      expect([variant.name, ids.size]).toEqual([variant.name, 1]);
      const { rows } = await t.db.query('SELECT id FROM messages WHERE thread_id = $1 AND content::text LIKE $2', [threadId, `%${content}%`]);
      expect([variant.name, rows.map((row) => row.id)]).toEqual([variant.name, [...ids]]);
      const keys = await t.db.query('SELECT count(*)::int AS n FROM idempotency_keys WHERE key = $1', [key]);
      expect(keys.rows[0].n).toBe(1);
    }
  });
});
