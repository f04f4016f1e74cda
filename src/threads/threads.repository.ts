import { Injectable } from '@nestjs/common';
import { Metadata } from '../common/metadata/is-metadata';
import { NOW_SECONDS as NOW, Queryable, Sql, statement } from '../database/sql';
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

const json = (value: unknown): string | null => (value === undefined || value === null ? null : JSON.stringify(value));

/**
 * Every statement on `threads`, and the one that creates a thread with its first messages. A
 * thread of another tenant is no thread: each statement checks `tenant_id`. Undefined: no such
 * thread for the tenant.
 */
@Injectable()
export class ThreadsRepository {
  constructor(private readonly sql: Sql) {}

  async create(thread: NewThread, messages: NewMessage[], on?: Queryable): Promise<ThreadRecord> {
    const params: unknown[] = [thread.id, thread.tenantId, JSON.stringify(thread.metadata), JSON.stringify(thread.toolResources)];
    if (messages.length === 0) return (await this.sql.rows<ThreadRecord>(INSERT, params, on))[0];
    // Columns as arrays, not one JSON document: json_to_recordset would unescape \u0000, which text cannot hold.
    params.push(
      messages.map((m) => m.id),
      messages.map((m) => m.role),
      messages.map((m) => JSON.stringify(m.content)),
      messages.map((m) => JSON.stringify(m.attachments)),
      messages.map((m) => JSON.stringify(m.metadata)),
    );
    return (await this.sql.rows<ThreadRecord>(INSERT_WITH_MESSAGES, params, on))[0];
  }

  async find(tenant: string, threadId: string): Promise<ThreadRecord | undefined> {
    return (await this.sql.rows<ThreadRecord>(FIND, [threadId, tenant]))[0];
  }

  /** Sets what is given (metadata, tool resources); null keeps the stored value. */
  async modify(
    tenant: string,
    threadId: string,
    changes: { metadata: Metadata | null; toolResources: ToolResources | null },
  ): Promise<ThreadRecord | undefined> {
    return (await this.sql.rows<ThreadRecord>(MODIFY, [threadId, tenant, json(changes.metadata), json(changes.toolResources)]))[0];
  }

  /** True when the thread (and with it its messages) was deleted. */
  async delete(tenant: string, threadId: string): Promise<boolean> {
    return (await this.sql.rows<{ id: string }>(DELETE, [threadId, tenant])).length > 0;
  }
}
