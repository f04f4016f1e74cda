import type { Response, Test } from 'supertest';
import { expectErrorEnvelope } from './support/envelope';
import { modelPage, Order, PageQuery } from './support/pagination-model';
import { replayCommand, SeededRandom, seedsFor } from './support/seeded-random';
import { bearer, KEY_A, KEY_B, snapshot, startTestApp, TestApp } from './support/test-app';

/**
 * GET /threads, our extension: the tenant's threads in (created_at, id) order, keyset-paginated
 * as messages are (checked against the same model), filtered by metadata and creation time.
 */

type Dialect = 'openai' | 'azure';
const AZURE_VERSION = '2024-08-01-preview';
const SEEDS = seedsFor('THREAD_LIST_SEED', [90417, 3141592]);
const TENANT = 'alpha';
const COUNT = 37;

let t: TestApp;
/** Tenant alpha's threads in ascending (created_at, id): the model's creation order. */
let ordered: string[];

function list(dialect: Dialect, query: Record<string, string>, key = KEY_A): Test {
  const req =
    dialect === 'azure'
      ? t.http.get('/openai/threads').set('api-key', key).query({ 'api-version': AZURE_VERSION })
      : t.http.get('/v1/threads').set(bearer(key));
  return req.query(query);
}

const ids = (res: Response): string[] => res.body.data.map((thread: { id: string }) => thread.id);

beforeAll(async () => {
  console.log(
    `thread list seeds: ${SEEDS.join(', ')} (replay one: ${replayCommand('THREAD_LIST_SEED', SEEDS[SEEDS.length - 1], 'test/list-threads.e2e-spec.ts')})`,
  );
  t = await startTestApp();
  // Several threads share a second: the id breaks the tie. Metadata: colour by i % 3, size by i % 2.
  await t.db.query(
    `INSERT INTO threads (id, tenant_id, created_at, metadata, tool_resources)
     SELECT 'thread_list_' || lpad(g::text, 3, '0'), $1, 1700000000 + (g * 7) % 11,
            json_build_object('colour', (ARRAY['red', 'green', 'blue'])[1 + g % 3], 'size', CASE WHEN g % 2 = 0 THEN 'even' ELSE 'odd' END), '{}'
     FROM generate_series(0, $2::int - 1) g`,
    [TENANT, COUNT],
  );
  await t.db.query(
    `INSERT INTO threads (id, tenant_id, created_at, metadata, tool_resources) VALUES ('thread_other_tenant', 'beta', 1700000005, '{"colour":"red"}', '{}')`,
  );
  const { rows } = await t.db.query<{ id: string }>(`SELECT id FROM threads WHERE tenant_id = $1 ORDER BY created_at, id`, [TENANT]);
  ordered = rows.map((r) => r.id);
});

afterAll(async () => {
  await t?.close();
});

describe('GET /threads', () => {
  it('lists the tenant’s threads newest first in the list envelope, in both dialects and shapes', async () => {
    for (const dialect of ['openai', 'azure'] as const) {
      const res = await list(dialect, {});
      expect(res.status).toBe(200);
      expect(Object.keys(res.body).sort()).toEqual(['data', 'first_id', 'has_more', 'last_id', 'object']);
      expect(res.body.object).toBe('list');
      expect(ids(res)).toEqual([...ordered].reverse().slice(0, 20));
      expect(res.body.has_more).toBe(true);
      expect(res.body.data[0]).toEqual({
        id: ordered[COUNT - 1],
        object: 'thread',
        created_at: expect.any(Number),
        tool_resources: {},
        metadata: expect.any(Object),
      });
    }
    const v1 = await t.http.get('/openai/threads').set('api-key', KEY_A).query({ 'api-version': '2024-02-15-preview', limit: '1' });
    expect(v1.status).toBe(200);
    expect(Object.keys(v1.body.data[0]).sort()).toEqual(['created_at', 'id', 'metadata', 'object']);
  });

  it('never shows another tenant’s threads, nor accepts one as a cursor', async () => {
    const beta = await list('openai', { limit: '100' }, KEY_B);
    expect(ids(beta)).toEqual(['thread_other_tenant']);
    const alpha = await list('openai', { limit: '100' });
    expect(ids(alpha)).not.toContain('thread_other_tenant');
    expect(ids(alpha)).toHaveLength(COUNT);
    const cursor = await list('openai', { after: 'thread_other_tenant' });
    expectErrorEnvelope(cursor, 400);
    expect(cursor.body.error).toMatchObject({ param: 'after', code: 'invalid_cursor' });
  });

  it.each(SEEDS)('pages like the model for random limits, orders and cursors (seed %i)', async (seed) => {
    const random = new SeededRandom(seed);
    for (let i = 0; i < 40; i++) {
      const query: PageQuery = { limit: random.range(1, 12), order: random.chance(0.5) ? 'asc' : ('desc' as Order) };
      const cursor = random.int(4);
      if (cursor === 1 || cursor === 3) query.after = ordered[random.int(COUNT)];
      if (cursor === 2 || cursor === 3) query.before = ordered[random.int(COUNT)];
      const expected = modelPage(ordered, query);
      const q: Record<string, string> = { limit: String(query.limit), order: query.order as string };
      if (query.after) q.after = query.after;
      if (query.before) q.before = query.before;
      const res = await list(random.chance(0.5) ? 'openai' : 'azure', q);
      if (!expected.ok) throw new Error('the model rejected a cursor of the list');
      expect({
        seed,
        i,
        query,
        status: res.status,
        ids: ids(res),
        has_more: res.body.has_more,
        first_id: res.body.first_id,
        last_id: res.body.last_id,
      }).toEqual({
        seed,
        i,
        query,
        status: 200,
        ids: expected.page.ids,
        has_more: expected.page.has_more,
        first_id: expected.page.first_id,
        last_id: expected.page.last_id,
      });
    }
  });

  it('walks the whole list with after and back with before, in both orders', async () => {
    for (const order of ['asc', 'desc'] as const) {
      const seen: string[] = [];
      let after: string | undefined;
      for (;;) {
        const res = await list('openai', { order, limit: '5', ...(after ? { after } : {}) });
        seen.push(...ids(res));
        if (!res.body.has_more) break;
        after = res.body.last_id;
      }
      expect(seen).toEqual(order === 'asc' ? ordered : [...ordered].reverse());
      const back: string[] = [];
      let before: string | undefined = seen[seen.length - 1];
      back.push(before);
      for (;;) {
        const res = await list('openai', { order, limit: '6', before: before as string });
        back.unshift(...ids(res));
        if (!res.body.has_more) break;
        before = res.body.first_id;
      }
      expect(back).toEqual(seen);
    }
  });

  it('filters by metadata[key]=value (every pair must match) and by creation time', async () => {
    const { rows } = await t.db.query<{ id: string; metadata: Record<string, string>; created_at: number }>(
      `SELECT id, metadata, created_at FROM threads WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC`,
      [TENANT],
    );
    const expectIds = (res: Response, keep: (row: (typeof rows)[number]) => boolean) => {
      expect(res.status).toBe(200);
      expect(ids(res)).toEqual(rows.filter(keep).map((r) => r.id));
      expect(ids(res).length).toBeGreaterThan(0);
    };
    expectIds(await list('openai', { limit: '100', 'metadata[colour]': 'red' }), (r) => r.metadata.colour === 'red');
    expectIds(
      await list('azure', { limit: '100', 'metadata[colour]': 'red', 'metadata[size]': 'odd' }),
      (r) => r.metadata.colour === 'red' && r.metadata.size === 'odd',
    );
    expectIds(await list('openai', { limit: '100', created_after: '1700000004' }), (r) => Number(r.created_at) > 1700000004);
    expectIds(await list('openai', { limit: '100', created_before: '1700000004', created_after: '1700000001', 'metadata[size]': 'even' }), (r) => {
      const at = Number(r.created_at);
      return at < 1700000004 && at > 1700000001 && r.metadata.size === 'even';
    });
    const none = await list('openai', { 'metadata[colour]': 'purple' });
    expect({ status: none.status, data: none.body.data, first_id: none.body.first_id, has_more: none.body.has_more }).toEqual({
      status: 200,
      data: [],
      first_id: null,
      has_more: false,
    });
    // A filtered walk pages through the filtered list only.
    const first = await list('openai', { limit: '3', order: 'asc', 'metadata[colour]': 'blue' });
    const second = await list('openai', { limit: '3', order: 'asc', 'metadata[colour]': 'blue', after: first.body.last_id });
    const blue = rows
      .filter((r) => r.metadata.colour === 'blue')
      .map((r) => r.id)
      .reverse();
    expect([...ids(first), ...ids(second)]).toEqual(blue.slice(0, 6));
  });

  it('answers bad parameters with a 400 in the envelope, naming the parameter, and stores nothing', async () => {
    const before = await snapshot(t.db);
    const cases: [Record<string, string>, string][] = [
      [{ limit: '0' }, 'limit'],
      [{ limit: 'many' }, 'limit'],
      [{ order: 'up' }, 'order'],
      [{ after: 'thread_nope' }, 'after'],
      [{ before: 'thread_nope' }, 'before'],
      [{ created_after: 'yesterday' }, 'created_after'],
      [{ created_before: '-1' }, 'created_before'],
      [{ [`metadata[${'k'.repeat(65)}]`]: 'v' }, 'metadata'],
      [{ 'metadata[a]': 'x'.repeat(513) }, 'metadata.a'],
      [{ metadata: 'red' }, 'metadata'],
      [{ colour: 'red' }, 'colour'],
      [{ 'metadata[constructor]': 'x' }, 'metadata.constructor'],
      [{ 'metadata[__proto__]': 'x' }, 'metadata.__proto__'],
      [{ 'metadata[prototype]': 'x' }, 'metadata.prototype'],
      [{ 'metadata[colour]': 'r\u0000d' }, 'metadata.colour'],
      [{ 'metadata[c\u0000]': 'red' }, 'metadata'],
    ];
    for (const [query, param] of cases) {
      const res = await list('openai', query);
      expectErrorEnvelope(res, 400);
      expect({ query, param: res.body.error.param }).toEqual({ query, param });
    }
    const proto = await t.http.get('/v1/threads?__proto__=x').set(bearer(KEY_A));
    expectErrorEnvelope(proto, 400);
    expect(proto.body.error.param).toBe('__proto__');
    expect(await snapshot(t.db)).toBe(before);
  });

  it('a thread whose metadata holds a NUL character (stored before it was refused) matches no filter and breaks none', async () => {
    await t.db.query(
      `INSERT INTO threads (id, tenant_id, created_at, metadata, tool_resources) VALUES ('thread_nul', $1, 1700000003, '{"colour":"red","n":"a\\u0000b"}', '{}')`,
      [TENANT],
    );
    try {
      const res = await list('openai', { 'metadata[colour]': 'red', limit: '100' });
      expect(res.status).toBe(200);
      expect(ids(res)).toEqual(ordered.filter((id) => Number(id.slice(-3)) % 3 === 0).reverse());
      expect(ids(await list('openai', { limit: '100' }))).toContain('thread_nul');
    } finally {
      await t.db.query(`DELETE FROM threads WHERE id = 'thread_nul'`);
    }
  });

  it('needs a key like every route, and leaves the other thread routes as they were', async () => {
    expect((await t.http.get('/v1/threads')).status).toBe(401);
    expect((await t.http.get('/openai/threads').set('api-key', KEY_A)).status).toBe(400);
    const created = await t.http
      .post('/v1/threads')
      .set(bearer(KEY_A))
      .send({ metadata: { colour: 'new' } });
    expect(created.status).toBe(200);
    const retrieved = await t.http.get(`/v1/threads/${created.body.id}`).set(bearer(KEY_A));
    expect(retrieved.body).toEqual(created.body);
    const listed = await list('openai', { 'metadata[colour]': 'new' });
    expect(listed.body.data).toEqual([created.body]);
  });
});
