import { Injectable } from '@nestjs/common';
import { Queryable, Sql, statement } from '../database/sql';
import { threadNotFound } from '../common/errors/api-error';
import { FOREIGN_KEY_VIOLATION, sqlState } from '../common/errors/pg-errors';
import { THREAD_COLUMNS } from '../threads/thread.columns';
import { Metadata, ThreadEntity, ToolResources } from '../threads/thread.entity';
import { MessageRecord } from './message.entity';
import { NewMessage } from './new-message';

const NOW = 'extract(epoch from now())::bigint';

/** Only the time comes back: the rest of the message is what was sent (json columns keep their text as given). */
const INSERT_INTO_THREAD = statement(`
  INSERT INTO messages (thread_id, id, tenant_id, created_at, completed_at, role, content, attachments, metadata)
  SELECT t.id, $3, t.tenant_id, ${NOW}, ${NOW}, $4, $5::json, $6::json, $7::json
  FROM threads t WHERE t.id = $1 AND t.tenant_id = $2
  RETURNING created_at AS "createdAt"`);

const INSERT_THREAD_TEXT = `
  INSERT INTO threads (id, tenant_id, created_at, metadata, tool_resources)
  VALUES ($1, $2, ${NOW}, $3::json, $4::json)
  RETURNING ${THREAD_COLUMNS}`;

const INSERT_THREAD = statement(INSERT_THREAD_TEXT);

/** Thread and messages in one statement: all or nothing, messages keyed in the order given. */
const INSERT_THREAD_WITH_MESSAGES = statement(`
  WITH thread AS (${INSERT_THREAD_TEXT}),
  inserted AS (
    INSERT INTO messages (thread_id, id, tenant_id, created_at, completed_at, role, content, attachments, metadata)
    SELECT thread.id, m.id, $2, thread."createdAt", thread."createdAt", m.role, m.content, m.attachments, m.metadata
    FROM thread,
      unnest($5::varchar[], $6::varchar[], $7::json[], $8::json[], $9::json[]) WITH ORDINALITY
        AS m(id, role, content, attachments, metadata, ord)
    ORDER BY m.ord
  )
  SELECT thread.* FROM thread`);

export interface NewThread {
  id: string;
  tenantId: string;
  metadata: Metadata;
  toolResources: ToolResources;
}

/** Writes messages; knows the threads table only to check ownership and to create a thread with its first messages. */
@Injectable()
export class MessageWriter {
  constructor(private readonly sql: Sql) {}

  async insertIntoThread(tenantId: string, threadId: string, message: NewMessage, on?: Queryable): Promise<MessageRecord> {
    let rows: { createdAt: number }[];
    try {
      rows = await this.sql.rows<{ createdAt: number }>(INSERT_INTO_THREAD, [
        threadId,
        tenantId,
        message.id,
        message.role,
        JSON.stringify(message.content),
        JSON.stringify(message.attachments),
        JSON.stringify(message.metadata),
      ], on);
    } catch (error) {
      if (sqlState(error) === FOREIGN_KEY_VIOLATION) throw threadNotFound(threadId);
      throw error;
    }
    if (rows.length === 0) throw threadNotFound(threadId);
    const { createdAt } = rows[0];
    return {
      id: message.id,
      threadId,
      createdAt,
      role: message.role,
      content: message.content,
      attachments: message.attachments,
      assistantId: null,
      runId: null,
      status: 'completed',
      incompleteDetails: null,
      completedAt: createdAt,
      incompleteAt: null,
      metadata: message.metadata,
    };
  }

  async createThread(thread: NewThread, messages: NewMessage[], on?: Queryable): Promise<ThreadEntity> {
    const params: unknown[] = [thread.id, thread.tenantId, JSON.stringify(thread.metadata), JSON.stringify(thread.toolResources)];
    if (messages.length === 0) return (await this.sql.rows<ThreadEntity>(INSERT_THREAD, params, on))[0];
    // Columns as arrays, not one JSON document: json_to_recordset would unescape \u0000, which text cannot hold.
    params.push(
      messages.map((m) => m.id),
      messages.map((m) => m.role),
      messages.map((m) => JSON.stringify(m.content)),
      messages.map((m) => JSON.stringify(m.attachments)),
      messages.map((m) => JSON.stringify(m.metadata)),
    );
    return (await this.sql.rows<ThreadEntity>(INSERT_THREAD_WITH_MESSAGES, params, on))[0];
  }
}
