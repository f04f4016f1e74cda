import { Injectable } from '@nestjs/common';
import { Sql, statement } from '../database/sql';
import { Shape } from '../common/api-version/api-request';
import { ApiError, messageNotFound, threadNotFound } from '../common/errors/api-error';
import { IdempotencyService } from '../idempotency/idempotency.service';
import { IdempotentRequest } from '../idempotency/idempotency-key.decorator';
import { listEnvelope, ListEnvelope } from '../common/pagination/list-envelope';
import { DEFAULT_LIMIT, planKeyset, takePage } from '../common/pagination/keyset';
import { ListQueryDto } from '../common/pagination/list-query.dto';
import { CreateMessageDto } from './dto/create-message.dto';
import { ListMessagesQueryDto } from './dto/list-messages-query.dto';
import { ModifyMessageDto } from './dto/modify-message.dto';
import { messageColumns } from './message.columns';
import { MessageEntity } from './message.entity';
import { MessageFileObject, presentMessage, presentMessageDeleted, presentMessageFiles } from './message.presenter';
import { MessageWriter } from './message.writer';
import { toNewMessage } from './new-message';
import { listMessagesSql } from './list-messages.sql';

/** A row of a query that joins the thread (ownership) to an optional message. */
type ThreadScopedRow = MessageEntity & { threadFound: string };

const FIND = statement(`
  SELECT t.id AS "threadFound", ${messageColumns('m')}
  FROM threads t LEFT JOIN messages m ON m.thread_id = t.id AND m.id = $3
  WHERE t.id = $1 AND t.tenant_id = $2`);

const MODIFY = statement(`
  WITH t AS (SELECT id FROM threads WHERE id = $1 AND tenant_id = $2),
  u AS (
    UPDATE messages m SET metadata = $4::json FROM t
    WHERE m.thread_id = t.id AND m.id = $3
    RETURNING ${messageColumns('m')}
  )
  SELECT t.id AS "threadFound", u.* FROM t LEFT JOIN u ON true`);

const DELETE = statement(`
  WITH t AS (SELECT id FROM threads WHERE id = $1 AND tenant_id = $2),
  d AS (DELETE FROM messages m USING t WHERE m.thread_id = t.id AND m.id = $3 RETURNING m.id)
  SELECT t.id AS "threadFound", d.id FROM t LEFT JOIN d ON true`);

@Injectable()
export class MessagesService {
  constructor(
    private readonly sql: Sql,
    private readonly writer: MessageWriter,
    private readonly idempotency: IdempotencyService,
  ) {}

  async create(tenant: string, shape: Shape, threadId: string, dto: CreateMessageDto, idempotency?: IdempotentRequest) {
    const message = toNewMessage(dto, shape);
    return this.idempotency.run(tenant, idempotency, async (on) =>
      presentMessage(await this.writer.insertIntoThread(tenant, threadId, message, on), shape),
    );
  }

  async retrieve(tenant: string, shape: Shape, threadId: string, messageId: string) {
    return presentMessage(await this.find(tenant, threadId, messageId), shape);
  }

  async modify(tenant: string, shape: Shape, threadId: string, messageId: string, dto: ModifyMessageDto) {
    if (dto.metadata === undefined || dto.metadata === null) return this.retrieve(tenant, shape, threadId, messageId);
    const rows: ThreadScopedRow[] = await this.sql.rows<ThreadScopedRow>(MODIFY, [threadId, tenant, messageId, JSON.stringify(dto.metadata)]);
    return presentMessage(this.found(rows, threadId, messageId), shape);
  }

  async delete(tenant: string, threadId: string, messageId: string) {
    const rows: ThreadScopedRow[] = await this.sql.rows<ThreadScopedRow>(DELETE, [threadId, tenant, messageId]);
    return presentMessageDeleted(this.found(rows, threadId, messageId).id);
  }

  async list(tenant: string, shape: Shape, threadId: string, query: ListMessagesQueryDto) {
    const order = query.order ?? 'desc';
    const plan = planKeyset(order, query.after ? 'after' : query.before ? 'before' : 'none', query.limit ?? DEFAULT_LIMIT);
    const { sql, params } = listMessagesSql({ order, plan, threadId, tenant, after: query.after, before: query.before, runId: query.run_id });
    const rows: (ThreadScopedRow & { afterSeq: string | null; beforeSeq: string | null })[] = await this.sql.rows(statement(sql), params);
    if (rows.length === 0) throw threadNotFound(threadId);
    if (query.after && rows[0].afterSeq === null) throw invalidCursor('after', query.after);
    if (query.before && rows[0].beforeSeq === null) throw invalidCursor('before', query.before);
    const { items, hasMore } = takePage(
      rows.filter((row) => row.id !== null),
      plan,
    );
    return listEnvelope(
      items.map((row) => presentMessage(row, shape)),
      hasMore,
    );
  }

  /** v1 only: a message's files, as `thread.message.file` objects, paged over the attachment list. */
  async listFiles(tenant: string, threadId: string, messageId: string, query: ListQueryDto): Promise<ListEnvelope<MessageFileObject>> {
    const files = presentMessageFiles(await this.find(tenant, threadId, messageId));
    const ordered = (query.order ?? 'desc') === 'desc' ? files.reverse() : files;
    const position = (id: string | undefined, param: 'after' | 'before') => {
      if (id === undefined) return undefined;
      const index = ordered.findIndex((file) => file.id === id);
      if (index < 0) throw invalidCursor(param, id);
      return index;
    };
    const after = position(query.after, 'after');
    const before = position(query.before, 'before');
    const limit = query.limit ?? DEFAULT_LIMIT;
    const start = after === undefined ? 0 : after + 1;
    const end = before === undefined ? ordered.length : before;
    const window = ordered.slice(start, Math.max(start, end));
    const page = before !== undefined && after === undefined ? window.slice(-limit) : window.slice(0, limit);
    return listEnvelope(page, page.length < window.length);
  }

  async retrieveFile(tenant: string, threadId: string, messageId: string, fileId: string): Promise<MessageFileObject> {
    const file = presentMessageFiles(await this.find(tenant, threadId, messageId)).find((f) => f.id === fileId);
    if (!file) throw ApiError.notFound(`No file found with id '${fileId}' on message '${messageId}'.`);
    return file;
  }

  private async find(tenant: string, threadId: string, messageId: string): Promise<MessageEntity> {
    const rows: ThreadScopedRow[] = await this.sql.rows<ThreadScopedRow>(FIND, [threadId, tenant, messageId]);
    return this.found(rows, threadId, messageId);
  }

  private found(rows: ThreadScopedRow[], threadId: string, messageId: string): MessageEntity {
    if (rows.length === 0) throw threadNotFound(threadId);
    if (rows[0].id === null) throw messageNotFound(messageId);
    return rows[0];
  }
}

function invalidCursor(param: 'after' | 'before', id: string): ApiError {
  return ApiError.badRequest(
    `Invalid '${param}': '${id}' is not an object of this list. Use the id of an object from a previous page.`,
    param,
    'invalid_cursor',
  );
}
