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
