import type { PoolClient } from 'pg';
import { planKeyset } from '../src/common/pagination/keyset';
import { SortOrder } from '../src/common/pagination/list-query.dto';
import { listItemsQuery } from '../src/conversations/conversation-items.repository';
import { listMessagesQuery } from '../src/messages/messages.repository';
import { buffersOf, explain, nodes, PlanNode, preparedPlans, staleThreads } from './support/query-plan';
import { bearer, KEY_A, startTestApp, TestApp } from './support/test-app';

/**
 * The query plan of the messages list on a large table whose statistics are stale (bulk loaded,
 * never analysed): the page must come from the (thread_id, seq) primary key, not from a sort or a
 * scan of other threads' rows. Deterministic checks only: plan shapes and buffer counts, no timings.
 */

const TENANT = 'alpha'; // the tenant of KEY_A in the test app
const THREADS = 2000;
const MESSAGES = 300_000;
const BIG = 'thread_plan_big';
const SMALL = 'thread_plan_00042';
const BIG_SIZE = MESSAGES / 3;
const LIMIT = 20;
const MAX_PAGE_BUFFERS = 100;

type Cursor = 'none' | 'after' | 'before' | 'both';

let t: TestApp;
let client: PoolClient;
let primaryKey: string;
/** The keyset index of the Assistants view: (thread_id, seq) of the rows it shows (`item IS NULL`). */
const MESSAGE_KEYSET_INDEX = 'messages_thread_message_seq_idx';
/** Each thread's message ids in ascending seq, fetched once. */
const idsOf = new Map<string, string[]>();

/** The real list statement of the service for one request, with its parameters. */
function serviceSql(threadId: string, order: SortOrder, cursor: Cursor) {
  const ids = idsOf.get(threadId) as string[];
  // Cursors in the middle of the thread: deep into the big one.
  const afterId = ids[Math.floor(ids.length * 0.7)];
  const beforeId = ids[Math.floor(ids.length * 0.2)];
  const [after, before] = order === 'asc' ? [beforeId, afterId] : [afterId, beforeId];
  const plan = planKeyset(order, cursor === 'both' ? 'after' : cursor, LIMIT);
  const { statement, params } = listMessagesQuery({
    order,
    plan,
    threadId,
    tenant: TENANT,
    after: cursor === 'after' || cursor === 'both' ? after : undefined,
    before: cursor === 'before' || cursor === 'both' ? before : undefined,
  });
  return { sql: statement.text, params };
}

function expectPageFromPrimaryKey(plan: PlanNode, cursor: Cursor, context: string): void {
  const all = nodes(plan);
  const page = all.filter((n) => n['Relation Name'] === 'messages' && n.Alias === 'm');
  expect({ context, pageScans: page.length }).toEqual({ context, pageScans: 1 });
  const scan = page[0];
  expect({
    context,
    type: ['Index Scan', 'Index Only Scan'].includes(scan['Node Type']) ? 'index scan' : scan['Node Type'],
    index: scan['Index Name'],
  }).toEqual({
    context,
    type: 'index scan',
    index: MESSAGE_KEYSET_INDEX,
  });
  // The index is entered at the thread (and at the cursor's key), not filtered through.
  const cond = scan['Index Cond'] ?? '';
  expect({ context, threadCond: /\bthread_id\b\)?(::[a-z ]+)? = /.test(cond), cond }).toEqual({ context, threadCond: true, cond });
  const bounds = { after: cursor === 'after' || cursor === 'both', before: cursor === 'before' || cursor === 'both' };
  expect({ context, after: /\bseq [<>] a\.seq\b/.test(cond), before: /\bseq [<>] b\.seq\b/.test(cond), cond }).toEqual({ context, ...bounds, cond });
  const sorts = all.filter((n) => /Sort/.test(n['Node Type']));
  expect({ context, sorts: sorts.map((n) => n['Node Type']) }).toEqual({ context, sorts: [] });
  const seqScans = all.filter((n) => n['Relation Name'] === 'messages' && !/Index/.test(n['Node Type']));
  expect({ context, messageScansNotByIndex: seqScans.map((n) => `${n['Node Type']} ${n.Alias}`) }).toEqual({ context, messageScansNotByIndex: [] });
}

beforeAll(async () => {
  t = await startTestApp();
  client = await t.db.connect();
  // Keep the statistics stale for the whole file: no ANALYZE, and no autovacuum running one behind our back.
  await staleThreads(client, BIG, 'thread_plan_', TENANT, THREADS);
  // Every third row belongs to the big thread; the rest spread over the others, all interleaved on disk.
  await client.query(
    `INSERT INTO messages (thread_id, id, tenant_id, created_at, role, content, attachments, assistant_id, run_id, status,
                           incomplete_details, completed_at, incomplete_at, metadata)
     SELECT CASE WHEN g % 3 = 0 THEN $1 ELSE 'thread_plan_' || lpad((1 + g % ($3::int - 1))::text, 5, '0') END,
            'msg_plan_' || lpad(g::text, 7, '0'), $2, 1700000000 + g / 1000,
            CASE WHEN g % 2 = 0 THEN 'user' ELSE 'assistant' END,
            json_build_array(json_build_object('type', 'text', 'text', json_build_object('value', 'message ' || g, 'annotations', json_build_array()))),
            '[]', NULL, CASE WHEN g % 10 = 0 THEN 'run_' || (g / 100) END, 'completed', NULL, 1700000000 + g / 1000, NULL, '{}'
     FROM generate_series(0, $4::int - 1) g ORDER BY g`,
    [BIG, TENANT, THREADS, MESSAGES],
  );
  const pk = await client.query<{ name: string; columns: string[] }>(
    `SELECT c.relname AS name, array_agg(a.attname::text ORDER BY k.ord) AS columns
     FROM pg_constraint con JOIN pg_class c ON c.oid = con.conindid
     CROSS JOIN LATERAL unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
     JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
     WHERE con.conrelid = 'messages'::regclass AND con.contype = 'p' GROUP BY c.relname`,
  );
  expect(pk.rows).toHaveLength(1);
  expect(pk.rows[0].columns).toEqual(['thread_id', 'seq']);
  primaryKey = pk.rows[0].name;
  const keyset = await client.query<{ def: string }>(`SELECT pg_get_indexdef(indexrelid) AS def FROM pg_index WHERE indexrelid = $1::regclass`, [
    MESSAGE_KEYSET_INDEX,
  ]);
  expect(keyset.rows[0].def).toMatch(/\(thread_id, seq\) WHERE \(item IS NULL\)$/);
  for (const threadId of [BIG, SMALL]) {
    const { rows } = await client.query<{ id: string }>(`SELECT id FROM messages WHERE thread_id = $1 ORDER BY seq`, [threadId]);
    idsOf.set(
      threadId,
      rows.map((r) => r.id),
    );
  }
}, 120_000);

afterAll(async () => {
  client?.release();
  await t?.close();
});

describe('messages list plan on a bulk-loaded table with stale statistics', () => {
  it('has the intended data: 300,000 messages over 2,000 threads, 100,000 in one, and no statistics', async () => {
    const { rows } = await client.query(
      `SELECT (SELECT count(*) FROM messages)::int AS messages, (SELECT count(DISTINCT thread_id) FROM messages)::int AS threads,
              (SELECT count(*) FROM pg_stats WHERE schemaname = 'public' AND tablename = 'messages')::int AS stats,
              (SELECT reltuples FROM pg_class WHERE oid = 'messages'::regclass) AS reltuples`,
    );
    expect(rows[0]).toMatchObject({ messages: MESSAGES, threads: THREADS, stats: 0 });
    expect(Number(rows[0].reltuples)).toBeLessThan(1000);
    expect(idsOf.get(BIG)).toHaveLength(BIG_SIZE);
    expect((idsOf.get(SMALL) as string[]).length).toBeGreaterThan(2 * LIMIT);
  });

  const combos = (['asc', 'desc'] as const).flatMap((order) => (['none', 'after', 'before', 'both'] as const).map((cursor) => ({ order, cursor })));

  it.each(combos)('custom plan, $order with cursor $cursor: a primary key index scan, no sort, no seq scan', async ({ order, cursor }) => {
    for (const threadId of [BIG, SMALL]) {
      const { sql, params } = serviceSql(threadId, order, cursor);
      expectPageFromPrimaryKey(await explain(client, sql, params), cursor, `${threadId} ${order} ${cursor}`);
    }
  });

  it.each(combos)('prepared statement (as the service runs it), $order with cursor $cursor: same plan, custom or generic', async ({ order, cursor }) => {
    for (const threadId of [BIG, SMALL]) {
      const { sql, params } = serviceSql(threadId, order, cursor);
      const { cached, generic } = await preparedPlans(client, sql, params);
      expectPageFromPrimaryKey(cached, cursor, `${threadId} ${order} ${cursor} cached`);
      expectPageFromPrimaryKey(generic, cursor, `${threadId} ${order} ${cursor} generic`);
    }
  });

  it.each(combos)('reads few buffers for a page of 20, $order with cursor $cursor, deep in the big thread and in a small one', async ({ order, cursor }) => {
    for (const threadId of [BIG, SMALL]) {
      const { sql, params } = serviceSql(threadId, order, cursor);
      const plan = await explain(client, sql, params, 'ANALYZE, BUFFERS');
      const buffers = buffersOf(plan);
      const pageRows = nodes(plan).find((n) => n['Relation Name'] === 'messages' && n.Alias === 'm')?.['Actual Rows'];
      expect({ threadId, order, cursor, pageRows }).toEqual({ threadId, order, cursor, pageRows: LIMIT + 1 });
      expect({ threadId, order, cursor, buffersBelowLimit: buffers < MAX_PAGE_BUFFERS, buffers }).toEqual({
        threadId,
        order,
        cursor,
        buffersBelowLimit: true,
        buffers,
      });
    }
  });
});

describe('conversation items list plan (every row of the thread, in the same order key)', () => {
  it.each(['asc', 'desc'] as const)('%s, with and without a cursor: the primary key (thread_id, seq), entered at the thread, no sort', async (order) => {
    const ids = idsOf.get(BIG) as string[];
    for (const after of [undefined, ids[Math.floor(ids.length / 2)]]) {
      const { statement, params } = listItemsQuery({ order, plan: planKeyset(order, after ? 'after' : 'none', LIMIT), threadId: BIG, tenant: TENANT, after });
      const all = nodes(await explain(client, statement.text, params));
      const page = all.filter((n) => n['Relation Name'] === 'messages' && n.Alias === 'm');
      const context = `${order} ${after ?? 'no cursor'}`;
      expect({ context, scans: page.map((n) => [n['Node Type'], n['Index Name']]) }).toEqual({ context, scans: [['Index Scan', primaryKey]] });
      expect({ context, sorts: all.filter((n) => /Sort/.test(n['Node Type'])).length }).toEqual({ context, sorts: 0 });
    }
  });
});

describe('deep pages of the big thread through the API', () => {
  async function expected(where: string, direction: 'ASC' | 'DESC', cursorId: string): Promise<string[]> {
    const { rows } = await client.query<{ id: string }>(
      `SELECT id FROM messages WHERE thread_id = $1 AND seq ${where} (SELECT seq FROM messages WHERE thread_id = $1 AND id = $2)
       ORDER BY seq ${direction} LIMIT ${LIMIT}`,
      [BIG, cursorId],
    );
    return rows.map((r) => r.id);
  }

  it('answers the 20 messages right after a cursor 73,456 deep, in both orders and both dialects', async () => {
    const ids = idsOf.get(BIG) as string[];
    const cursorId = ids[73_456];
    const cases = [
      { order: 'asc', query: { after: cursorId }, where: '>', direction: 'ASC', reverse: false },
      { order: 'desc', query: { after: cursorId }, where: '<', direction: 'DESC', reverse: false },
      { order: 'asc', query: { before: cursorId }, where: '<', direction: 'DESC', reverse: true },
      { order: 'desc', query: { before: cursorId }, where: '>', direction: 'ASC', reverse: true },
    ] as const;
    for (const c of cases) {
      const fromSql = await expected(c.where, c.direction, cursorId);
      const want = c.reverse ? [...fromSql].reverse() : fromSql;
      expect(want).toHaveLength(LIMIT);
      const openai = await t.http
        .get(`/v1/threads/${BIG}/messages`)
        .set(bearer(KEY_A))
        .query({ ...c.query, order: c.order, limit: String(LIMIT) });
      const azure = await t.http
        .get(`/openai/threads/${BIG}/messages`)
        .set('api-key', KEY_A)
        .query({ ...c.query, order: c.order, limit: String(LIMIT), 'api-version': '2024-08-01-preview' });
      for (const res of [openai, azure]) {
        expect({ c, status: res.status }).toEqual({ c, status: 200 });
        expect({
          c,
          ids: res.body.data.map((m: { id: string }) => m.id),
          first_id: res.body.first_id,
          last_id: res.body.last_id,
          has_more: res.body.has_more,
        }).toEqual({ c, ids: want, first_id: want[0], last_id: want[LIMIT - 1], has_more: true });
      }
    }
  });

  it('lists the newest 20 of the big thread by default, and the oldest 20 in asc', async () => {
    const ids = idsOf.get(BIG) as string[];
    const byDefault = await t.http.get(`/v1/threads/${BIG}/messages`).set(bearer(KEY_A));
    expect(byDefault.status).toBe(200);
    expect(byDefault.body.data.map((m: { id: string }) => m.id)).toEqual(ids.slice(-20).reverse());
    expect(byDefault.body.has_more).toBe(true);
    const asc = await t.http.get(`/v1/threads/${BIG}/messages`).set(bearer(KEY_A)).query({ order: 'asc' });
    expect(asc.body.data.map((m: { id: string }) => m.id)).toEqual(ids.slice(0, 20));
  });
});
