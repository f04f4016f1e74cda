import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { Tenant } from '../common/api-version/api-request';
import { IdPipe } from '../common/id.pipe';
import { Idempotency, IdempotentRequest } from '../idempotency/idempotency-key.decorator';
import { ConversationsService } from './conversations.service';
import { CreateConversationDto } from './dto/create-conversation.dto';
import { CreateItemsDto } from './dto/create-items.dto';
import { ItemQueryDto, ListItemsQueryDto } from './dto/item-query.dto';
import { UpdateConversationDto } from './dto/update-conversation.dto';

/** Pipe instances, one per id parameter: a malformed id is a missing object. */
const ConversationIdPipe = new IdPipe('conversation');
const ItemIdPipe = new IdPipe('item');

/** OpenAI's `/v1/conversations` and Azure OpenAI's v1 surface, `/openai/v1/conversations`. */
@Controller(['v1/conversations', 'openai/v1/conversations'])
export class ConversationsController {
  constructor(private readonly conversations: ConversationsService) {}

  @Post()
  @HttpCode(200)
  create(@Tenant() tenant: string, @Body() body: CreateConversationDto, @Idempotency() idempotency?: IdempotentRequest) {
    return this.conversations.create(tenant, body, idempotency);
  }

  @Get(':conversation_id')
  retrieve(@Tenant() tenant: string, @Param('conversation_id', ConversationIdPipe) conversationId: string) {
    return this.conversations.retrieve(tenant, conversationId);
  }

  @Post(':conversation_id')
  @HttpCode(200)
  update(@Tenant() tenant: string, @Param('conversation_id', ConversationIdPipe) conversationId: string, @Body() body: UpdateConversationDto) {
    return this.conversations.update(tenant, conversationId, body);
  }

  @Delete(':conversation_id')
  delete(@Tenant() tenant: string, @Param('conversation_id', ConversationIdPipe) conversationId: string) {
    return this.conversations.delete(tenant, conversationId);
  }

  @Post(':conversation_id/items')
  @HttpCode(200)
  createItems(
    @Tenant() tenant: string,
    @Param('conversation_id', ConversationIdPipe) conversationId: string,
    @Query() _query: ItemQueryDto,
    @Body() body: CreateItemsDto,
    @Idempotency() idempotency?: IdempotentRequest,
  ) {
    return this.conversations.createItems(tenant, conversationId, body, idempotency);
  }

  @Get(':conversation_id/items')
  listItems(@Tenant() tenant: string, @Param('conversation_id', ConversationIdPipe) conversationId: string, @Query() query: ListItemsQueryDto) {
    return this.conversations.listItems(tenant, conversationId, query);
  }

  @Get(':conversation_id/items/:item_id')
  retrieveItem(
    @Tenant() tenant: string,
    @Param('conversation_id', ConversationIdPipe) conversationId: string,
    @Param('item_id', ItemIdPipe) itemId: string,
    @Query() _query: ItemQueryDto,
  ) {
    return this.conversations.retrieveItem(tenant, conversationId, itemId);
  }

  @Delete(':conversation_id/items/:item_id')
  deleteItem(@Tenant() tenant: string, @Param('conversation_id', ConversationIdPipe) conversationId: string, @Param('item_id', ItemIdPipe) itemId: string) {
    return this.conversations.deleteItem(tenant, conversationId, itemId);
  }
}
