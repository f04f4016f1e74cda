import type { Response, Test } from 'supertest';
import { bearer, KEY_A, KEY_B, startTestApp, TestApp } from './support/test-app';
import { DEFAULT_LIMIT, ModelAnswer, modelPage, Order, PageQuery } from './support/pagination-model';
import { replayCommand, SeededRandom, seedsFor } from './support/seeded-random';

/**
 * Cursor pagination of `GET /threads/{id}/messages`, both dialects, against an in-memory model
 * that knows only the order in which the messages were created.
 */

type Dialect = 'openai' | 'azure';

const AZURE_VERSION = '2024-08-01-preview';
/** Fixed seeds first; see seedsFor. */
const SEEDS = seedsFor('PAGINATION_SEED', [2701699822]);
const ENVELOPE_KEYS = ['data', 'first_id', 'has_more', 'last_id', 'object'];

let t: TestApp;

beforeAll(async () => {
  console.log(
    `pagination property seeds: ${SEEDS.join(', ')} (replay one: ${replayCommand('PAGINATION_SEED', SEEDS[SEEDS.length - 1], 'test/pagination.e2e-spec.ts')})`,
  );
  t = await startTestApp();
});

afterAll(async () => {
  await t?.close();
});

function apiPath(dialect: Dialect, path: string): string {
  return dialect === 'azure' ? `/openai${path}` : `/v1${path}`;
}

function authed(dialect: Dialect, req: Test, key: string): Test {
  return dialect === 'azure' ? req.set('api-key', key).query({ 'api-version': AZURE_VERSION }) : req.set(bearer(key));
}

function listMessages(dialect: Dialect, threadId: string, query: PageQuery, key = KEY_A): Promise<Response> {
  const q: Record<string, string> = {};
  if (query.limit !== undefined) q.limit = String(query.limit);
  if (query.order !== undefined) q.order = query.order;
  if (query.after !== undefined) q.after = query.after;
  if (query.before !== undefined) q.before = query.before;
  return authed(dialect, t.http.get(apiPath(dialect, `/threads/${threadId}/messages`)), key).query(q);
}

async function appendMessage(dialect: Dialect, threadId: string, content: string, key = KEY_A): Promise<string> {
  const res = await authed(dialect, t.http.post(apiPath(dialect, `/threads/${threadId}/messages`)), key).send({ role: 'user', content });
  expect(res.status).toBe(200);
  expect(res.body.thread_id).toBe(threadId);
  return res.body.id as string;
}

async function createThreadWith(dialect: Dialect, contents: string[], key = KEY_A): Promise<string> {
  const messages = contents.map((content, i) => ({ role: i % 3 === 2 ? 'assistant' : 'user', content }));
  const res = await authed(dialect, t.http.post(apiPath(dialect, '/threads')), key).send(messages.length > 0 ? { messages } : {});
  expect(res.status).toBe(200);
  return res.body.id as string;
}

/** The stored ids of a thread, keyed by their text content (which encodes the creation index). */
async function idsByContent(threadId: string): Promise<Map<string, string>> {
  const { rows } = await t.db.query<{ id: string; text: string }>(`SELECT id, content->0->'text'->>'value' AS text FROM messages WHERE thread_id = $1`, [
    threadId,
  ]);
  return new Map(rows.map((row) => [row.text, row.id]));
}

/**
 * A thread of `size` messages: the first `bulk` in the thread-create request (one statement, one
 * created_at), the rest one by one. Returns the ids in creation order, known from the content
 * each message was created with, not from the order key.
 */
async function createThreadOfSize(dialect: Dialect, size: number, bulk: number, label: string): Promise<{ threadId: string; ids: string[] }> {
  const content = (i: number) => `${label}#${i}`;
  const first = Math.min(size, bulk, 100);
  const threadId = await createThreadWith(
    dialect,
    Array.from({ length: first }, (_, i) => content(i)),
  );
  const appended: string[] = [];
  for (let i = first; i < size; i++) appended.push(await appendMessage(dialect, threadId, content(i)));
  const stored = await idsByContent(threadId);
  expect(stored.size).toBe(size);
  const ids = Array.from({ length: size }, (_, i) => {
    const id = stored.get(content(i));
    if (id === undefined) throw new Error(`message ${content(i)} was not stored`);
    return id;
  });
  expect(ids.slice(first)).toEqual(appended);
  return { threadId, ids };
}

/** The answer's page, in the model's terms; fails with the query in the diff when it is not a 200 list. */
function pageOf(res: Response, context: string): { ids: string[]; has_more: boolean; first_id: string | null; last_id: string | null } {
  expect({ context, status: res.status }).toEqual({ context, status: 200 });
  expect({ context, keys: Object.keys(res.body).sort(), object: res.body.object }).toEqual({ context, keys: ENVELOPE_KEYS, object: 'list' });
  const data = res.body.data as { id: string; object: string }[];
  expect(data.every((m) => m.object === 'thread.message')).toBe(true);
  return { ids: data.map((m) => m.id), has_more: res.body.has_more, first_id: res.body.first_id, last_id: res.body.last_id };
}

function expectAnswer(res: Response, expected: ModelAnswer, context: string): void {
  if (expected.ok) {
    expect({ context, ...pageOf(res, context) }).toEqual({ context, ...expected.page });
  } else {
    expect({ context, status: res.status, type: res.body?.error?.type, param: res.body?.error?.param }).toEqual({
      context,
      status: 400,
      type: 'invalid_request_error',
      param: expected.param,
    });
  }
}

const describeQuery = (dialect: Dialect, threadId: string, q: PageQuery) =>
  `${dialect} ${threadId} limit=${q.limit ?? '-'} order=${q.order ?? '-'} after=${q.after ?? '-'} before=${q.before ?? '-'}`;

/** One request checked against the model; returns the model page. */
async function check(seed: number, dialect: Dialect, threadId: string, ids: readonly string[], q: PageQuery) {
  const expected = modelPage(ids, q);
  expectAnswer(
    await listMessages(dialect, threadId, q),
    expected,
    `${replayCommand('PAGINATION_SEED', seed, 'test/pagination.e2e-spec.ts')}: ${describeQuery(dialect, threadId, q)}`,
  );
  return expected;
}

describe.each(SEEDS)('messages pagination, property test (PAGINATION_SEED=%i)', (seed) => {
  const prng = new SeededRandom(seed);
  // Sizes: empty, one, exactly the walk limit, the limit plus one, around the bulk boundary, then random.
  const limitA = prng.range(1, 100);
  const limitB = prng.range(1, 100);
  const cases: { size: number; walkLimit: number | undefined }[] = [
    { size: 0, walkLimit: prng.range(1, 100) },
    { size: 1, walkLimit: prng.range(1, 100) },
    { size: limitA, walkLimit: limitA },
    { size: limitB + 1, walkLimit: limitB },
    { size: DEFAULT_LIMIT, walkLimit: undefined },
    { size: DEFAULT_LIMIT + 1, walkLimit: undefined },
    { size: 250, walkLimit: prng.range(1, 100) },
    { size: 100, walkLimit: 100 },
    { size: 101, walkLimit: prng.range(1, 100) },
    ...Array.from({ length: 6 }, (_, i) => ({ size: prng.range(0, 250), walkLimit: i % 2 === 0 ? prng.range(1, 12) : prng.range(1, 100) })),
  ];
  const caseSeeds = cases.map(() => prng.range(0, 0xffffffff));

  let foreignIds: string[] = [];

  beforeAll(async () => {
    const otherA = await createThreadOfSize('openai', 3, 3, 'other-a');
    const otherB = await createThreadWith('openai', ['b#0', 'b#1'], KEY_B);
    const bIds = [...(await idsByContent(otherB)).values()];
    foreignIds = [...otherA.ids, ...bIds, 'msg_doesNotExist000000000000', 'x'];
  });

  cases.forEach(({ size, walkLimit }, index) => {
    it(`case ${index}: ${size} messages, walk limit ${walkLimit ?? 'default'}`, async () => {
      const r = new SeededRandom(caseSeeds[index]);
      const dialect = (): Dialect => (r.chance(0.35) ? 'azure' : 'openai');
      const randomOrder = (): Order | undefined => (r.chance(0.15) ? undefined : r.pick<Order>(['asc', 'desc']));
      const randomLimit = (): number | undefined => (r.chance(0.1) ? undefined : r.chance(0.3) ? r.range(1, 10) : r.range(1, 100));
      const { threadId, ids } = await createThreadOfSize(dialect(), size, r.range(0, 100), `case${index}`);

      // Forward walks, each order: no cursor, then after=last_id until has_more is false; then back with before=first_id.
      for (const order of ['asc', 'desc', undefined] as const) {
        const ordered = (order ?? 'desc') === 'asc' ? ids : [...ids].reverse();
        const limit = order === undefined ? randomLimit() : walkLimit;
        const seen: string[] = [];
        let page = (await check(seed, dialect(), threadId, ids, { limit, order })) as Extract<ModelAnswer, { ok: true }>;
        seen.push(...page.page.ids);
        while (page.page.has_more) {
          page = (await check(seed, dialect(), threadId, ids, { limit, order, after: page.page.last_id ?? undefined })) as typeof page;
          seen.push(...page.page.ids);
        }
        expect(seen).toEqual(ordered);

        // Backwards from the last page, with another limit.
        const backLimit = randomLimit();
        const back: string[] = [...page.page.ids];
        while (page.page.first_id !== null) {
          const before = page.page.first_id;
          page = (await check(seed, dialect(), threadId, ids, { limit: backLimit, order, before })) as typeof page;
          back.unshift(...page.page.ids);
          if (!page.page.has_more) break;
        }
        expect(back).toEqual(ordered);
      }

      // The pages next to the ends are empty, with null ids.
      if (ids.length > 0) {
        for (const order of ['asc', 'desc'] as const) {
          const ordered = order === 'asc' ? ids : [...ids].reverse();
          const empty = { ok: true, page: { ids: [], has_more: false, first_id: null, last_id: null } };
          expect(await check(seed, dialect(), threadId, ids, { order, after: ordered[ordered.length - 1] })).toEqual(empty);
          expect(await check(seed, dialect(), threadId, ids, { order, before: ordered[0] })).toEqual(empty);
        }
      }

      // Random single queries: after, before, both, on random cursors (mostly of this thread).
      const cursor = (): string => (ids.length > 0 && r.chance(0.85) ? r.pick(ids) : r.pick(foreignIds));
      for (let i = 0; i < 60; i++) {
        const kind = r.pick(['after', 'before', 'both'] as const);
        const q: PageQuery = { limit: randomLimit(), order: randomOrder() };
        if (kind !== 'before') q.after = cursor();
        if (kind !== 'after') q.before = cursor();
        await check(seed, dialect(), threadId, ids, q);
      }
    });
  });

  it('rejects a cursor of another thread or tenant as 400 naming the parameter, in both dialects', async () => {
    const { threadId, ids } = await createThreadOfSize('openai', 5, 5, 'cursor-check');
    for (const dialect of ['openai', 'azure'] as const) {
      for (const foreign of foreignIds) {
        for (const q of [{ after: foreign }, { before: foreign }, { after: ids[0], before: foreign }, { after: foreign, before: ids[0] }]) {
          const res = await listMessages(dialect, threadId, q);
          expect({ q, status: res.status, param: res.body.error?.param }).toEqual({ q, status: 400, param: q.after === foreign ? 'after' : 'before' });
        }
      }
    }
  });

  it('rejects limit outside 1..100 and an unknown order', async () => {
    const { threadId } = await createThreadOfSize('openai', 2, 2, 'validation');
    for (const dialect of ['openai', 'azure'] as const) {
      for (const [query, param] of [
        [{ limit: '0' }, 'limit'],
        [{ limit: '101' }, 'limit'],
        [{ limit: '2.5' }, 'limit'],
        [{ order: 'sideways' }, 'order'],
      ] as const) {
        const res = await authed(dialect, t.http.get(apiPath(dialect, `/threads/${threadId}/messages`)), KEY_A).query(query);
        expect({ query, status: res.status, param: res.body.error?.param }).toEqual({ query, status: 400, param });
      }
      for (const limit of [1, 100]) {
        expect((await listMessages(dialect, threadId, { limit })).status).toBe(200);
      }
    }
  });
});

/** Every id of a thread in the requested order, by walking `after=last_id` pages; fails on a repeated id. */
async function walkAll(dialect: Dialect, threadId: string, order: Order, limit: number): Promise<string[]> {
  const seen: string[] = [];
  let after: string | undefined;
  for (;;) {
    const page = pageOf(await listMessages(dialect, threadId, { order, limit, after }), `${order} walk of ${threadId} after=${after}`);
    expect(page.ids.length).toBeLessThanOrEqual(limit);
    expect(page.has_more ? page.ids.length : limit).toBe(limit);
    seen.push(...page.ids);
    if (!page.has_more) break;
    after = page.last_id ?? undefined;
  }
  expect(new Set(seen).size).toBe(seen.length);
  return seen;
}

describe('messages created concurrently (ties in created_at)', () => {
  it('keeps 200 concurrently created messages in one total, stable order', async () => {
    const threadId = await createThreadWith('openai', []);
    const batches: string[][] = [];
    for (let b = 0; b < 10; b++) {
      batches.push(await Promise.all(Array.from({ length: 20 }, (_, i) => appendMessage(b % 2 === 0 ? 'openai' : 'azure', threadId, `tie ${b}.${i}`))));
    }
    const created = batches.flat();
    expect(new Set(created).size).toBe(200);

    const { rows } = await t.db.query<{ n: string }>(
      `SELECT max(n) AS n FROM (SELECT count(*) AS n FROM messages WHERE thread_id = $1 GROUP BY created_at) s`,
      [threadId],
    );
    expect(Number(rows[0].n)).toBeGreaterThan(1); // the test does exercise messages created in the same second

    const asc = await walkAll('openai', threadId, 'asc', 7);
    const desc = await walkAll('azure', threadId, 'desc', 7);
    expect(asc).toHaveLength(200);
    expect(desc).toEqual([...asc].reverse());
    expect([...asc].sort()).toEqual([...created].sort());

    // A batch was sent only after the previous one was answered: every message of batch b comes after all of batch b-1.
    const position = new Map(asc.map((id, i) => [id, i]));
    for (let b = 1; b < batches.length; b++) {
      const previousLast = Math.max(...batches[b - 1].map((id) => position.get(id) as number));
      const firstHere = Math.min(...batches[b].map((id) => position.get(id) as number));
      expect({ batch: b, before: previousLast < firstHere }).toEqual({ batch: b, before: true });
    }

    // Walking again, with other limits and the default order, gives the same order.
    expect(await walkAll('openai', threadId, 'asc', 13)).toEqual(asc);
    const defaultOrder = pageOf(await listMessages('openai', threadId, {}), 'default order');
    expect(defaultOrder).toEqual({ ids: desc.slice(0, 20), has_more: true, first_id: desc[0], last_id: desc[19] });
  });
});

describe('pagination while messages are appended', () => {
  /**
   * Walks the thread page by page in `reader`'s dialect while `writer`'s dialect appends one message
   * beside each read; appends are sequential, so their creation order is known.
   */
  async function walkWhileAppending(reader: Dialect, writer: Dialect, threadId: string, order: Order, limit: number) {
    const appended: string[] = [];
    const seen: string[] = [];
    let after: string | undefined;
    for (let step = 0; ; step++) {
      expect(step).toBeLessThan(100);
      const [res, id] = await Promise.all([listMessages(reader, threadId, { order, limit, after }), appendMessage(writer, threadId, `appended ${step}`)]);
      appended.push(id);
      const page = pageOf(res, `step ${step}`);
      seen.push(...page.ids);
      if (!page.has_more) return { appended, seen };
      after = page.last_id ?? undefined;
    }
  }

  it('an asc walk with one writer sees every message once, in creation order, up to the last page', async () => {
    const { threadId, ids: existing } = await createThreadOfSize('openai', 120, 100, 'seq-writer');
    const { appended, seen } = await walkWhileAppending('openai', 'azure', threadId, 'asc', 9);
    const creationOrder = [...existing, ...appended];
    expect(new Set(seen).size).toBe(seen.length);
    // A prefix of the creation order, holding every pre-existing message and every append answered before the last read.
    expect(seen).toEqual(creationOrder.slice(0, seen.length));
    expect(seen.length).toBeGreaterThanOrEqual(creationOrder.length - 1);
  });

  it('a desc walk with one writer sees every pre-existing message once, newest first', async () => {
    const { threadId, ids: existing } = await createThreadOfSize('azure', 130, 100, 'desc-writer');
    const { appended, seen } = await walkWhileAppending('azure', 'openai', threadId, 'desc', 11);
    const reversed = [...existing].reverse();
    // Only the append racing the first read can show up, and only in front.
    const expected = seen[0] === appended[0] ? [appended[0], ...reversed] : reversed;
    expect(seen).toEqual(expected);
  });

  it('an asc walk with concurrent writers sees every pre-existing message exactly once', async () => {
    const { threadId, ids: existing } = await createThreadOfSize('openai', 150, 100, 'multi-writer');
    const appended: string[] = [];
    const writer = async (w: number) => {
      for (let i = 0; i < 15; i++) appended.push(await appendMessage(w % 2 === 0 ? 'openai' : 'azure', threadId, `writer ${w}.${i}`));
    };
    const walker = async () => {
      const seen: string[] = [];
      let after: string | undefined;
      for (let step = 0; ; step++) {
        expect(step).toBeLessThan(200);
        const page = pageOf(await listMessages(step % 2 === 0 ? 'openai' : 'azure', threadId, { order: 'asc', limit: 7, after }), `step ${step}`);
        seen.push(...page.ids);
        if (!page.has_more) return seen;
        after = page.last_id ?? undefined;
      }
    };
    const [seen] = await Promise.all([walker(), writer(0), writer(1), writer(2), writer(3)]);

    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.slice(0, existing.length)).toEqual(existing);
    const final = await walkAll('openai', threadId, 'asc', 50);
    expect([...final].sort()).toEqual([...existing, ...appended].sort());
    // The walk's order agrees with the final order: its ids appear in the final list in increasing positions.
    const position = new Map(final.map((id, i) => [id, i]));
    const positions = seen.map((id) => position.get(id));
    expect(positions.every((p) => p !== undefined)).toBe(true);
    expect(positions).toEqual([...positions].sort((a, b) => (a as number) - (b as number)));
  });
});
