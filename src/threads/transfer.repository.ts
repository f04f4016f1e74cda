import { Injectable } from '@nestjs/common';
import { Metadata } from '../common/metadata/is-metadata';
import { Queryable, Sql, statement } from '../database/sql';
import { FileRecord } from '../files/file.entity';
import { FILE_COLUMNS, liveFile } from '../files/files.repository';
import { MessageRecord } from '../messages/message.entity';
import { messageColumns } from '../messages/message-columns';
import { ToolResources } from './thread.entity';
import { ThreadRecord } from './threads.repository';

const THREAD_COLUMNS = `id, created_at AS "createdAt", metadata, tool_resources AS "toolResources"`;

/** The tenant's threads in (created_at, id) order from a key: the export's walk on the list index. */
const THREADS_FROM = statement(`
  SELECT ${THREAD_COLUMNS} FROM threads
  WHERE tenant_id = $1 AND (created_at, id) > ($2::bigint, $3::varchar)
  ORDER BY tenant_id, created_at, id LIMIT $4`);

const FIND = statement(`SELECT ${THREAD_COLUMNS} FROM threads WHERE id = $1 AND tenant_id = $2`);

/** A thread's messages in their order from an order key (the primary key's walk); conversation items stored whole are not exported. */
const MESSAGES_FROM = statement(`
  SELECT m.seq, ${messageColumns('m')} FROM messages m
  WHERE m.thread_id = $1 AND m.seq > $2 AND m.item IS NULL ORDER BY m.thread_id, m.seq LIMIT $3`);

const MESSAGES_BY_ID = statement(`SELECT ${messageColumns('m')} FROM messages m WHERE m.thread_id = $1 AND m.id = ANY($2::varchar[]) AND m.item IS NULL`);

const COUNT_MESSAGES = statement(`SELECT count(*)::int AS n FROM messages WHERE thread_id = $1 AND item IS NULL`);

const ANALYSE = statement(`ANALYZE threads, messages`);

/** An array, or null (which unnests to no row): a value stored by an import with 'any' references may have another shape. */
const array = (value: string) => `CASE WHEN json_typeof(${value}) = 'array' THEN ${value} END`;

/**
 * The tenant's live files that a thread names (its code interpreter's file_ids) or its messages do
 * (attachments, image_file parts), in upload order: what an export of chosen threads carries with them.
 */
const REFERENCED_FILES = statement(`
  WITH referenced AS (
    SELECT a->>'file_id' AS id FROM messages m, json_array_elements(${array('m.attachments')}) a WHERE m.thread_id = $1 AND m.item IS NULL
    UNION
    SELECT p->'image_file'->>'file_id' FROM messages m, json_array_elements(${array('m.content')}) p
    WHERE m.thread_id = $1 AND m.item IS NULL AND p->>'type' = 'image_file'
    UNION
    SELECT x.id FROM threads t, json_array_elements_text(${array("t.tool_resources->'code_interpreter'->'file_ids'")}) AS x(id)
    WHERE t.id = $1 AND t.tenant_id = $2)
  SELECT ${FILE_COLUMNS('f')} FROM files f
  WHERE f.id IN (SELECT id FROM referenced) AND f.tenant_id = $2 AND ${liveFile('f')} ORDER BY f.tenant_id, f.seq`);

const INSERT_THREAD = statement(`
  INSERT INTO threads (id, tenant_id, created_at, metadata, tool_resources) VALUES ($1, $2, $3, $4::json, $5::json)
  ON CONFLICT (id) DO NOTHING RETURNING id`);

const OWNER = statement(`SELECT tenant_id AS "tenantId" FROM threads WHERE id = $1`);

/** Messages as given (ids, times, order), keyed in the order of the arrays. */
const INSERT_MESSAGES = statement(`
  INSERT INTO messages (thread_id, id, tenant_id, created_at, role, content, attachments, assistant_id, run_id, status,
                        incomplete_details, completed_at, incomplete_at, metadata)
  SELECT $1, m.id, $2, m.created_at, m.role, m.content, m.attachments, m.assistant_id, m.run_id, m.status,
         m.incomplete_details, m.completed_at, m.incomplete_at, m.metadata
  FROM unnest($3::varchar[], $4::bigint[], $5::varchar[], $6::json[], $7::json[], $8::varchar[], $9::varchar[], $10::varchar[],
              $11::json[], $12::bigint[], $13::bigint[], $14::json[]) WITH ORDINALITY
    AS m(id, created_at, role, content, attachments, assistant_id, run_id, status, incomplete_details, completed_at, incomplete_at, metadata, ord)
  ORDER BY m.ord`);

const json = (value: unknown): string | null => (value === null || value === undefined ? null : JSON.stringify(value));

/** Export and import: threads and messages read in order and written as given (ids, times, order kept). */
@Injectable()
export class TransferRepository {
  constructor(private readonly sql: Sql) {}

  /**
   * Gathers the planner's statistics of the tables an import fills, as autovacuum would a while later: until
   * then the tenant-wide search may take a common word's plan for a rare word (messages/tenant-search.ts).
   */
  async analyse(): Promise<void> {
    await this.sql.rows(ANALYSE, []);
  }

  async threadsFrom(tenant: string, from: { createdAt: number; id: string }, limit: number): Promise<ThreadRecord[]> {
    return this.sql.rows<ThreadRecord>(THREADS_FROM, [tenant, from.createdAt, from.id, limit]);
  }

  async find(tenant: string, threadId: string, on?: Queryable): Promise<ThreadRecord | undefined> {
    return (await this.sql.rows<ThreadRecord>(FIND, [threadId, tenant], on))[0];
  }

  async messagesFrom(threadId: string, afterSeq: number, limit: number): Promise<(MessageRecord & { seq: number })[]> {
    return this.sql.rows<MessageRecord & { seq: number }>(MESSAGES_FROM, [threadId, afterSeq, limit]);
  }

  async referencedFiles(tenant: string, threadId: string): Promise<FileRecord[]> {
    return this.sql.rows<FileRecord>(REFERENCED_FILES, [threadId, tenant]);
  }

  async messagesById(threadId: string, ids: string[], on?: Queryable): Promise<MessageRecord[]> {
    return this.sql.rows<MessageRecord>(MESSAGES_BY_ID, [threadId, ids], on);
  }

  async countMessages(threadId: string, on?: Queryable): Promise<number> {
    return (await this.sql.rows<{ n: number }>(COUNT_MESSAGES, [threadId], on))[0].n;
  }

  /** 'inserted'; 'exists' (the tenant's already); 'taken' (another tenant's id). */
  async insertThread(
    tenant: string,
    thread: { id: string; createdAt: number; metadata: Metadata; toolResources: ToolResources },
    on: Queryable,
  ): Promise<'inserted' | 'exists' | 'taken'> {
    const rows = await this.sql.rows(INSERT_THREAD, [thread.id, tenant, thread.createdAt, json(thread.metadata), json(thread.toolResources)], on);
    if (rows.length > 0) return 'inserted';
    const owner = (await this.sql.rows<{ tenantId: string }>(OWNER, [thread.id], on))[0];
    return owner?.tenantId === tenant ? 'exists' : 'taken';
  }

  async insertMessages(tenant: string, threadId: string, messages: MessageRecord[], on: Queryable): Promise<void> {
    if (messages.length === 0) return;
    await this.sql.rows(
      INSERT_MESSAGES,
      [
        threadId,
        tenant,
        messages.map((m) => m.id),
        messages.map((m) => m.createdAt),
        messages.map((m) => m.role),
        messages.map((m) => json(m.content)),
        messages.map((m) => json(m.attachments)),
        messages.map((m) => m.assistantId),
        messages.map((m) => m.runId),
        messages.map((m) => m.status),
        messages.map((m) => json(m.incompleteDetails)),
        messages.map((m) => m.completedAt),
        messages.map((m) => m.incompleteAt),
        messages.map((m) => json(m.metadata)),
      ],
      on,
    );
  }
}
