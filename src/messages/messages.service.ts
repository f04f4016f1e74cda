import { Injectable } from '@nestjs/common';
import { Shape } from '../common/api-version/api-request';
import { ApiError, notFound } from '../common/errors/api-error';
import { IdempotencyService } from '../idempotency/idempotency.service';
import { IdempotentRequest } from '../idempotency/idempotency-key.decorator';
import { listEnvelope, ListEnvelope } from '../common/pagination/list-envelope';
import { DEFAULT_LIMIT, planKeyset } from '../common/pagination/keyset';
import { ListQueryDto } from '../common/pagination/list-query.dto';
import { CreateMessageDto } from './dto/create-message.dto';
import { ListMessagesQueryDto } from './dto/list-messages-query.dto';
import { ModifyMessageDto } from './dto/modify-message.dto';
import { MessageRecord } from './message.entity';
import { pageOfFiles } from './message-files';
import { MessageFileObject, presentMessage, presentMessageDeleted, presentMessageFiles } from './message.presenter';
import { MessageLookup, MessagesRepository } from './messages.repository';
import { fileReferencesOf, toNewMessage } from './new-message';
import { SearchMessagesQueryDto } from './dto/search-messages-query.dto';
import { searchTerms } from './search-query';
import { parseHitCursor, presentSearchHit } from './search.presenter';
import { FileReferences } from '../files/file-references';

@Injectable()
export class MessagesService {
  constructor(
    private readonly messages: MessagesRepository,
    private readonly idempotency: IdempotencyService,
    private readonly fileReferences: FileReferences,
  ) {}

  async create(tenant: string, shape: Shape, threadId: string, dto: CreateMessageDto, idempotency?: IdempotentRequest) {
    const message = toNewMessage(dto, shape);
    const references = fileReferencesOf(message, shape);
    return this.idempotency.run(tenant, idempotency, async (on) => {
      const inserted = await this.messages.insert(tenant, threadId, message, on, this.fileReferences.toCheck(references));
      if (inserted.kind === 'no-thread') throw notFound('thread', threadId);
      if (inserted.kind === 'missing-file') throw this.fileReferences.missing(references, inserted.position);
      return presentMessage(inserted.message, shape);
    });
  }

  async retrieve(tenant: string, shape: Shape, threadId: string, messageId: string) {
    return presentMessage(await this.find(tenant, threadId, messageId), shape);
  }

  async modify(tenant: string, shape: Shape, threadId: string, messageId: string, dto: ModifyMessageDto) {
    if (dto.metadata === undefined || dto.metadata === null) return this.retrieve(tenant, shape, threadId, messageId);
    return presentMessage(found(await this.messages.modifyMetadata(tenant, threadId, messageId, dto.metadata), threadId, messageId), shape);
  }

  async delete(tenant: string, threadId: string, messageId: string) {
    const deleted = await this.messages.delete(tenant, threadId, messageId);
    if (deleted.kind === 'no-thread') throw notFound('thread', threadId);
    if (deleted.kind === 'no-message') throw notFound('message', messageId);
    return presentMessageDeleted(deleted.id);
  }

  async list(tenant: string, shape: Shape, threadId: string, query: ListMessagesQueryDto) {
    const order = query.order ?? 'desc';
    const plan = planKeyset(order, query.after ? 'after' : query.before ? 'before' : 'none', query.limit ?? DEFAULT_LIMIT);
    const search = query.query !== undefined ? searchTerms(query.query) : undefined;
    const page = await this.messages.list({ order, plan, threadId, tenant, after: query.after, before: query.before, runId: query.run_id, search });
    if (page.kind === 'no-thread') throw notFound('thread', threadId);
    if (page.kind === 'no-cursor') throw invalidCursor(page.param, page.param === 'after' ? (query.after as string) : (query.before as string));
    return listEnvelope(
      page.messages.map((message) => presentMessage(message, shape)),
      page.hasMore,
    );
  }

  /** Our extension: the tenant's messages that match a search, across its threads, best first within windows of the newest matches. */
  async search(tenant: string, shape: Shape, query: SearchMessagesQueryDto) {
    const search = searchTerms(query.query);
    const after = query.after !== undefined ? parseHitCursor(query.after) : undefined;
    const { hits, hasMore } = await this.messages.search({ tenant, search, limit: query.limit ?? DEFAULT_LIMIT, after });
    return listEnvelope(
      hits.map((hit) => presentSearchHit(hit, shape)),
      hasMore,
    );
  }

  /** v1 only: a message's files, as `thread.message.file` objects, paged over the attachment list. */
  async listFiles(tenant: string, threadId: string, messageId: string, query: ListQueryDto): Promise<ListEnvelope<MessageFileObject>> {
    const page = pageOfFiles(presentMessageFiles(await this.find(tenant, threadId, messageId)), query);
    if (page.kind === 'no-cursor') throw invalidCursor(page.param, page.id);
    return listEnvelope(page.files, page.hasMore);
  }

  async retrieveFile(tenant: string, threadId: string, messageId: string, fileId: string): Promise<MessageFileObject> {
    const file = presentMessageFiles(await this.find(tenant, threadId, messageId)).find((f) => f.id === fileId);
    if (!file) throw ApiError.notFound(`No file found with id '${fileId}' on message '${messageId}'.`);
    return file;
  }

  private async find(tenant: string, threadId: string, messageId: string): Promise<MessageRecord> {
    return found(await this.messages.find(tenant, threadId, messageId), threadId, messageId);
  }
}

function found(lookup: MessageLookup, threadId: string, messageId: string): MessageRecord {
  if (lookup.kind === 'no-thread') throw notFound('thread', threadId);
  if (lookup.kind === 'no-message') throw notFound('message', messageId);
  return lookup.message;
}

export function invalidCursor(param: 'after' | 'before', id: string): ApiError {
  return ApiError.badRequest(
    `Invalid '${param}': '${id}' is not an object of this list. Use the id of an object from a previous page.`,
    param,
    'invalid_cursor',
  );
}
