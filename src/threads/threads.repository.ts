import { Injectable } from '@nestjs/common';
import { Metadata } from '../common/metadata/is-metadata';
import { NOW_SECONDS as NOW, Queryable, Sql, Statement, statement } from '../database/sql';
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

const INSERT_TEXT = `
  INSERT INTO threads (id, tenant_id, created_at, metadata, tool_resources)
  VALUES ($1, $2, ${NOW}, $3::json, $4::json)
  RETURNING ${THREAD_COLUMNS}`;
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

function written(rows: Checked<ThreadRecord>[]): ThreadWrite | undefined {
  if (rows.length === 0) return undefined;
  const { missingFile, ...thread } = rows[0];
  if (missingFile !== null) return { kind: 'missing-file', position: missingFile };
  return thread.id === null ? undefined : { kind: 'thread', thread: thread as ThreadRecord };
}

const json = (value: unknown): string | null => (value === undefined || value === null ? null : JSON.stringify(value));

/**
 * Every statement on `threads`, and the one that creates a thread with its first messages. A
 * thread of another tenant is no thread: each statement checks `tenant_id`. Undefined: no such
 * thread for the tenant.
 */
@Injectable()
export class ThreadsRepository {
  constructor(private readonly sql: Sql) {}

  /** `fileIds`: the ids (of its tool resources and messages) that must name live files of the tenant; none, no check. */
  async create(thread: NewThread, messages: NewMessage[], on?: Queryable, fileIds: string[] = []): Promise<ThreadWrite> {
    const params: unknown[] = [thread.id, thread.tenantId, JSON.stringify(thread.metadata), JSON.stringify(thread.toolResources)];
    const checked = fileIds.length > 0;
    if (messages.length === 0) {
      if (!checked) return { kind: 'thread', thread: (await this.sql.rows<ThreadRecord>(INSERT, params, on))[0] };
      return written(await this.sql.rows<Checked<ThreadRecord>>(INSERT_CHECKED, [...params, fileIds], on)) as ThreadWrite;
    }
    // Columns as arrays, not one JSON document: json_to_recordset would unescape \u0000, which text cannot hold.
    params.push(
      messages.map((m) => m.id),
      messages.map((m) => m.role),
      messages.map((m) => JSON.stringify(m.content)),
      messages.map((m) => JSON.stringify(m.attachments)),
      messages.map((m) => JSON.stringify(m.metadata)),
    );
    if (!checked) return { kind: 'thread', thread: (await this.sql.rows<ThreadRecord>(INSERT_WITH_MESSAGES, params, on))[0] };
    return written(await this.sql.rows<Checked<ThreadRecord>>(INSERT_WITH_MESSAGES_CHECKED, [...params, fileIds], on)) as ThreadWrite;
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
      return written(await this.sql.rows<Checked<ThreadRecord>>(MODIFY_CHECKED, params));
    }
    const thread = (await this.sql.rows<ThreadRecord>(MODIFY, [threadId, tenant, json(changes.metadata), json(changes.toolResources)]))[0];
    return thread && { kind: 'thread', thread };
  }

  /** True when the thread (and with it its messages) was deleted. */
  async delete(tenant: string, threadId: string): Promise<boolean> {
    return (await this.sql.rows<{ id: string }>(DELETE, [threadId, tenant])).length > 0;
  }
}
