import type { PoolClient } from 'pg';
import { planKeyset } from '../src/common/pagination/keyset';
import { listMessagesQuery } from '../src/messages/messages.repository';
import { HitPosition, RANK_WINDOW, searchMessagesQuery } from '../src/messages/tenant-search';
import { searchTerms } from '../src/messages/search-query';
import { bearer, KEY_A, startTestApp, TestApp } from './support/test-app';
import { buffersOf, explain, nodes, PlanNode, staleThreads } from './support/query-plan';

/**
 * The query plans of the two searches on a large table: `GET /messages/search` (the tenant's threads) and
 * `GET /threads/{id}/messages?query=` (one thread). First with stale statistics (bulk loaded, never analysed:
 * a restore or an import before autovacuum comes by), then analysed. The tenant-wide search finds its matches
 * through the GIN index on `search_vector` or walks the tenant's messages newest first (`messages_tenant_seq_idx`)
 * until it has a window of them, whatever the words and the statistics: no other index. Analysed, a rare word
 * reads a few buffers and a common one a window's worth; with stale statistics the walk may be taken for a rare
 * word too and read all of the tenant's messages (README, Performance: Search), so only the shapes are checked. The in-thread search may also
 * walk the thread's own index (the better way for a common word), but never reads other threads' rows: each
 * scan of `messages` is the GIN index or is entered at the thread. Deterministic checks only: plan shapes and
 * buffer counts, no timings.
 */

const TENANT = 'alpha'; // the tenant of KEY_A in the test app
const THREADS = 2000;
const MESSAGES = 240_000;
const BIG = 'thread_search_big';
const SMALL = 'thread_search_00042';
const LIMIT = 20;
const SEARCH_INDEX = 'messages_search_idx';
const TENANT_INDEX = 'messages_tenant_seq_idx';
/** Indexes whose every scan here is entered at a thread (their first column is thread_id). */
const THREAD_INDEXES = ['messages_thread_message_seq_idx', 'messages_thread_id_id_key', 'messages_thread_run_seq_idx'];
const MAX_BUFFERS = 100;

/** Every message holds `the` and three of these; `reset my password` is in 1 %, `quokka` in 0.1 %, `zebrafish` in 5. */
const WORDS = [
  'error',
  'order',
  'build',
  'config',
  'confirm',
  'invoice',
  'meeting',
  'report',
  'server',
  'deploy',
  'budget',
  'refund',
  'weather',
  'ticket',
  'review',
  'release',
  'backup',
  'restore',
  'login',
  'token',
  'access',
  'invite',
  'archive',
  'filter',
  'export',
  'import',
  'upload',
  'download',
  'payment',
  'delivery',
  'schedule',
  'calendar',
  'reminder',
  'summary',
  'draft',
  'version',
  'search',
];

/** The searches, from the rarest to a word in every message. */
const QUERIES = ['zebrafish', 'quokka', '"reset my password"', 'conf*', 'quokka -error', 'error', 'the'];
/** Pages after a hit: in the newest window, in an older one, in the last one. */
const AFTER: [string, string, HitPosition][] = [
  ['error', 'the newest', { rank: '0.0607927', seq: 239_000, oldest: 230_000, newest: null }],
  ['the', 'an older', { rank: '0.0607927', seq: 120_000, oldest: 119_000, newest: 121_000 }],
  ['quokka', 'the last', { rank: '0.0607927', seq: 120_000, oldest: 0, newest: 200_000 }],
];
/** In 5 messages of 240,000, and in 240 (80 of them in the big thread). */
const RARE = ['zebrafish', 'quokka'];
const RAREST = 'zebrafish';

let t: TestApp;
let primaryKey: string;
let client: PoolClient;

/** How each node reads `messages`: its kind, and its index (a bitmap heap scan is described by its bitmap's indexes). */
function messageReads(plan: PlanNode): { node: string; index?: string; cond?: string }[] {
  const all = nodes(plan);
  const indexNames = new Set([SEARCH_INDEX, TENANT_INDEX, primaryKey, ...THREAD_INDEXES]);
  return all
    .filter((n) => n['Relation Name'] === 'messages' || (n['Index Name'] !== undefined && indexNames.has(n['Index Name'])))
    .filter((n) => n['Node Type'] !== 'Bitmap Heap Scan')
    .map((n) => ({ node: n['Node Type'], index: n['Index Name'], cond: n['Index Cond'] }));
}

function tenantSearch(query: string, after?: HitPosition) {
  const { statement, params } = searchMessagesQuery({ tenant: TENANT, search: searchTerms(query), limit: LIMIT, after });
  return { statement, params };
}

function threadSearch(threadId: string, query: string, order: 'asc' | 'desc' = 'desc') {
  return listMessagesQuery({ order, plan: planKeyset(order, 'none', LIMIT), threadId, tenant: TENANT, search: searchTerms(query) });
}

const explainSearch = (sql: string, params: unknown[], analyze = false): Promise<PlanNode> => explain(client, sql, params, analyze ? 'ANALYZE, BUFFERS' : '');

/** The tenant-wide search: its matches come from the GIN index or the tenant's own index; the rows of the page by primary key. */
function expectTenantPlan(plan: PlanNode, context: string): void {
  const reads = messageReads(plan);
  const bad = reads.filter((r) => !(r.index === SEARCH_INDEX || r.index === TENANT_INDEX || r.index === primaryKey));
  expect({ context, readsNotByTheSearchIndexesOrKey: bad }).toEqual({ context, readsNotByTheSearchIndexesOrKey: [] });
}

/** The in-thread search: each read of messages is the GIN index or an index entered at the thread, never a sequential scan. */
function expectThreadPlan(plan: PlanNode, context: string): void {
  const reads = messageReads(plan);
  const bad = reads.filter((r) => {
    if (r.index === SEARCH_INDEX) return false;
    if (r.index !== undefined && [primaryKey, ...THREAD_INDEXES].includes(r.index)) return !/\bthread_id\b\)?(::[a-z ]+)? = /.test(r.cond ?? '');
    return true;
  });
  expect({ context, readsNotEnteredAtTheThread: bad }).toEqual({ context, readsNotEnteredAtTheThread: [] });
}

beforeAll(async () => {
  t = await startTestApp();
  client = await t.db.connect();
  // Stale statistics until the second part: no ANALYZE, and no autovacuum running one behind our back.
  await staleThreads(client, BIG, 'thread_search_', TENANT, THREADS);
  // Every third message in the big thread, the rest spread over the others, all interleaved on disk; one row
  // in ten of the other threads is a conversation item stored whole (no text: the searches never show it).
  await client.query(
    `INSERT INTO messages (thread_id, id, tenant_id, created_at, role, content, attachments, status, completed_at, metadata, item)
     SELECT CASE WHEN g % 3 = 0 THEN $1 ELSE 'thread_search_' || lpad((1 + g % ($3::int - 1))::text, 5, '0') END,
            'msg_search_' || lpad(g::text, 7, '0'), $2, 1700000000 + g / 1000,
            CASE WHEN g % 30 = 5 THEN 'item' WHEN g % 2 = 0 THEN 'user' ELSE 'assistant' END,
            CASE WHEN g % 30 = 5 THEN '[]'::json ELSE json_build_array(json_build_object('type', 'text', 'text', json_build_object(
              'value', 'the ' || w[1 + g % 37] || ' ' || w[1 + (g / 37) % 37] || ' ' || w[1 + (g / 1369) % 37]
                       || CASE WHEN g % 100 = 0 THEN ' please reset my password' ELSE '' END
                       || CASE WHEN g % 1000 = 1 THEN ' quokka' ELSE '' END
                       || CASE WHEN g % 50000 = 2 THEN ' zebrafish' ELSE '' END,
              'annotations', json_build_array()))) END,
            '[]', 'completed', 1700000000 + g / 1000, '{}',
            CASE WHEN g % 30 = 5 THEN json_build_object('type', 'function_call', 'call_id', 'call_' || g, 'name', 'lookup', 'arguments', '{}') END
     FROM generate_series(0, $4::int - 1) g, (SELECT $5::text[] AS w) words
     ORDER BY g`,
    [BIG, TENANT, THREADS, MESSAGES, WORDS],
  );
  const pk = await client.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_constraint con JOIN pg_class c ON c.oid = con.conindid WHERE con.conrelid = 'messages'::regclass AND con.contype = 'p'`,
  );
  primaryKey = pk.rows[0].name;
}, 180_000);

afterAll(async () => {
  client?.release();
  await t?.close();
});

describe('with stale statistics (bulk loaded, never analysed)', () => {
  it('has the intended data: 240,000 messages over 2,000 threads, 80,000 in one, some items stored whole, and no statistics', async () => {
    const { rows } = await client.query(
      `SELECT (SELECT count(*) FROM messages)::int AS messages, (SELECT count(*) FROM messages WHERE thread_id = $1)::int AS big,
              (SELECT count(*) FROM messages WHERE item IS NOT NULL)::int AS items,
              (SELECT count(*) FROM pg_stats WHERE schemaname = 'public' AND tablename = 'messages')::int AS stats,
              (SELECT reltuples FROM pg_class WHERE oid = 'messages'::regclass) AS reltuples`,
      [BIG],
    );
    expect(rows[0]).toMatchObject({ messages: MESSAGES, big: MESSAGES / 3, items: 8000, stats: 0 });
    expect(Number(rows[0].reltuples)).toBeLessThan(1000);
    const index = await client.query<{ def: string }>(`SELECT pg_get_indexdef($1::regclass) AS def`, [SEARCH_INDEX]);
    expect(index.rows[0].def).toMatch(/USING gin \(search_vector\)$/);
  });

  it.each(QUERIES)("tenant-wide search %s, planned for its words each time: the GIN index or the tenant's", async (query) => {
    const { statement, params } = tenantSearch(query);
    // Unnamed: planned for the given words every time, as the service sends it.
    expect(statement.name).toBeUndefined();
    expectTenantPlan(await explainSearch(statement.text, params), query);
  });

  it.each(AFTER)("tenant-wide search %s, the page after a hit (%s window): the GIN index or the tenant's too", async (query, _which, after) => {
    const { statement, params } = tenantSearch(query, after);
    expectTenantPlan(await explainSearch(statement.text, params), `${query} after ${JSON.stringify(after)}`);
  });

  it.each(QUERIES)('in-thread search %s, planned for its words each time: entered at the thread or through the GIN index', async (query) => {
    for (const threadId of [BIG, SMALL]) {
      for (const order of ['asc', 'desc'] as const) {
        const { statement, params } = threadSearch(threadId, query, order);
        // Unnamed: planned for the given words every time, as the service sends it.
        expect(statement.name).toBeUndefined();
        expectThreadPlan(await explainSearch(statement.text, params), `${threadId} ${order} ${query}`);
      }
    }
  });
});

describe('the searches through the API on the large table', () => {
  it('tenant-wide: every match of a rare word, best first, only messages the Assistants API shows', async () => {
    const expected = await client.query<{ id: string }>(`SELECT id FROM messages WHERE item IS NULL AND content::text LIKE '%zebrafish%' ORDER BY seq DESC`);
    const res = await t.http.get('/v1/messages/search').set(bearer(KEY_A)).query({ query: 'zebrafish' });
    expect(res.status).toBe(200);
    expect(res.body.data.map((hit: { message: { id: string } }) => hit.message.id)).toEqual(expected.rows.map((r) => r.id));
    expect(expected.rows.length).toBe(5);
    // A search that only excludes matches every row without the word, items stored whole among them: none is shown.
    const excluded = await t.http.get('/v1/messages/search').set(bearer(KEY_A)).query({ query: '-the', limit: '5' });
    expect(excluded.status).toBe(200);
    expect(excluded.body.data).toEqual([]);
  });

  it('in-thread: the matches of the big thread, newest first', async () => {
    const expected = await client.query<{ id: string }>(
      `SELECT id FROM messages WHERE thread_id = $1 AND content::text LIKE '%quokka%' ORDER BY seq DESC LIMIT ${LIMIT}`,
      [BIG],
    );
    const res = await t.http.get(`/v1/threads/${BIG}/messages`).set(bearer(KEY_A)).query({ query: 'quokka' });
    expect(res.status).toBe(200);
    expect(res.body.data.map((m: { id: string }) => m.id)).toEqual(expected.rows.map((r) => r.id));
    expect(res.body.has_more).toBe(true);
  });
});

describe('after VACUUM (ANALYZE), as autovacuum leaves the table', () => {
  beforeAll(async () => {
    await client.query('VACUUM (ANALYZE) threads, messages');
  }, 120_000);

  it.each(QUERIES)("tenant-wide search %s: the GIN index or the tenant's", async (query) => {
    const { statement, params } = tenantSearch(query);
    expectTenantPlan(await explainSearch(statement.text, params), query);
  });

  it.each(AFTER)("tenant-wide search %s, the page after a hit (%s window): the GIN index or the tenant's", async (query, _which, after) => {
    const { statement, params } = tenantSearch(query, after);
    expectTenantPlan(await explainSearch(statement.text, params), `${query} after ${JSON.stringify(after)}`);
  });

  const tablePages = async (): Promise<number> =>
    Number((await client.query<{ pages: string }>(`SELECT pg_relation_size('messages') / 8192 AS pages`)).rows[0].pages);

  it.each(QUERIES)('tenant-wide search %s reads its matches or a window of them, not the table', async (query) => {
    const pages = await tablePages();
    const { statement, params } = tenantSearch(query);
    const buffers = buffersOf(await explainSearch(statement.text, params, true));
    // The phrase, in 1 % of the messages, is read match by match from the GIN index: 2,400 rows, a page each.
    expect({ query, buffersBelowLimit: buffers < pages / 3, buffers }).toEqual({ query, buffersBelowLimit: true, buffers });
  });

  it('tenant-wide search for a word in every message reads a window of the newest messages', async () => {
    const pages = await tablePages();
    const { statement, params } = tenantSearch('the');
    const buffers = buffersOf(await explainSearch(statement.text, params, true));
    const window = Math.ceil((2 * RANK_WINDOW * pages) / MESSAGES) + MAX_BUFFERS;
    expect({ buffersBelowLimit: buffers < window, buffers, window }).toEqual({ buffersBelowLimit: true, buffers, window });
  });

  it.each(QUERIES)('in-thread search %s: entered at the thread or through the GIN index', async (query) => {
    for (const threadId of [BIG, SMALL]) {
      const { statement, params } = threadSearch(threadId, query);
      expectThreadPlan(await explainSearch(statement.text, params), `${threadId} ${query}`);
    }
  });

  it.each(RARE)('in-thread search for a rare word (%s) in the big thread: the GIN index', async (query) => {
    const { statement, params } = threadSearch(BIG, query);
    const plan = await explainSearch(statement.text, params);
    expect({ query, searchIndex: messageReads(plan).some((r) => r.index === SEARCH_INDEX) }).toEqual({ query, searchIndex: true });
  });

  it('in-thread search for the rarest word in the big thread reads a few buffers, not the thread', async () => {
    const { statement, params } = threadSearch(BIG, RAREST);
    const buffers = buffersOf(await explainSearch(statement.text, params, true));
    expect({ buffersBelowLimit: buffers < MAX_BUFFERS, buffers }).toEqual({ buffersBelowLimit: true, buffers });
  });

  it.each(['error', 'the'])('in-thread search for a common word (%s) in the big thread: a page of the thread, a few buffers', async (query) => {
    const { statement, params } = threadSearch(BIG, query);
    const buffers = buffersOf(await explainSearch(statement.text, params, true));
    expect({ query, buffersBelowLimit: buffers < MAX_BUFFERS, buffers }).toEqual({ query, buffersBelowLimit: true, buffers });
  });

  it('tenant-wide search for a rare word reads a few buffers', async () => {
    const { statement, params } = tenantSearch(RAREST);
    const buffers = buffersOf(await explainSearch(statement.text, params, true));
    expect({ buffersBelowLimit: buffers < MAX_BUFFERS, buffers }).toEqual({ buffersBelowLimit: true, buffers });
  });
});
