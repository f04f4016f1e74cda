import { Injectable } from '@nestjs/common';
import { Shape } from '../common/api-version/api-request';
import { ApiError, notFound } from '../common/errors/api-error';
import { newThreadId } from '../common/ids';
import { IdempotentRequest } from '../idempotency/idempotency-key.decorator';
import { IdempotencyService } from '../idempotency/idempotency.service';
import { DEFAULT_LIMIT, planKeyset } from '../common/pagination/keyset';
import { listEnvelope } from '../common/pagination/list-envelope';
import { invalidCursor } from '../messages/messages.service';
import { fileReferencesOf, toNewMessage } from '../messages/new-message';
import { ListThreadsQueryDto } from './dto/list-threads-query.dto';
import { FileReference, FileReferences } from '../files/file-references';
import { CreateThreadDto } from './dto/create-thread.dto';
import { ModifyThreadDto } from './dto/modify-thread.dto';
import { ToolResourcesDto } from './dto/tool-resources.dto';
import { ToolResources } from './thread.entity';
import { presentThread, presentThreadDeleted } from './thread.presenter';
import { ThreadRecord, ThreadsRepository, ThreadWrite } from './threads.repository';

/** Only the resources that were sent, in the API's form (class instances become plain objects). */
function toolResources(dto: ToolResourcesDto | null | undefined): ToolResources {
  const resources: ToolResources = {};
  if (dto?.code_interpreter) resources.code_interpreter = { file_ids: dto.code_interpreter.file_ids ?? [] };
  if (dto?.file_search) resources.file_search = { vector_store_ids: dto.file_search.vector_store_ids ?? [] };
  return resources;
}

/** The code interpreter's file ids (vector store ids stay as given: there is no vector store API). */
function toolFileReferences(resources: ToolResources, prefix = 'tool_resources'): FileReference[] {
  return (resources.code_interpreter?.file_ids ?? []).map((fileId, i) => ({ fileId, param: `${prefix}.code_interpreter.file_ids[${i}]` }));
}

function found(thread: ThreadRecord | undefined, threadId: string): ThreadRecord {
  if (!thread) throw notFound('thread', threadId);
  return thread;
}

@Injectable()
export class ThreadsService {
  constructor(
    private readonly threads: ThreadsRepository,
    private readonly idempotency: IdempotencyService,
    private readonly fileReferences: FileReferences,
  ) {}

  /** The thread written, or the answer to the first file id that names no file. */
  private stored(write: ThreadWrite | undefined, references: FileReference[], threadId: string): ThreadRecord {
    if (write?.kind === 'missing-file') throw this.fileReferences.missing(references, write.position);
    return found(write?.thread, threadId);
  }

  /** A thread with its first messages (converted and checked by the messages module's rules), in one statement. */
  async create(tenant: string, shape: Shape, dto: CreateThreadDto, idempotency?: IdempotentRequest) {
    if (shape === 'v1' && dto.tool_resources !== undefined) throw ApiError.unknownParameter('tool_resources');
    const messages = (dto.messages ?? []).map((message, i) => toNewMessage(message, shape, `messages[${i}].`));
    const thread = { tenantId: tenant, metadata: dto.metadata ?? {}, toolResources: toolResources(dto.tool_resources) };
    const references = [...toolFileReferences(thread.toolResources), ...messages.flatMap((message, i) => fileReferencesOf(message, shape, `messages[${i}].`))];
    const fileIds = this.fileReferences.toCheck(references);
    const id = newThreadId();
    return this.idempotency.run(tenant, idempotency, async (on) =>
      presentThread(this.stored(await this.threads.create({ ...thread, id }, messages, on, fileIds), references, id), shape),
    );
  }

  /** Our extension: the tenant's threads, keyset-paginated like messages, filtered by metadata and creation time. */
  async list(tenant: string, shape: Shape, query: ListThreadsQueryDto) {
    const order = query.order ?? 'desc';
    const plan = planKeyset(order, query.after ? 'after' : query.before ? 'before' : 'none', query.limit ?? DEFAULT_LIMIT);
    const metadata = query.metadata && Object.keys(query.metadata).length > 0 ? query.metadata : undefined;
    const page = await this.threads.list({
      tenant,
      order,
      plan,
      after: query.after,
      before: query.before,
      metadata,
      createdAfter: query.created_after,
      createdBefore: query.created_before,
    });
    if (page.kind === 'no-cursor') throw invalidCursor(page.param, page.param === 'after' ? (query.after as string) : (query.before as string));
    return listEnvelope(
      page.threads.map((thread) => presentThread(thread, shape)),
      page.hasMore,
    );
  }

  async retrieve(tenant: string, shape: Shape, threadId: string) {
    return presentThread(found(await this.threads.find(tenant, threadId), threadId), shape);
  }

  async modify(tenant: string, shape: Shape, threadId: string, dto: ModifyThreadDto) {
    if (shape === 'v1' && dto.tool_resources !== undefined) throw ApiError.unknownParameter('tool_resources');
    const changes = { metadata: dto.metadata ?? null, toolResources: dto.tool_resources ? toolResources(dto.tool_resources) : null };
    const references = changes.toolResources ? toolFileReferences(changes.toolResources) : [];
    return presentThread(
      this.stored(await this.threads.modify(tenant, threadId, changes, this.fileReferences.toCheck(references)), references, threadId),
      shape,
    );
  }

  async delete(tenant: string, threadId: string) {
    if (!(await this.threads.delete(tenant, threadId))) throw notFound('thread', threadId);
    return presentThreadDeleted(threadId);
  }
}
