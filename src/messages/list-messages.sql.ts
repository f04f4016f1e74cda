import { KeysetPlan } from '../common/pagination/keyset';
import { SortOrder } from '../common/pagination/list-query.dto';
import { messageColumns } from './message.columns';

export interface ListMessagesSqlInput {
  order: SortOrder;
  plan: KeysetPlan;
  threadId: string;
  tenant: string;
  after?: string;
  before?: string;
  runId?: string;
}

/**
 * One round trip: the thread's ownership, the cursors' order keys and `limit + 1` messages.
 * The ORDER BY names (thread_id, seq) so that only that index can supply the order, whatever
 * the planner's statistics say. With no thread the query returns no row; with a thread and no
 * message, one row whose message columns are null.
 */
/** The text of each variant, built once: the same string every time, so its prepared statement is found at once. */
const variants = new Map<string, string>();

export function listMessagesSql(input: ListMessagesSqlInput): { sql: string; params: unknown[] } {
  const params: unknown[] = [input.threadId, input.tenant];
  if (input.after !== undefined) params.push(input.after);
  if (input.before !== undefined) params.push(input.before);
  if (input.runId !== undefined) params.push(input.runId);
  params.push(input.plan.limit + 1);
  const key = `${input.order} ${input.plan.ascending} ${input.after !== undefined} ${input.before !== undefined} ${input.runId !== undefined}`;
  let sql = variants.get(key);
  if (sql === undefined) {
    sql = variantSql(input.order, input.plan.ascending, input.after !== undefined, input.before !== undefined, input.runId !== undefined);
    variants.set(key, sql);
  }
  return { sql, params };
}

function variantSql(order: SortOrder, ascending: boolean, after: boolean, before: boolean, runId: boolean): string {
  let next = 3;
  const joins: string[] = [];
  const where: string[] = ['m.thread_id = $1'];
  const towardAfter = order === 'asc' ? '>' : '<';
  const towardBefore = order === 'asc' ? '<' : '>';
  let afterSeq = 'NULL::bigint';
  let beforeSeq = 'NULL::bigint';
  if (after) {
    joins.push(`LEFT JOIN messages a ON a.thread_id = t.id AND a.id = $${next++}`);
    where.push(`m.seq ${towardAfter} a.seq`);
    afterSeq = 'a.seq';
  }
  if (before) {
    joins.push(`LEFT JOIN messages b ON b.thread_id = t.id AND b.id = $${next++}`);
    where.push(`m.seq ${towardBefore} b.seq`);
    beforeSeq = 'b.seq';
  }
  if (runId) where.push(`m.run_id = $${next++}`);
  const direction = ascending ? 'ASC' : 'DESC';
  return `
    SELECT t.id AS "threadFound", ${afterSeq} AS "afterSeq", ${beforeSeq} AS "beforeSeq", page.*
    FROM threads t
    ${joins.join('\n    ')}
    LEFT JOIN LATERAL (
      SELECT ${messageColumns('m')}
      FROM messages m
      WHERE ${where.join(' AND ')}
      ORDER BY m.thread_id ${direction}, m.seq ${direction}
      LIMIT $${next}
    ) page ON true
    WHERE t.id = $1 AND t.tenant_id = $2`;
}
