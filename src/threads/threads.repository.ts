import { Injectable } from '@nestjs/common';
import { Metadata } from '../common/metadata/is-metadata';
import { KeysetPlan, takePage } from '../common/pagination/keyset';
import { SortOrder } from '../common/pagination/list-query.dto';
import { NOW_SECONDS as NOW, Queryable, Sql, Statement, statement } from '../database/sql';
import { Coalescer, INSERT_COALESCING } from '../database/coalescer';
import { appendRows, RowColumns, sizeOf } from '../messages/coalesced-inserts';
import { firstMissingFile } from '../files/files.repository';
import { NewMessage } from '../messages/new-message';
import { ThreadEntity, ToolResources } from './thread.entity';

/** A thread as the API presents it: what the queries select (the tenant stays in the database). */
export type ThreadRecord = Omit<ThreadEntity, 'tenantId'>;

export interface NewThread {
  id: string;
  tenantId: string;
  metadata: Metadata;
  toolResources: ToolResources;
}

/** The thread columns under ThreadRecord's property names: a selected row is a ThreadRecord. */
const THREAD_COLUMNS = `id, created_at AS "createdAt", metadata, tool_resources AS "toolResources"`;

const FIND = statement(`SELECT ${THREAD_COLUMNS} FROM threads WHERE id = $1 AND tenant_id = $2`);
const MODIFY = statement(`
  UPDATE threads SET metadata = COALESCE($3::json, metadata), tool_resources = COALESCE($4::json, tool_resources)
  WHERE id = $1 AND tenant_id = $2
  RETURNING ${THREAD_COLUMNS}`);
const DELETE = statement(`DELETE FROM threads WHERE id = $1 AND tenant_id = $2 RETURNING id`);

/**
 * Only the time comes back: the rest of the thread is what was sent (json columns keep the text they are
 * given). Reading it back would parse the metadata and tool resources only to serialise them again.
 */
const INSERT_TEXT = `
  INSERT INTO threads (id, tenant_id, created_at, metadata, tool_resources)
  VALUES ($1, $2, ${NOW}, $3::json, $4::json)
  RETURNING id, created_at AS "createdAt"`;
const INSERT = statement(INSERT_TEXT);

/** Thread and messages in one statement: all or nothing, messages keyed in the order given. */
const INSERT_WITH_MESSAGES = statement(`
  WITH thread AS (${INSERT_TEXT}),
  inserted AS (
    INSERT INTO messages (thread_id, id, tenant_id, created_at, completed_at, role, content, attachments, metadata)
    SELECT thread.id, m.id, $2, thread."createdAt", thread."createdAt", m.role, m.content, m.attachments, m.metadata
    FROM thread,
      unnest($5::varchar[], $6::varchar[], $7::json[], $8::json[], $9::json[]) WITH ORDINALITY
        AS m(id, role, content, attachments, metadata, ord)
    ORDER BY m.ord
  )
  SELECT thread.* FROM thread`);

/**
 * Several threads and their first messages (or a conversation's first items) in one statement (see
 * `coalescedThreadInserts`): each message names its thread, the messages keyed in the order given. The
 * threads come back by id.
 */
const INSERT_MANY = statement(`
  WITH thread AS (
    INSERT INTO threads (id, tenant_id, created_at, metadata, tool_resources)
    SELECT t.id, t.tenant_id, ${NOW}, t.metadata, t.tool_resources
    FROM unnest($1::varchar[], $2::varchar[], $3::json[], $4::json[]) AS t(id, tenant_id, metadata, tool_resources)
    RETURNING id, tenant_id, created_at AS "createdAt"
  ),
  inserted AS (
    INSERT INTO messages (thread_id, id, tenant_id, created_at, completed_at, role, content, attachments, metadata, item)
    SELECT thread.id, m.id, thread.tenant_id, thread."createdAt", thread."createdAt", m.role, m.content, m.attachments, m.metadata, m.item
    FROM unnest($5::varchar[], $6::varchar[], $7::varchar[], $8::json[], $9::json[], $10::json[], $11::json[]) WITH ORDINALITY
        AS m(thread_id, id, role, content, attachments, metadata, item, ord)
      JOIN thread ON thread.id = m.thread_id
    ORDER BY m.ord
  )
  SELECT thread.id, thread."createdAt" FROM thread`);

/** A thread insert as the coalescer takes it: the thread's columns (its json ones as text), its first rows' columns. */
export interface ThreadInsert {
  thread: [id: string, tenantId: string, metadata: string, toolResources: string];
  rows: RowColumns;
  /** About how many bytes its values take. */
  size: number;
}

/** What a thread insert returns. */
export type Inserted = Pick<ThreadRecord, 'id' | 'createdAt'>;

export function threadInsert(thread: ThreadInsert['thread'], rows: RowColumns): ThreadInsert {
  return { thread, rows, size: thread[2].length + thread[3].length + sizeOf(rows) };
}

function insertOf(thread: NewThread, messages: NewMessage[]): ThreadInsert {
  // Columns as arrays, not one JSON document: json_to_recordset would unescape \u0000, which text cannot hold.
  return threadInsert([thread.id, thread.tenantId, JSON.stringify(thread.metadata), JSON.stringify(thread.toolResources)], {
    ids: messages.map((m) => m.id),
    roles: messages.map((m) => m.role),
    contents: messages.map((m) => JSON.stringify(m.content)),
    attachments: messages.map((m) => JSON.stringify(m.attachments)),
    metadata: messages.map((m) => JSON.stringify(m.metadata)),
    items: messages.map(() => null),
  });
}

/** The values of one thread's own statement (INSERT, INSERT_WITH_MESSAGES and their checked forms). */
function paramsOf({ thread, rows }: ThreadInsert): unknown[] {
  if (rows.ids.length === 0) return [...thread];
  return [...thread, rows.ids, rows.roles, rows.contents, rows.attachments, rows.metadata];
}

/** The values of INSERT_MANY. */
function manyParamsOf(inserts: ThreadInsert[]): unknown[] {
  const threads: string[][] = [[], [], [], []];
  const rows: (string | null)[][] = [[], [], [], [], [], [], []];
  for (const { thread, rows: r } of inserts) {
    for (let c = 0; c < 4; c++) threads[c].push(thread[c]);
    appendRows(rows, [thread[0]], r);
  }
  return [...threads, ...rows];
}

/**
 * A repository's thread creates made outside a transaction with no files to check, coalesced
 * (database/coalescer.ts): under load, the creates that arrive while two are in flight go together as one
 * statement (one round trip, one commit; a created thread costs about half the CPU, README "Performance").
 * A create alone is sent at once through `alone`, the repository's own statement.
 */
export function coalescedThreadInserts(sql: Sql, alone: (insert: ThreadInsert) => Promise<Inserted>): Coalescer<ThreadInsert, Inserted> {
  return new Coalescer<ThreadInsert, Inserted>({
    ...INSERT_COALESCING,
    sizeOf: (insert) => insert.size,
    one: alone,
    many: async (inserts) => {
      const rows = await sql.rows<Inserted>(INSERT_MANY, manyParamsOf(inserts));
      const byId = new Map(rows.map((row) => [row.id, row]));
      return inserts.map((insert) => byId.get(insert.thread[0]) as Inserted);
    },
  });
}

/** The advisory lock key of retention (any instance's job and the purge command): 'retention' as a number. */
const RETENTION_LOCK = 0x72657465;

/** A thread is expired when its last message (the newest by order key, through the primary key), or its creation, is older than $1. */
const EXPIRED = `
  FROM threads t
  WHERE t.created_at < $1 AND ($2::varchar IS NULL OR t.tenant_id = $2)
    AND COALESCE((SELECT m.created_at FROM messages m WHERE m.thread_id = t.id ORDER BY m.thread_id DESC, m.seq DESC LIMIT 1), t.created_at) < $1`;

const EXPIRE = statement(`
  WITH lock AS MATERIALIZED (SELECT pg_try_advisory_xact_lock($4::bigint) AS got),
  victims AS (SELECT t.id ${EXPIRED} AND (SELECT got FROM lock) LIMIT $3 FOR UPDATE OF t SKIP LOCKED),
  deleted AS (DELETE FROM threads d USING victims v WHERE d.id = v.id RETURNING d.id)
  SELECT (SELECT got FROM lock) AS locked, (SELECT count(*) FROM deleted)::int AS threads,
    (SELECT count(*) FROM messages m JOIN deleted d ON m.thread_id = d.id)::int AS messages`);

const COUNT_EXPIRED = statement(`
  SELECT true AS locked, count(*)::int AS threads, COALESCE(sum((SELECT count(*) FROM messages m WHERE m.thread_id = t.id)), 0)::int AS messages ${EXPIRED}`);

/** The first missing file's position (1-based), or null: the checked statements' extra column. */
type Checked<T> = { missingFile: number | null } & (T | { [K in keyof T]: null });
export type ThreadWrite = { kind: 'missing-file'; position: number } | { kind: 'thread'; thread: ThreadRecord };

/** A thread insert (with or without messages) that first checks the file ids in parameter `ids`: nothing is inserted when one is missing. */
function checkedCreate(text: string, ids: string): Statement {
  const values = `VALUES ($1, $2, ${NOW}, $3::json, $4::json)`;
  if (!text.includes(values)) throw new Error('checkedCreate: the thread insert no longer has its VALUES list');
  const gated = text.replace(values, `SELECT $1, $2, ${NOW}, $3::json, $4::json WHERE NOT EXISTS (SELECT 1 FROM missing)`);
  const body = gated.trimStart().startsWith('WITH') ? gated.trimStart().slice('WITH'.length) : ` thread AS (${gated})`;
  const last = body.lastIndexOf('SELECT thread.* FROM thread');
  const ctes = last < 0 ? body : body.slice(0, last);
  return statement(`WITH missing AS (${firstMissingFile(ids, '$2')}),${ctes.replace(/,\s*$/, '')}
  SELECT (SELECT ord FROM missing)::int AS "missingFile", thread.* FROM (SELECT 1) one LEFT JOIN thread ON true`);
}

const INSERT_CHECKED = checkedCreate(INSERT_TEXT, '$5');
const INSERT_WITH_MESSAGES_CHECKED = checkedCreate(INSERT_WITH_MESSAGES.text, '$10');
const MODIFY_CHECKED = statement(`
  WITH missing AS (${firstMissingFile('$5', '$2')}),
  u AS (
    UPDATE threads SET metadata = COALESCE($3::json, metadata), tool_resources = COALESCE($4::json, tool_resources)
    WHERE id = $1 AND tenant_id = $2 AND NOT EXISTS (SELECT 1 FROM missing)
    RETURNING ${THREAD_COLUMNS}
  )
  SELECT (SELECT ord FROM missing)::int AS "missingFile", u.* FROM threads t LEFT JOIN u ON true WHERE t.id = $1 AND t.tenant_id = $2`);

function written<R extends { id: string }>(rows: Checked<R>[], toRecord: (row: R) => ThreadRecord): ThreadWrite | undefined {
  if (rows.length === 0) return undefined;
  const { missingFile, ...thread } = rows[0];
  if (missingFile !== null) return { kind: 'missing-file', position: missingFile };
  return thread.id === null ? undefined : { kind: 'thread', thread: toRecord(thread as unknown as R) };
}

const asRead = (thread: ThreadRecord): ThreadRecord => thread;

const json = (value: unknown): string | null => (value === undefined || value === null ? null : JSON.stringify(value));

/**
 * Every statement on `threads`, and the one that creates a thread with its first messages. A
 * thread of another tenant is no thread: each statement checks `tenant_id`. Undefined: no such
 * thread for the tenant.
 */
@Injectable()
export class ThreadsRepository {
  private readonly inserts: Coalescer<ThreadInsert, Inserted>;

  constructor(private readonly sql: Sql) {
    this.inserts = coalescedThreadInserts(sql, (insert) => this.insertOne(insert));
  }

  /** A thread's own INSERT or INSERT_WITH_MESSAGES, on `on` or on a connection of the pool. */
  private async insertOne(insert: ThreadInsert, on?: Queryable): Promise<Inserted> {
    return (await this.sql.rows<Inserted>(insert.rows.ids.length === 0 ? INSERT : INSERT_WITH_MESSAGES, paramsOf(insert), on))[0];
  }

  /** `fileIds`: the ids (of its tool resources and messages) that must name live files of the tenant; none, no check. */
  async create(thread: NewThread, messages: NewMessage[], on?: Queryable, fileIds: string[] = []): Promise<ThreadWrite> {
    const insert = insertOf(thread, messages);
    const created = ({ id, createdAt }: Inserted): ThreadRecord => ({ id, createdAt, metadata: thread.metadata, toolResources: thread.toolResources });
    if (fileIds.length > 0) {
      const checkedInsert = messages.length === 0 ? INSERT_CHECKED : INSERT_WITH_MESSAGES_CHECKED;
      return written(await this.sql.rows<Checked<Inserted>>(checkedInsert, [...paramsOf(insert), fileIds], on), created) as ThreadWrite;
    }
    return { kind: 'thread', thread: created(on ? await this.insertOne(insert, on) : await this.inserts.run(insert)) };
  }

  async find(tenant: string, threadId: string): Promise<ThreadRecord | undefined> {
    return (await this.sql.rows<ThreadRecord>(FIND, [threadId, tenant]))[0];
  }

  /** Sets what is given (metadata, tool resources); null keeps the stored value. */
  async modify(
    tenant: string,
    threadId: string,
    changes: { metadata: Metadata | null; toolResources: ToolResources | null },
    fileIds: string[] = [],
  ): Promise<ThreadWrite | undefined> {
    if (fileIds.length > 0) {
      const params = [threadId, tenant, json(changes.metadata), json(changes.toolResources), fileIds];
      return written(await this.sql.rows<Checked<ThreadRecord>>(MODIFY_CHECKED, params), asRead);
    }
    const thread = (await this.sql.rows<ThreadRecord>(MODIFY, [threadId, tenant, json(changes.metadata), json(changes.toolResources)]))[0];
    return thread && { kind: 'thread', thread };
  }

  /** A page of the tenant's threads (`limit + 1` are fetched: the extra one only says that more lie beyond). */
  async list(input: ListThreadsInput): Promise<ThreadPage> {
    const { statement: query, params } = listThreadsQuery(input);
    const rows = await this.sql.rows<ThreadListRow>(query, params);
    const row = rows[0];
    if (input.after !== undefined && !row.afterFound) return { kind: 'no-cursor', param: 'after' };
    if (input.before !== undefined && !row.beforeFound) return { kind: 'no-cursor', param: 'before' };
    const threads = rows
      .filter((r) => r.id !== null)
      .map((r): ThreadRecord => ({
        id: r.id as string,
        createdAt: r.createdAt as number,
        metadata: r.metadata as Metadata,
        toolResources: r.toolResources as ToolResources,
      }));
    const { items, hasMore } = takePage(threads, input.plan);
    return { kind: 'page', threads: items, hasMore };
  }

  /**
   * Deletes up to `limit` threads (their messages by cascade) whose last message, or creation when
   * they have none, is older than `cutoff` (Unix seconds); of one tenant, or of all. One short
   * statement under a transaction-level advisory lock: of several instances, one deletes a batch
   * at a time (`locked` false: another holds the lock, nothing was done). `dryRun`: counts them all.
   */
  async expire(input: { cutoff: number; limit: number; tenant?: string; dryRun?: boolean }): Promise<{ locked: boolean; threads: number; messages: number }> {
    const query = input.dryRun ? COUNT_EXPIRED : EXPIRE;
    const params = input.dryRun ? [input.cutoff, input.tenant ?? null] : [input.cutoff, input.tenant ?? null, input.limit, RETENTION_LOCK];
    const [row] = await this.sql.rows<{ locked: boolean; threads: number; messages: number }>(query, params);
    return row;
  }

  /** True when the thread (and with it its messages) was deleted. */
  async delete(tenant: string, threadId: string): Promise<boolean> {
    return (await this.sql.rows<{ id: string }>(DELETE, [threadId, tenant])).length > 0;
  }
}

export interface ListThreadsInput {
  tenant: string;
  order: SortOrder;
  plan: KeysetPlan;
  after?: string;
  before?: string;
  /** Every pair must be in the thread's metadata. */
  metadata?: Metadata;
  createdAfter?: number;
  createdBefore?: number;
}

export type ThreadPage = { kind: 'no-cursor'; param: 'after' | 'before' } | { kind: 'page'; threads: ThreadRecord[]; hasMore: boolean };

/** A row of the list query: the cursors' presence, then a thread or (no thread on the page) nulls. */
type ThreadListRow = { afterFound: boolean; beforeFound: boolean } & { [K in keyof ThreadRecord]: ThreadRecord[K] | null };

/** The statement of each variant, built (and named) once: a list request neither builds nor hashes a text. */
const listVariants = new Map<string, Statement>();

/**
 * One round trip: the cursors' keys and `limit + 1` threads of the tenant, walked on the index
 * (tenant_id, created_at, id) from the cursor: the ORDER BY names those columns so that only that
 * index can supply the order. Always one row at least: with an empty page, its thread columns are null.
 */
export function listThreadsQuery(input: ListThreadsInput): { statement: Statement; params: unknown[] } {
  const params: unknown[] = [input.tenant];
  const flags = {
    after: input.after !== undefined,
    before: input.before !== undefined,
    metadata: input.metadata !== undefined,
    createdAfter: input.createdAfter !== undefined,
    createdBefore: input.createdBefore !== undefined,
  };
  if (flags.after) params.push(input.after);
  if (flags.before) params.push(input.before);
  if (flags.metadata) params.push(JSON.stringify(input.metadata));
  if (flags.createdAfter) params.push(input.createdAfter);
  if (flags.createdBefore) params.push(input.createdBefore);
  params.push(input.plan.limit + 1);
  const key = `${input.order} ${input.plan.ascending} ${Object.values(flags).join(' ')}`;
  let found = listVariants.get(key);
  if (found === undefined) {
    found = statement(listThreadsSql(input.order, input.plan.ascending, flags));
    listVariants.set(key, found);
  }
  return { statement: found, params };
}

/** A bound on the list's key (created_at, id): one row comparison, so that the index is entered at it. */
type Bound = [createdAt: string, id: string];

/**
 * The tightest of the bounds on one side, as one pair of expressions: `created_after` X is the key
 * bound (X + 1, ''), `created_before` Y the bound (Y, '') ('' sorts before every id), and a cursor
 * the key of its thread. One row comparison per side lets the planner walk the index between them
 * rather than collect and sort the rows of a range.
 */
function tightest(bounds: Bound[], side: 'lower' | 'upper', name: string, joins: string[]): Bound | undefined {
  if (bounds.length === 0) return undefined;
  // A cursor alone is already the key of a joined row.
  if (bounds.length === 1 && !bounds[0][1].startsWith("''")) return bounds[0];
  const [c1, i1] = bounds[0];
  const [c2, i2] = bounds[1] ?? bounds[0];
  const first = `(${c1}, ${i1}) ${side === 'lower' ? '>=' : '<='} (${c2}, ${i2})`;
  // OFFSET 0 keeps the bound a row of its own, which the index scan takes as a parameter, as it takes a cursor's key:
  // folded into constants, a range between two of them would be estimated small on stale statistics, and collected and sorted.
  joins.push(
    `CROSS JOIN LATERAL (SELECT CASE WHEN ${first} THEN ${c1} ELSE ${c2} END AS c, CASE WHEN ${first} THEN ${i1} ELSE ${i2} END AS i OFFSET 0) ${name}`,
  );
  return [`${name}.c`, `${name}.i`];
}

function listThreadsSql(
  order: SortOrder,
  ascending: boolean,
  flags: Record<'after' | 'before' | 'metadata' | 'createdAfter' | 'createdBefore', boolean>,
): string {
  let next = 2;
  const joins: string[] = [];
  const where: string[] = ['t.tenant_id = $1'];
  const lower: Bound[] = [];
  const upper: Bound[] = [];
  let afterFound = 'false';
  let beforeFound = 'false';
  if (flags.after) {
    joins.push(`LEFT JOIN threads a ON a.id = $${next++} AND a.tenant_id = $1`);
    (order === 'asc' ? lower : upper).push(['a.created_at', 'a.id']);
    afterFound = 'a.id IS NOT NULL';
  }
  if (flags.before) {
    joins.push(`LEFT JOIN threads b ON b.id = $${next++} AND b.tenant_id = $1`);
    (order === 'asc' ? upper : lower).push(['b.created_at', 'b.id']);
    beforeFound = 'b.id IS NOT NULL';
  }
  // A NUL character (\u0000 in json's text) has no jsonb form: such metadata, stored before it was refused, matches no filter.
  if (flags.metadata) where.push(`CASE WHEN strpos(t.metadata::text, '\\u0000') > 0 THEN false ELSE t.metadata::jsonb @> $${next++}::jsonb END`);
  if (flags.createdAfter) lower.push([`($${next++}::bigint + 1)`, `''::varchar`]);
  if (flags.createdBefore) upper.push([`$${next++}::bigint`, `''::varchar`]);
  // Two cursors on one side cannot be: after and before bound opposite sides.
  const low = tightest(lower, 'lower', 'lo', joins);
  const high = tightest(upper, 'upper', 'hi', joins);
  if (low) where.push(`(t.created_at, t.id) > (${low[0]}, ${low[1]})`);
  if (high) where.push(`(t.created_at, t.id) < (${high[0]}, ${high[1]})`);
  const direction = ascending ? 'ASC' : 'DESC';
  return `
    SELECT ${afterFound} AS "afterFound", ${beforeFound} AS "beforeFound", page.*
    FROM (SELECT 1) one
    ${joins.join('\n    ')}
    LEFT JOIN LATERAL (
      SELECT ${THREAD_COLUMNS}
      FROM threads t
      WHERE ${where.join(' AND ')}
      ORDER BY t.tenant_id ${direction}, t.created_at ${direction}, t.id ${direction}
      LIMIT $${next}
    ) page ON true`;
}
