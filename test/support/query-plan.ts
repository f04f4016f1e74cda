import type { PoolClient } from 'pg';

/** One node of PostgreSQL's `EXPLAIN (FORMAT JSON)` plan, with the fields the plan tests read. */
export interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  Alias?: string;
  'Index Name'?: string;
  'Index Cond'?: string;
  'Shared Hit Blocks'?: number;
  'Shared Read Blocks'?: number;
  'Actual Rows'?: number;
  Plans?: PlanNode[];
}

/** The node and all below it, depth first. */
export const nodes = (plan: PlanNode): PlanNode[] => [plan, ...(plan.Plans ?? []).flatMap(nodes)];

/** The plan of a statement; `options` as EXPLAIN takes them (`ANALYZE, BUFFERS`), FORMAT JSON added. */
export async function explain(client: PoolClient, sql: string, params: unknown[] = [], options = ''): Promise<PlanNode> {
  const { rows } = await client.query(`EXPLAIN (${options ? `${options}, ` : ''}FORMAT JSON) ${sql}`, params);
  return rows[0]['QUERY PLAN'][0].Plan as PlanNode;
}

/** The buffers a plan run with `ANALYZE, BUFFERS` touched. */
export const buffersOf = (plan: PlanNode): number => (plan['Shared Hit Blocks'] ?? 0) + (plan['Shared Read Blocks'] ?? 0);

/**
 * The plans of a statement prepared as a pooled connection runs it: the cached one after six runs (when
 * the plan cache may have switched to a generic plan), then the generic one, forced.
 */
export async function preparedPlans(client: PoolClient, sql: string, params: unknown[]): Promise<{ cached: PlanNode; generic: PlanNode }> {
  const args = params.map((p) => (typeof p === 'number' ? String(p) : client.escapeLiteral(String(p)))).join(', ');
  await client.query(`PREPARE plan_probe AS ${sql}`);
  try {
    for (let i = 0; i < 6; i++) await client.query(`EXECUTE plan_probe(${args})`);
    const cached = await explain(client, `EXECUTE plan_probe(${args})`);
    await client.query(`SET plan_cache_mode = force_generic_plan`);
    const generic = await explain(client, `EXECUTE plan_probe(${args})`);
    return { cached, generic };
  } finally {
    await client.query(`RESET plan_cache_mode`);
    await client.query(`DEALLOCATE plan_probe`);
  }
}

/**
 * Bulk-loaded threads whose statistics stay stale (no ANALYZE, autovacuum off on threads and messages):
 * `big` first, then `${prefix}00001` on, one second apart, all the tenant's.
 */
export async function staleThreads(client: PoolClient, big: string, prefix: string, tenant: string, count: number): Promise<void> {
  await client.query(`ALTER TABLE messages SET (autovacuum_enabled = false)`);
  await client.query(`ALTER TABLE threads SET (autovacuum_enabled = false)`);
  await client.query(
    `INSERT INTO threads (id, tenant_id, created_at, metadata, tool_resources)
     SELECT CASE WHEN g = 0 THEN $1 ELSE $2 || lpad(g::text, 5, '0') END, $3, 1700000000 + g, '{}', '{}'
     FROM generate_series(0, $4::int - 1) g`,
    [big, prefix, tenant, count],
  );
}
