import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import { ApiShape, Shape, Tenant } from '../common/api-version/api-request';
import { IdPipe } from '../common/id.pipe';
import { Idempotency, IdempotentRequest } from '../idempotency/idempotency-key.decorator';
import { ListQueryDto } from '../common/pagination/list-query.dto';
import { CreateMessageDto } from './dto/create-message.dto';
import { ListMessagesQueryDto } from './dto/list-messages-query.dto';
import { ModifyMessageDto } from './dto/modify-message.dto';
import { MessagesService } from './messages.service';
import { V1OnlyGuard } from './v1-only.guard';

/** Pipe instances, one per id parameter: a malformed id is a missing object. */
const ThreadIdPipe = new IdPipe('thread');
const MessageIdPipe = new IdPipe('message');

@Controller(['v1/threads/:thread_id/messages', 'openai/threads/:thread_id/messages'])
export class MessagesController {
  constructor(private readonly messages: MessagesService) {}

  @Post()
  @HttpCode(200)
  create(
    @Tenant() tenant: string,
    @ApiShape() shape: Shape,
    @Param('thread_id', ThreadIdPipe) threadId: string,
    @Body() body: CreateMessageDto,
    @Idempotency() idempotency?: IdempotentRequest,
  ) {
    return this.messages.create(tenant, shape, threadId, body, idempotency);
  }

  @Get()
  list(@Tenant() tenant: string, @ApiShape() shape: Shape, @Param('thread_id', ThreadIdPipe) threadId: string, @Query() query: ListMessagesQueryDto) {
    return this.messages.list(tenant, shape, threadId, query);
  }

  @Get(':message_id')
  retrieve(
    @Tenant() tenant: string,
    @ApiShape() shape: Shape,
    @Param('thread_id', ThreadIdPipe) threadId: string,
    @Param('message_id', MessageIdPipe) messageId: string,
  ) {
    return this.messages.retrieve(tenant, shape, threadId, messageId);
  }

  @Post(':message_id')
  @HttpCode(200)
  modify(
    @Tenant() tenant: string,
    @ApiShape() shape: Shape,
    @Param('thread_id', ThreadIdPipe) threadId: string,
    @Param('message_id', MessageIdPipe) messageId: string,
    @Body() body: ModifyMessageDto,
  ) {
    return this.messages.modify(tenant, shape, threadId, messageId, body);
  }

  @Delete(':message_id')
  delete(@Tenant() tenant: string, @Param('thread_id', ThreadIdPipe) threadId: string, @Param('message_id', MessageIdPipe) messageId: string) {
    return this.messages.delete(tenant, threadId, messageId);
  }

  @Get(':message_id/files')
  @UseGuards(V1OnlyGuard)
  listFiles(
    @Tenant() tenant: string,
    @Param('thread_id', ThreadIdPipe) threadId: string,
    @Param('message_id', MessageIdPipe) messageId: string,
    @Query() query: ListQueryDto,
  ) {
    return this.messages.listFiles(tenant, threadId, messageId, query);
  }

  @Get(':message_id/files/:file_id')
  @UseGuards(V1OnlyGuard)
  retrieveFile(
    @Tenant() tenant: string,
    @Param('thread_id', ThreadIdPipe) threadId: string,
    @Param('message_id', MessageIdPipe) messageId: string,
    @Param('file_id') fileId: string,
  ) {
    return this.messages.retrieveFile(tenant, threadId, messageId, fileId);
  }
}
