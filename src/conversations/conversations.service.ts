import { Injectable } from '@nestjs/common';
import { ApiError, notFound } from '../common/errors/api-error';
import { newThreadId } from '../common/ids';
import { DEFAULT_LIMIT, planKeyset } from '../common/pagination/keyset';
import { listEnvelope, ListEnvelope } from '../common/pagination/list-envelope';
import { FileReferences } from '../files/file-references';
import { IdempotentRequest } from '../idempotency/idempotency-key.decorator';
import { IdempotencyService } from '../idempotency/idempotency.service';
import { ThreadRecord, ThreadsRepository } from '../threads/threads.repository';
import { itemFileReferences, PresentedItem, presentItem, toNewItem } from './conversation-item';
import { ConversationItemsRepository } from './conversation-items.repository';
import { ConversationObject, presentConversation, presentConversationDeleted, threadIdOf } from './conversation.presenter';
import { CreateConversationDto } from './dto/create-conversation.dto';
import { CreateItemsDto } from './dto/create-items.dto';
import { ListItemsQueryDto } from './dto/item-query.dto';
import { UpdateConversationDto } from './dto/update-conversation.dto';

/** The thread a conversation id names; an id that names none is a missing conversation. */
function threadOf(conversationId: string): string {
  const threadId = threadIdOf(conversationId);
  if (threadId === undefined) throw notFound('conversation', conversationId);
  return threadId;
}

function found(thread: ThreadRecord | undefined, conversationId: string): ThreadRecord {
  if (!thread) throw notFound('conversation', conversationId);
  return thread;
}

/**
 * The Conversations API over the Assistants store: conversations are threads, items are
 * messages (or items stored whole beside them). Rules here, statements in the repositories.
 */
@Injectable()
export class ConversationsService {
  constructor(
    private readonly threads: ThreadsRepository,
    private readonly items: ConversationItemsRepository,
    private readonly idempotency: IdempotencyService,
    private readonly fileReferences: FileReferences,
  ) {}

  async create(tenant: string, dto: CreateConversationDto, idempotency?: IdempotentRequest): Promise<ConversationObject> {
    const inputs = dto.items ?? [];
    const items = inputs.map(toNewItem);
    const references = items.flatMap((item, i) => itemFileReferences(inputs[i], item, `items[${i}].`));
    const thread = { id: newThreadId(), tenantId: tenant, metadata: dto.metadata ?? {} };
    return this.idempotency.run(tenant, idempotency, async (on) => {
      const created = await this.items.create(thread, items, on, this.fileReferences.toCheck(references));
      if (created.kind === 'missing-file') throw this.fileReferences.missing(references, created.position);
      return presentConversation(created.thread);
    });
  }

  async retrieve(tenant: string, conversationId: string): Promise<ConversationObject> {
    return presentConversation(found(await this.threads.find(tenant, threadOf(conversationId)), conversationId));
  }

  /** Metadata only (a thread's tool resources are kept as they are). */
  async update(tenant: string, conversationId: string, dto: UpdateConversationDto): Promise<ConversationObject> {
    const changes = { metadata: dto.metadata ?? {}, toolResources: null };
    // No file ids to check: the tool resources are not changed.
    const written = await this.threads.modify(tenant, threadOf(conversationId), changes);
    return presentConversation(found(written?.kind === 'thread' ? written.thread : undefined, conversationId));
  }

  async delete(tenant: string, conversationId: string) {
    if (!(await this.threads.delete(tenant, threadOf(conversationId)))) throw notFound('conversation', conversationId);
    return presentConversationDeleted(conversationId);
  }

  async createItems(tenant: string, conversationId: string, dto: CreateItemsDto, idempotency?: IdempotentRequest): Promise<ListEnvelope<PresentedItem>> {
    const threadId = threadOf(conversationId);
    const items = dto.items.map(toNewItem);
    const references = items.flatMap((item, i) => itemFileReferences(dto.items[i], item, `items[${i}].`));
    return this.idempotency.run(tenant, idempotency, async (on) => {
      const inserted = await this.items.insert(tenant, threadId, items, on, this.fileReferences.toCheck(references));
      if (inserted.kind === 'no-thread') throw notFound('conversation', conversationId);
      if (inserted.kind === 'missing-file') throw this.fileReferences.missing(references, inserted.position);
      return listEnvelope(inserted.items.map(presentItem), false);
    });
  }

  async retrieveItem(tenant: string, conversationId: string, itemId: string): Promise<PresentedItem> {
    const lookup = await this.items.find(tenant, threadOf(conversationId), itemId);
    if (lookup.kind === 'no-thread') throw notFound('conversation', conversationId);
    if (lookup.kind === 'no-item') throw notFound('item', itemId);
    return presentItem(lookup.item);
  }

  /** Deletes the item and answers the conversation it was in. */
  async deleteItem(tenant: string, conversationId: string, itemId: string): Promise<ConversationObject> {
    const deleted = await this.items.delete(tenant, threadOf(conversationId), itemId);
    if (deleted.kind === 'no-thread') throw notFound('conversation', conversationId);
    if (deleted.kind === 'no-item') throw notFound('item', itemId);
    return presentConversation(deleted.thread);
  }

  async listItems(tenant: string, conversationId: string, query: ListItemsQueryDto): Promise<ListEnvelope<PresentedItem>> {
    const order = query.order ?? 'desc';
    const plan = planKeyset(order, query.after ? 'after' : 'none', query.limit ?? DEFAULT_LIMIT);
    const page = await this.items.list({ order, plan, threadId: threadOf(conversationId), tenant, after: query.after });
    if (page.kind === 'no-thread') throw notFound('conversation', conversationId);
    if (page.kind === 'no-cursor') {
      throw ApiError.badRequest(
        `Invalid 'after': '${query.after as string}' is not an object of this list. Use the id of an object from a previous page.`,
        'after',
        'invalid_cursor',
      );
    }
    return listEnvelope(page.items.map(presentItem), page.hasMore);
  }
}
