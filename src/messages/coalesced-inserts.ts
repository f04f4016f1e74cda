import { Coalescer, INSERT_COALESCING } from '../database/coalescer';
import { NOW_SECONDS as NOW, Sql, statement } from '../database/sql';

/** The rows one request adds to `messages` (messages, or conversation items), all in one thread, as column arrays of JSON texts. */
export interface RowsToInsert {
  threadId: string;
  tenantId: string;
  ids: string[];
  roles: string[];
  contents: string[];
  attachments: string[];
  metadata: string[];
  /** A conversation item stored whole (null: a message). */
  items: (string | null)[];
}

/**
 * The rows of several requests, of any threads, in one statement: each row inserted only if its thread
 * is the tenant's (looked up by key, a row at a time, whatever the plan), in the order given. The rows
 * inserted come back by thread and id: a request whose thread is not the tenant's gets none.
 */
const INSERT_MANY = statement(`
  INSERT INTO messages (thread_id, id, tenant_id, created_at, completed_at, role, content, attachments, metadata, item)
  SELECT t.id, m.id, t.tenant_id, ${NOW}, ${NOW}, m.role, m.content, m.attachments, m.metadata, m.item
  FROM unnest($1::varchar[], $2::varchar[], $3::varchar[], $4::varchar[], $5::json[], $6::json[], $7::json[], $8::json[]) WITH ORDINALITY
      AS m(thread_id, tenant_id, id, role, content, attachments, metadata, item, ord)
    CROSS JOIN LATERAL (SELECT id, tenant_id FROM threads WHERE id = m.thread_id AND tenant_id = m.tenant_id LIMIT 1) t
  ORDER BY m.ord
  RETURNING thread_id AS "threadId", id, created_at AS "createdAt"`);

/** The columns of a request's rows without their thread: what a thread created with them takes. */
export type RowColumns = Omit<RowsToInsert, 'threadId' | 'tenantId'>;

/** About how many bytes the values of some rows take. */
export const sizeOf = (rows: RowColumns): number => {
  let size = 0;
  for (let i = 0; i < rows.ids.length; i++)
    size += rows.contents[i].length + rows.attachments[i].length + rows.metadata[i].length + (rows.items[i]?.length ?? 0);
  return size;
};

const keyOf = (threadId: string, id: string): string => `${threadId}\n${id}`;

/** Appends each of `rows` to the column arrays `columns`: `prefix` first (the same for every row), then the row's own columns. */
export function appendRows(columns: (string | null)[][], prefix: readonly string[], rows: RowColumns): void {
  for (let i = 0; i < rows.ids.length; i++) {
    let c = 0;
    for (const value of prefix) columns[c++].push(value);
    columns[c++].push(rows.ids[i]);
    columns[c++].push(rows.roles[i]);
    columns[c++].push(rows.contents[i]);
    columns[c++].push(rows.attachments[i]);
    columns[c++].push(rows.metadata[i]);
    columns[c].push(rows.items[i]);
  }
}

function valuesOf(requests: RowsToInsert[]): unknown[] {
  const columns: (string | null)[][] = [[], [], [], [], [], [], [], []];
  for (const rows of requests) appendRows(columns, [rows.threadId, rows.tenantId], rows);
  return columns;
}

/**
 * A repository's inserts into `messages` made outside a transaction with no files to check, coalesced
 * (database/coalescer.ts): under load, the requests that wait go together as one statement (one round
 * trip, one commit); a request alone is sent at once through `alone`, the repository's own statement.
 * Each answers the time its rows were created, or null: no such thread for the tenant.
 */
export function coalescedInserts(sql: Sql, alone: (rows: RowsToInsert) => Promise<number | null>): Coalescer<RowsToInsert, number | null> {
  return new Coalescer<RowsToInsert, number | null>({
    ...INSERT_COALESCING,
    sizeOf,
    one: alone,
    many: async (requests) => {
      const rows = await sql.rows<{ threadId: string; id: string; createdAt: number }>(INSERT_MANY, valuesOf(requests));
      const created = new Map(rows.map((row) => [keyOf(row.threadId, row.id), Number(row.createdAt)]));
      return requests.map((request) => created.get(keyOf(request.threadId, request.ids[0])) ?? null);
    },
  });
}
