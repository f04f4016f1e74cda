import { Injectable } from '@nestjs/common';
import { FOREIGN_KEY_VIOLATION, sqlState } from '../common/errors/pg-errors';
import { KeysetPlan, takePage } from '../common/pagination/keyset';
import { readAsRawJson } from '../common/http/raw-json';
import { SortOrder } from '../common/pagination/list-query.dto';
import { Metadata } from '../common/metadata/is-metadata';
import { Coalescer } from '../database/coalescer';
import { NOW_SECONDS as NOW, Queryable, Sql, Statement, statement } from '../database/sql';
import { firstMissingFile } from '../files/files.repository';
import { messageColumns } from '../messages/message-columns';
import { coalescedInserts, RowColumns, RowsToInsert } from '../messages/coalesced-inserts';
import { insertedMessage } from '../messages/new-message';
import { coalescedThreadInserts, Inserted, threadInsert, ThreadInsert, ThreadRecord } from '../threads/threads.repository';
import { ItemRecord, NewItem } from './conversation-item';

/** The columns of an item: a message's, and the item stored whole (null for a message). */
const ITEM_COLUMNS = (alias: string): string => `${messageColumns(alias)}, ${alias}.item`;
const THREAD_COLUMNS = `id, created_at AS "createdAt", metadata, tool_resources AS "toolResources"`;

/** The items' columns as arrays, in the order given: `ord` keeps that order in the order key. */
const itemsSource = (first: number): string =>
  `unnest($${first}::varchar[], $${first + 1}::varchar[], $${first + 2}::json[], $${first + 3}::json[], $${first + 4}::json[])` +
  ' WITH ORDINALITY AS i(id, role, content, attachments, item, ord)';

/** The CTE that stores a new conversation's first items ($4 on) in the thread of the CTE `thread`. */
const INSERT_FIRST_ITEMS = `inserted AS (
    INSERT INTO messages (thread_id, id, tenant_id, created_at, completed_at, role, content, attachments, metadata, item)
    SELECT thread.id, i.id, $2, thread."createdAt", thread."createdAt", i.role, i.content, i.attachments, '{}', i.item
    FROM thread, ${itemsSource(4)}
    ORDER BY i.ord
  )`;

/** A thread (a conversation) with its first items, in one statement: all or nothing. */
const CREATE = statement(`
  WITH thread AS (
    INSERT INTO threads (id, tenant_id, created_at, metadata, tool_resources)
    VALUES ($1, $2, ${NOW}, $3::json, '{}')
    RETURNING ${THREAD_COLUMNS}
  ),
  ${INSERT_FIRST_ITEMS}
  SELECT thread.* FROM thread`);

/**
 * CREATE when the items name files: each must be a live file of the tenant ($9), checked in the same
 * statement; otherwise nothing is inserted and the first missing one's position comes back.
 */
const CREATE_CHECKED = statement(`
  WITH missing AS (${firstMissingFile('$9', '$2')}),
  thread AS (
    INSERT INTO threads (id, tenant_id, created_at, metadata, tool_resources)
    SELECT $1, $2, ${NOW}, $3::json, '{}' WHERE NOT EXISTS (SELECT 1 FROM missing)
    RETURNING ${THREAD_COLUMNS}
  ),
  ${INSERT_FIRST_ITEMS}
  SELECT (SELECT ord FROM missing)::int AS "missingFile", thread.* FROM (SELECT 1) one LEFT JOIN thread ON true`);

/** Items appended to an owned thread, in the order given, ownership checked in the same statement. */
const INSERT = statement(`
  WITH t AS (SELECT id, tenant_id FROM threads WHERE id = $1 AND tenant_id = $2),
  inserted AS (
    INSERT INTO messages (thread_id, id, tenant_id, created_at, completed_at, role, content, attachments, metadata, item)
    SELECT t.id, i.id, t.tenant_id, ${NOW}, ${NOW}, i.role, i.content, i.attachments, '{}', i.item
    FROM t, ${itemsSource(3)}
    ORDER BY i.ord
    RETURNING created_at
  )
  SELECT t.id AS "threadFound", (SELECT min(created_at) FROM inserted) AS "createdAt" FROM t`);

/** INSERT when the items name files ($8): nothing is inserted when one is missing, and its position comes back. */
const INSERT_CHECKED = statement(`
  WITH missing AS (${firstMissingFile('$8', '$2')}),
  t AS (SELECT id, tenant_id FROM threads WHERE id = $1 AND tenant_id = $2),
  inserted AS (
    INSERT INTO messages (thread_id, id, tenant_id, created_at, completed_at, role, content, attachments, metadata, item)
    SELECT t.id, i.id, t.tenant_id, ${NOW}, ${NOW}, i.role, i.content, i.attachments, '{}', i.item
    FROM t, ${itemsSource(3)}
    WHERE NOT EXISTS (SELECT 1 FROM missing)
    ORDER BY i.ord
    RETURNING created_at
  )
  SELECT t.id AS "threadFound", (SELECT ord FROM missing)::int AS "missingFile", (SELECT min(created_at) FROM inserted) AS "createdAt" FROM t`);

/** The statements whose items are answered as read keep their json columns' text (RawJson), unparsed. */
const FIND = statement(
  `
  SELECT t.id AS "threadFound", ${ITEM_COLUMNS('m')}
  FROM threads t LEFT JOIN messages m ON m.thread_id = t.id AND m.id = $3
  WHERE t.id = $1 AND t.tenant_id = $2`,
  { readJson: readAsRawJson },
);

/** Deletes an item and answers the thread it was in. */
const DELETE = statement(`
  WITH t AS (SELECT ${THREAD_COLUMNS} FROM threads WHERE id = $1 AND tenant_id = $2),
  d AS (DELETE FROM messages m USING t WHERE m.thread_id = t.id AND m.id = $3 RETURNING m.id)
  SELECT t.*, d.id AS "deletedId" FROM t LEFT JOIN d ON true`);

type ThreadScopedRow<T> = { threadFound: string } & (T | { [K in keyof T]: null });
type ListRow = ThreadScopedRow<ItemRecord> & { afterSeq: number | null };

export type ItemLookup = { kind: 'no-thread' } | { kind: 'no-item' } | { kind: 'item'; item: ItemRecord };
export type ItemsInsert = { kind: 'no-thread' } | { kind: 'missing-file'; position: number } | { kind: 'items'; items: ItemRecord[] };
export type ConversationCreate = { kind: 'missing-file'; position: number } | { kind: 'thread'; thread: ThreadRecord };
export type ItemDelete = { kind: 'no-thread' } | { kind: 'no-item' } | { kind: 'deleted'; thread: ThreadRecord };
export type ItemPage = { kind: 'no-thread' } | { kind: 'no-cursor' } | { kind: 'page'; items: ItemRecord[]; hasMore: boolean };

export interface ListItemsInput {
  order: SortOrder;
  plan: KeysetPlan;
  threadId: string;
  tenant: string;
  after?: string;
}

/** A request's items as the inserts take them: columns of JSON texts. */
function rowsOf(tenantId: string, threadId: string, items: NewItem[]): RowsToInsert {
  return {
    threadId,
    tenantId,
    ids: items.map((i) => i.id),
    roles: items.map((i) => i.role),
    contents: items.map((i) => JSON.stringify(i.content)),
    attachments: items.map((i) => JSON.stringify(i.attachments)),
    metadata: items.map(() => '{}'),
    items: items.map((i) => (i.item === null ? null : JSON.stringify(i.item))),
  };
}

/** The items' columns as itemsSource reads them. Columns as arrays, not one JSON document: json_to_recordset would unescape \u0000, which text cannot hold. */
const itemParams = (rows: RowColumns): unknown[] => [rows.ids, rows.roles, rows.contents, rows.attachments, rows.items];

/** INSERT's values (INSERT_CHECKED's first ones): the thread, the tenant, the items' columns. */
const insertParams = (rows: RowsToInsert): unknown[] => [rows.threadId, rows.tenantId, ...itemParams(rows)];

/** CREATE's values (CREATE_CHECKED's first ones): the thread's id, tenant and metadata, its items' columns. */
const createParams = ({ thread, rows }: ThreadInsert): unknown[] => [thread[0], thread[1], thread[2], ...itemParams(rows)];

/** An item just inserted, as it is stored (the insert returns only the database's time). */
function inserted(threadId: string, createdAt: number, item: NewItem): ItemRecord {
  return { ...insertedMessage(item, threadId, createdAt), role: item.role as ItemRecord['role'], item: item.item };
}

/**
 * The Conversations view's statements over the same tables as the Assistants view: a
 * conversation is a row of `threads`, an item a row of `messages` (in the same order key). Each
 * request is one parameterised statement, prepared, scoped by tenant and by `thread_id`.
 */
@Injectable()
export class ConversationItemsRepository {
  /** Items appended outside a transaction with no files to check, coalesced under load (messages/coalesced-inserts.ts). */
  private readonly inserts: Coalescer<RowsToInsert, number | null>;
  /** Conversations created outside a transaction with no files to check, coalesced under load (ThreadsRepository's way). */
  private readonly creates: Coalescer<ThreadInsert, Inserted>;

  constructor(private readonly sql: Sql) {
    this.inserts = coalescedInserts(sql, (rows) => this.insertOne(rows));
    this.creates = coalescedThreadInserts(sql, async (insert) => {
      const [created] = await sql.rows<ThreadRecord>(CREATE, createParams(insert));
      return { id: created.id, createdAt: created.createdAt };
    });
  }

  /** A request's items by their own INSERT (on `on`, or on a connection of the pool): when they were created, or null: no such thread for the tenant. */
  private async insertOne(rows: RowsToInsert, on?: Queryable): Promise<number | null> {
    const found = await this.sql.rows<{ createdAt: number | null }>(INSERT, insertParams(rows), on);
    return found.length === 0 || found[0].createdAt === null ? null : Number(found[0].createdAt);
  }

  /** `fileIds`: the ids that must name live files of the tenant (none: no check). */
  async create(
    thread: { id: string; tenantId: string; metadata: Metadata },
    items: NewItem[],
    on?: Queryable,
    fileIds: string[] = [],
  ): Promise<ConversationCreate> {
    const insert = threadInsert([thread.id, thread.tenantId, JSON.stringify(thread.metadata), '{}'], rowsOf(thread.tenantId, thread.id, items));
    if (fileIds.length === 0 && !on) {
      const { id, createdAt } = await this.creates.run(insert);
      return { kind: 'thread', thread: { id, createdAt, metadata: thread.metadata, toolResources: {} } };
    }
    const params = createParams(insert);
    if (fileIds.length === 0) return { kind: 'thread', thread: (await this.sql.rows<ThreadRecord>(CREATE, params, on))[0] };
    const [{ missingFile, ...created }] = await this.sql.rows<{ missingFile: number | null } & ThreadRecord>(CREATE_CHECKED, [...params, fileIds], on);
    return missingFile !== null ? { kind: 'missing-file', position: missingFile } : { kind: 'thread', thread: created };
  }

  /** `fileIds`: the ids that must name live files of the tenant (none: no check). */
  async insert(tenant: string, threadId: string, items: NewItem[], on?: Queryable, fileIds: string[] = []): Promise<ItemsInsert> {
    const rows = rowsOf(tenant, threadId, items);
    let createdAt: number | null;
    try {
      if (fileIds.length === 0) {
        createdAt = on ? await this.insertOne(rows, on) : await this.inserts.run(rows);
      } else {
        const found = await this.sql.rows<{ createdAt: number | null; missingFile: number | null }>(INSERT_CHECKED, [...insertParams(rows), fileIds], on);
        if (found.length === 0) return { kind: 'no-thread' };
        if (found[0].missingFile !== null) return { kind: 'missing-file', position: found[0].missingFile };
        createdAt = Number(found[0].createdAt);
      }
    } catch (error) {
      // The thread was deleted between the statement's read of it and its insert.
      if (sqlState(error) === FOREIGN_KEY_VIOLATION) return { kind: 'no-thread' };
      throw error;
    }
    if (createdAt === null) return { kind: 'no-thread' };
    return { kind: 'items', items: items.map((item) => inserted(threadId, createdAt, item)) };
  }

  async find(tenant: string, threadId: string, itemId: string): Promise<ItemLookup> {
    const rows = await this.sql.rows<ThreadScopedRow<ItemRecord>>(FIND, [threadId, tenant, itemId]);
    if (rows.length === 0) return { kind: 'no-thread' };
    const row = rows[0];
    return row.id === null ? { kind: 'no-item' } : { kind: 'item', item: row };
  }

  async delete(tenant: string, threadId: string, itemId: string): Promise<ItemDelete> {
    const rows = await this.sql.rows<ThreadRecord & { deletedId: string | null }>(DELETE, [threadId, tenant, itemId]);
    if (rows.length === 0) return { kind: 'no-thread' };
    const { deletedId, ...thread } = rows[0];
    return deletedId === null ? { kind: 'no-item' } : { kind: 'deleted', thread };
  }

  /** A page of `plan.limit` items (`limit + 1` are fetched: the extra one only says that more lie beyond). */
  async list(input: ListItemsInput): Promise<ItemPage> {
    const { statement: query, params } = listItemsQuery(input);
    const rows = await this.sql.rows<ListRow>(query, params);
    if (rows.length === 0) return { kind: 'no-thread' };
    if (input.after !== undefined && rows[0].afterSeq === null) return { kind: 'no-cursor' };
    const { items, hasMore } = takePage(
      rows.filter((row): row is ListRow & ItemRecord => row.id !== null),
      input.plan,
    );
    return { kind: 'page', items, hasMore };
  }
}

const variants = new Map<string, Statement>();

/**
 * One round trip: the thread's ownership, the cursor's order key and `limit + 1` items, every
 * row of the thread in the order key (the primary key (thread_id, seq)).
 */
export function listItemsQuery(input: ListItemsInput): { statement: Statement; params: unknown[] } {
  const after = input.after !== undefined;
  const params: unknown[] = [input.threadId, input.tenant, ...(after ? [input.after] : []), input.plan.limit + 1];
  const key = `${input.plan.ascending} ${after}`;
  let found = variants.get(key);
  if (found === undefined) {
    const direction = input.plan.ascending ? 'ASC' : 'DESC';
    const toward = input.plan.ascending ? '>' : '<';
    found = statement(
      `
      SELECT t.id AS "threadFound", ${after ? 'a.seq' : 'NULL::bigint'} AS "afterSeq", page.*
      FROM threads t
      ${after ? 'LEFT JOIN messages a ON a.thread_id = t.id AND a.id = $3' : ''}
      LEFT JOIN LATERAL (
        SELECT ${ITEM_COLUMNS('m')}
        FROM messages m
        WHERE m.thread_id = $1${after ? ` AND m.seq ${toward} a.seq` : ''}
        ORDER BY m.thread_id ${direction}, m.seq ${direction}
        LIMIT $${after ? 4 : 3}
      ) page ON true
      WHERE t.id = $1 AND t.tenant_id = $2`,
      { readJson: readAsRawJson },
    );
    variants.set(key, found);
  }
  return { statement: found, params };
}
