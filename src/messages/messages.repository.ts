import { Injectable } from '@nestjs/common';
import { FOREIGN_KEY_VIOLATION, sqlState } from '../common/errors/pg-errors';
import { readAsRawJson } from '../common/http/raw-json';
import { KeysetPlan, takePage } from '../common/pagination/keyset';
import { SortOrder } from '../common/pagination/list-query.dto';
import { NOW_SECONDS as NOW, Queryable, Sql, Statement, statement } from '../database/sql';
import { searchQueryExpression } from '../database/text-search';
import { Coalescer } from '../database/coalescer';
import { firstMissingFile } from '../files/files.repository';
import { messageColumns } from './message-columns';
import { MessageRecord } from './message.entity';
import { coalescedInserts, RowsToInsert } from './coalesced-inserts';
import { insertedMessage, NewMessage } from './new-message';
import { SearchTerms } from './search-query';
import { SearchHitRecord, searchMessages, SearchMessagesInput } from './tenant-search';

/** The insert as one statement, ownership checked in it; only the time comes back (json columns keep their text as given). */
const INSERT = statement(`
  INSERT INTO messages (thread_id, id, tenant_id, created_at, completed_at, role, content, attachments, metadata)
  SELECT t.id, $3, t.tenant_id, ${NOW}, ${NOW}, $4, $5::json, $6::json, $7::json
  FROM threads t WHERE t.id = $1 AND t.tenant_id = $2
  RETURNING created_at AS "createdAt"`);

/** INSERT's values (INSERT_CHECKED's first ones) for a message as the coalesced inserts take it. */
const insertValues = (rows: RowsToInsert): unknown[] => [
  rows.threadId,
  rows.tenantId,
  rows.ids[0],
  rows.roles[0],
  rows.contents[0],
  rows.attachments[0],
  rows.metadata[0],
];

/**
 * The insert when the message names files: each must be a live file of the tenant, checked in the
 * same statement; otherwise nothing is inserted and the first missing one's position comes back.
 */
const INSERT_CHECKED = statement(`
  WITH missing AS (${firstMissingFile('$8', '$2')}),
  inserted AS (
    INSERT INTO messages (thread_id, id, tenant_id, created_at, completed_at, role, content, attachments, metadata)
    SELECT t.id, $3, t.tenant_id, ${NOW}, ${NOW}, $4, $5::json, $6::json, $7::json
    FROM threads t WHERE t.id = $1 AND t.tenant_id = $2 AND NOT EXISTS (SELECT 1 FROM missing)
    RETURNING created_at
  )
  SELECT t.id AS "threadFound", (SELECT ord FROM missing)::int AS "missingFile", (SELECT created_at FROM inserted) AS "createdAt"
  FROM threads t WHERE t.id = $1 AND t.tenant_id = $2`);

/** The statements whose messages are answered as read keep their json columns' text (RawJson), unparsed. */
const FIND = statement(
  `
  SELECT t.id AS "threadFound", ${messageColumns('m')}
  FROM threads t LEFT JOIN messages m ON m.thread_id = t.id AND m.id = $3 AND m.item IS NULL
  WHERE t.id = $1 AND t.tenant_id = $2`,
  { readJson: readAsRawJson },
);

/** The statement of a retrieve, for the benchmark's floor to run as it is. */
export const FIND_MESSAGE = FIND;

const MODIFY = statement(`
  WITH t AS (SELECT id FROM threads WHERE id = $1 AND tenant_id = $2),
  u AS (
    UPDATE messages m SET metadata = $4::json FROM t
    WHERE m.thread_id = t.id AND m.id = $3 AND m.item IS NULL
    RETURNING ${messageColumns('m')}
  )
  SELECT t.id AS "threadFound", u.* FROM t LEFT JOIN u ON true`);

const DELETE = statement(`
  WITH t AS (SELECT id FROM threads WHERE id = $1 AND tenant_id = $2),
  d AS (DELETE FROM messages m USING t WHERE m.thread_id = t.id AND m.id = $3 AND m.item IS NULL RETURNING m.id)
  SELECT t.id AS "threadFound", d.id FROM t LEFT JOIN d ON true`);

/**
 * A row of a query that joins the owned thread to an optional message: no row, no such thread
 * for the tenant; a row whose message columns are all null, no such message in it.
 */
type ThreadScopedRow<T> = { threadFound: string } & (T | { [K in keyof T]: null });

/** A row of the list query: also the cursors' order keys (bigint, read as numbers: parseInt8), null for no such cursor. */
type ListRow = ThreadScopedRow<MessageRecord> & { afterSeq: number | null; beforeSeq: number | null };

export type MessageLookup = { kind: 'no-thread' } | { kind: 'no-message' } | { kind: 'message'; message: MessageRecord };
export type MessageInsert = { kind: 'no-thread' } | { kind: 'missing-file'; position: number } | { kind: 'message'; message: MessageRecord };
export type MessageDelete = { kind: 'no-thread' } | { kind: 'no-message' } | { kind: 'deleted'; id: string };
export type MessagePage =
  { kind: 'no-thread' } | { kind: 'no-cursor'; param: 'after' | 'before' } | { kind: 'page'; messages: MessageRecord[]; hasMore: boolean };

export interface ListMessagesInput {
  order: SortOrder;
  plan: KeysetPlan;
  threadId: string;
  tenant: string;
  after?: string;
  before?: string;
  runId?: string;
  /** Only the messages that match this search. */
  search?: SearchTerms;
}

function lookup(rows: ThreadScopedRow<MessageRecord>[]): MessageLookup {
  if (rows.length === 0) return { kind: 'no-thread' };
  const row = rows[0];
  return row.id === null ? { kind: 'no-message' } : { kind: 'message', message: row };
}

/**
 * Every statement on `messages`. Each request is one parameterised statement, prepared, and
 * carries the thread's ownership (`threads.tenant_id`) and `thread_id`.
 */
@Injectable()
export class MessagesRepository {
  /** Messages created outside a transaction with no files to check, coalesced under load (coalesced-inserts.ts). */
  private readonly inserts: Coalescer<RowsToInsert, number | null>;

  constructor(private readonly sql: Sql) {
    this.inserts = coalescedInserts(sql, (rows) => this.insertOne(rows));
  }

  /** A message's own INSERT (on `on`, or on a connection of the pool): when it was created, or null: no such thread for the tenant. */
  private async insertOne(rows: RowsToInsert, on?: Queryable): Promise<number | null> {
    return (await this.sql.rows<{ createdAt: number }>(INSERT, insertValues(rows), on))[0]?.createdAt ?? null;
  }

  /** `fileIds`: the ids that must name live files of the tenant (none: no check). */
  async insert(tenantId: string, threadId: string, message: NewMessage, on?: Queryable, fileIds: string[] = []): Promise<MessageInsert> {
    const rows: RowsToInsert = {
      threadId,
      tenantId,
      ids: [message.id],
      roles: [message.role],
      contents: [JSON.stringify(message.content)],
      attachments: [JSON.stringify(message.attachments)],
      metadata: [JSON.stringify(message.metadata)],
      items: [null],
    };
    let createdAt: number | null;
    try {
      if (fileIds.length > 0) {
        const checked = await this.sql.rows<{ createdAt: number | null; missingFile: number | null }>(INSERT_CHECKED, [...insertValues(rows), fileIds], on);
        if (checked.length === 0) return { kind: 'no-thread' };
        if (checked[0].missingFile !== null) return { kind: 'missing-file', position: checked[0].missingFile };
        createdAt = checked[0].createdAt;
      } else {
        createdAt = on ? await this.insertOne(rows, on) : await this.inserts.run(rows);
      }
    } catch (error) {
      // The thread was deleted between the statement's read of it and its insert.
      if (sqlState(error) === FOREIGN_KEY_VIOLATION) return { kind: 'no-thread' };
      throw error;
    }
    // No such thread for the tenant, or (checked insert) it was deleted between the statement's read of it and its insert.
    if (createdAt === null) return { kind: 'no-thread' };
    return {
      kind: 'message',
      message: insertedMessage(message, threadId, createdAt),
    };
  }

  async find(tenant: string, threadId: string, messageId: string): Promise<MessageLookup> {
    return lookup(await this.sql.rows<ThreadScopedRow<MessageRecord>>(FIND, [threadId, tenant, messageId]));
  }

  async modifyMetadata(tenant: string, threadId: string, messageId: string, metadata: Record<string, string>): Promise<MessageLookup> {
    return lookup(await this.sql.rows<ThreadScopedRow<MessageRecord>>(MODIFY, [threadId, tenant, messageId, JSON.stringify(metadata)]));
  }

  async delete(tenant: string, threadId: string, messageId: string): Promise<MessageDelete> {
    const rows = await this.sql.rows<ThreadScopedRow<{ id: string }>>(DELETE, [threadId, tenant, messageId]);
    if (rows.length === 0) return { kind: 'no-thread' };
    const { id } = rows[0];
    return id === null ? { kind: 'no-message' } : { kind: 'deleted', id };
  }

  /** A page of the tenant's messages that match a search, across its threads (tenant-search.ts). */
  async search(input: SearchMessagesInput): Promise<{ hits: SearchHitRecord[]; hasMore: boolean }> {
    return searchMessages(this.sql, input);
  }

  /** A page of `plan.limit` messages (`limit + 1` are fetched: the extra one only says that more lie beyond). */
  async list(input: ListMessagesInput): Promise<MessagePage> {
    const { statement: query, params } = listMessagesQuery(input);
    const rows = await this.sql.rows<ListRow>(query, params);
    if (rows.length === 0) return { kind: 'no-thread' };
    if (input.after !== undefined && rows[0].afterSeq === null) return { kind: 'no-cursor', param: 'after' };
    if (input.before !== undefined && rows[0].beforeSeq === null) return { kind: 'no-cursor', param: 'before' };
    const { items, hasMore } = takePage(
      rows.filter((row): row is ListRow & MessageRecord => row.id !== null),
      input.plan,
    );
    return { kind: 'page', messages: items, hasMore };
  }
}

/** The statement of each variant, built (and named) once: a list request neither builds nor hashes a text. */
const variants = new Map<string, Statement>();

/**
 * One round trip: the thread's ownership, the cursors' order keys and `limit + 1` messages.
 * The ORDER BY names (thread_id, seq) so that only that index can supply the order, whatever
 * the planner's statistics say. With no thread the query returns no row; with a thread and no
 * message, one row whose message columns are null.
 */
export function listMessagesQuery(input: ListMessagesInput): { statement: Statement; params: unknown[] } {
  const params: unknown[] = [input.threadId, input.tenant];
  if (input.after !== undefined) params.push(input.after);
  if (input.before !== undefined) params.push(input.before);
  if (input.runId !== undefined) params.push(input.runId);
  if (input.search !== undefined) params.push(input.search.words, input.search.prefixes);
  params.push(input.plan.limit + 1);
  const key =
    `${input.order} ${input.plan.ascending} ${input.after !== undefined} ` +
    `${input.before !== undefined} ${input.runId !== undefined} ${input.search !== undefined}`;
  let found = variants.get(key);
  if (found === undefined) {
    const sql = variantSql(
      input.order,
      input.plan.ascending,
      input.after !== undefined,
      input.before !== undefined,
      input.runId !== undefined,
      input.search !== undefined,
    );
    // A search is planned for its words each time: with the words, and the column's statistics, PostgreSQL walks
    // the thread's index for a common word and the GIN index for a rare one. A generic plan cannot tell them
    // apart: on a thread of 100,000 messages it took a bitmap of the whole thread for every search (225 ms for
    // a word in every message, against 0.2 ms walking the index), and it evaluated the words' tsquery once per
    // row walked (1.3 s for a rare word when the statistics were stale, against 0.1 s).
    found = statement(sql, { planEachTime: input.search !== undefined, readJson: readAsRawJson });
    variants.set(key, found);
  }
  return { statement: found, params };
}

function variantSql(order: SortOrder, ascending: boolean, after: boolean, before: boolean, runId: boolean, search = false): string {
  let next = 3;
  const joins: string[] = [];
  // `item IS NULL`: the rows the Assistants API shows, through their partial index (conversation items stored whole are skipped in the index).
  const where: string[] = ['m.thread_id = $1', 'm.item IS NULL'];
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
  if (search) {
    where.push(`m.search_vector @@ ${searchQueryExpression(`$${next}`, `$${next + 1}`)}`);
    next += 2;
  }
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
