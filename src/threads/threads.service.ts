import { Injectable } from '@nestjs/common';
import { Sql, statement } from '../database/sql';
import { Shape } from '../common/api-version/api-request';
import { ApiError, threadNotFound } from '../common/errors/api-error';
import { newThreadId } from '../common/ids';
import { IdempotentRequest } from '../idempotency/idempotency-key.decorator';
import { IdempotencyService } from '../idempotency/idempotency.service';
import { MessageWriter } from '../messages/message.writer';
import { toNewMessage } from '../messages/new-message';
import { CreateThreadDto } from './dto/create-thread.dto';
import { ModifyThreadDto } from './dto/modify-thread.dto';
import { ToolResourcesDto } from './dto/tool-resources.dto';
import { THREAD_COLUMNS } from './thread.columns';
import { presentThread, presentThreadDeleted } from './thread.presenter';
import { ThreadEntity, ToolResources } from './thread.entity';

const FIND = statement(`SELECT ${THREAD_COLUMNS} FROM threads WHERE id = $1 AND tenant_id = $2`);
const MODIFY = statement(`
  UPDATE threads SET metadata = COALESCE($3::json, metadata), tool_resources = COALESCE($4::json, tool_resources)
  WHERE id = $1 AND tenant_id = $2
  RETURNING ${THREAD_COLUMNS}`);
const DELETE = statement(`DELETE FROM threads WHERE id = $1 AND tenant_id = $2 RETURNING id`);

/** Only the resources that were sent, in the API's form (class instances become plain objects). */
function toolResources(dto: ToolResourcesDto | null | undefined): ToolResources {
  const resources: ToolResources = {};
  if (dto?.code_interpreter) resources.code_interpreter = { file_ids: dto.code_interpreter.file_ids ?? [] };
  if (dto?.file_search) resources.file_search = { vector_store_ids: dto.file_search.vector_store_ids ?? [] };
  return resources;
}

const json = (value: unknown): string | null => (value === undefined || value === null ? null : JSON.stringify(value));

@Injectable()
export class ThreadsService {
  constructor(
    private readonly sql: Sql,
    private readonly messages: MessageWriter,
    private readonly idempotency: IdempotencyService,
  ) {}

  async create(tenant: string, shape: Shape, dto: CreateThreadDto, idempotency?: IdempotentRequest) {
    if (shape === 'v1' && dto.tool_resources !== undefined) throw ApiError.unknownParameter('tool_resources');
    const messages = (dto.messages ?? []).map((message, i) => toNewMessage(message, shape, `messages[${i}].`));
    const thread = { tenantId: tenant, metadata: dto.metadata ?? {}, toolResources: toolResources(dto.tool_resources) };
    return this.idempotency.run(tenant, idempotency, async (on) =>
      presentThread(await this.messages.createThread({ ...thread, id: newThreadId() }, messages, on), shape),
    );
  }

  async retrieve(tenant: string, shape: Shape, threadId: string) {
    const rows: ThreadEntity[] = await this.sql.rows<ThreadEntity>(FIND, [threadId, tenant]);
    if (rows.length === 0) throw threadNotFound(threadId);
    return presentThread(rows[0], shape);
  }

  async modify(tenant: string, shape: Shape, threadId: string, dto: ModifyThreadDto) {
    if (shape === 'v1' && dto.tool_resources !== undefined) throw ApiError.unknownParameter('tool_resources');
    const resources = dto.tool_resources ? toolResources(dto.tool_resources) : null;
    const rows: ThreadEntity[] = await this.sql.rows<ThreadEntity>(MODIFY, [threadId, tenant, json(dto.metadata), json(resources)]);
    if (rows.length === 0) throw threadNotFound(threadId);
    return presentThread(rows[0], shape);
  }

  async delete(tenant: string, threadId: string) {
    const rows: { id: string }[] = await this.sql.rows<{ id: string }>(DELETE, [threadId, tenant]);
    if (rows.length === 0) throw threadNotFound(threadId);
    return presentThreadDeleted(threadId);
  }
}
