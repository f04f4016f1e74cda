import type { PoolClient } from 'pg';
import { planKeyset } from '../src/common/pagination/keyset';
import { listThreadsQuery } from '../src/threads/threads.repository';
import { buffersOf, explain, nodes, preparedPlans } from './support/query-plan';
import { startTestApp, TestApp } from './support/test-app';

/**
 * The plan of the thread list on a bulk-loaded table with stale statistics: a page comes from the
 * (tenant_id, created_at, id) index, entered at the tenant (and the cursor), for a tenant with
 * 200,000 threads as for one with 10. Deterministic checks only: plan shapes and buffer counts.
 */

const BIG = 'big-tenant';
const SMALL = 'small-tenant';
const BIG_SIZE = 200_000;
const LIMIT = 20;
const MAX_PAGE_BUFFERS = 40;

let t: TestApp;
let client: PoolClient;
const idsOf = new Map<string, string[]>();

function serviceSql(tenant: string, order: 'asc' | 'desc', cursor: 'none' | 'after' | 'before', filtered: boolean) {
  const ids = idsOf.get(tenant) as string[];
  const at = ids[Math.floor(ids.length / 2)];
  const { statement, params } = listThreadsQuery({
    tenant,
    order,
    plan: planKeyset(order, cursor, LIMIT),
    after: cursor === 'after' ? at : undefined,
    before: cursor === 'before' ? at : undefined,
    createdAfter: filtered ? 1700000000 : undefined,
  });
  return { sql: statement.text, params };
}

beforeAll(async () => {
  t = await startTestApp();
  client = await t.db.connect();
  await client.query(`ALTER TABLE threads SET (autovacuum_enabled = false)`);
  // Interleaved on disk: the small tenant's threads lie among the big one's.
  await client.query(
    `INSERT INTO threads (id, tenant_id, created_at, metadata, tool_resources)
     SELECT 'thread_p' || lpad(g::text, 7, '0'), CASE WHEN g % 20000 = 7 AND g < $3::int THEN $2 ELSE $1 END, 1700000000 + g / 3, '{}', '{}'
     FROM generate_series(0, $3::int + 9) g`,
    [BIG, SMALL, BIG_SIZE],
  );
  for (const tenant of [BIG, SMALL]) {
    const { rows } = await client.query<{ id: string }>(`SELECT id FROM threads WHERE tenant_id = $1 ORDER BY created_at, id`, [tenant]);
    idsOf.set(
      tenant,
      rows.map((r) => r.id),
    );
  }
}, 120_000);

afterAll(async () => {
  client?.release();
  await t?.close();
});

const combos = (['asc', 'desc'] as const).flatMap((order) => (['none', 'after', 'before'] as const).map((cursor) => ({ order, cursor })));

describe('thread list plan', () => {
  it('has the intended data and no statistics', async () => {
    expect(idsOf.get(BIG)).toHaveLength(BIG_SIZE);
    expect(idsOf.get(SMALL)).toHaveLength(10);
    const { rows } = await client.query(`SELECT count(*)::int AS stats FROM pg_stats WHERE schemaname = 'public' AND tablename = 'threads'`);
    expect(rows[0].stats).toBe(0);
  });

  it.each(combos)('$order, cursor $cursor: an index scan of the list index entered at the tenant, no sort, few buffers', async ({ order, cursor }) => {
    for (const tenant of [BIG, SMALL]) {
      // A creation-time bound takes the place of a cursor (a range between two bounds is the README's caveat).
      for (const filtered of cursor === 'none' ? [false, true] : [false]) {
        const { sql, params } = serviceSql(tenant, order, cursor, filtered);
        const context = `${tenant} ${order} ${cursor} ${filtered}`;
        const plan = await explain(client, sql, params, 'ANALYZE, BUFFERS');
        const page = nodes(plan).filter((n) => n['Relation Name'] === 'threads' && n.Alias === 't');
        expect({ context, scans: page.map((n) => [n['Node Type'].replace('Index Only Scan', 'Index Scan'), n['Index Name']]) }).toEqual({
          context,
          scans: [['Index Scan', 'threads_tenant_created_idx']],
        });
        const cond = page[0]['Index Cond'] ?? '';
        expect({
          context,
          tenantCond: /tenant_id\)?(::text)? = /.test(cond),
          cursorCond: /ROW\(created_at, \(?id\)?(::text)?\) [<>] ROW\(/.test(cond),
        }).toEqual({
          context,
          tenantCond: true,
          cursorCond: cursor !== 'none' || filtered,
        });
        expect({ context, sorts: nodes(plan).filter((n) => /Sort/.test(n['Node Type'])).length }).toEqual({ context, sorts: 0 });
        const buffers = buffersOf(plan);
        expect({ context, few: buffers < MAX_PAGE_BUFFERS, buffers }).toEqual({ context, few: true, buffers });
      }
    }
  });

  it('the prepared statement keeps the plan when the cache switches to a generic one', async () => {
    const { sql, params } = serviceSql(BIG, 'desc', 'after', false);
    const { generic } = await preparedPlans(client, sql, params);
    const scans = nodes(generic).filter((n) => n['Relation Name'] === 'threads' && n.Alias === 't');
    expect(scans.map((n) => n['Index Name'])).toEqual(['threads_tenant_created_idx']);
  });
});
