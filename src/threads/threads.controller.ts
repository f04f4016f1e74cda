import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiShape, Shape, Tenant } from '../common/api-version/api-request';
import { IdPipe } from '../common/id.pipe';
import { Idempotency, IdempotentRequest } from '../idempotency/idempotency-key.decorator';
import { CreateThreadDto } from './dto/create-thread.dto';
import { ApiListThreads, ListThreadsQuery, ListThreadsQueryDto, ListThreadsQueryPipe } from './dto/list-threads-query.dto';
import { ModifyThreadDto } from './dto/modify-thread.dto';
import { ThreadsService } from './threads.service';

/** Pipe instances, one per id parameter: a malformed id is a missing object. */
const ThreadIdPipe = new IdPipe('thread');

@Controller(['v1/threads', 'openai/threads'])
export class ThreadsController {
  constructor(private readonly threads: ThreadsService) {}

  @Post()
  @HttpCode(200)
  create(@Tenant() tenant: string, @ApiShape() shape: Shape, @Body() body: CreateThreadDto, @Idempotency() idempotency?: IdempotentRequest) {
    return this.threads.create(tenant, shape, body, idempotency);
  }

  /** Our extension (the Assistants API has no thread list). */
  @Get()
  @ApiListThreads()
  list(@Tenant() tenant: string, @ApiShape() shape: Shape, @ListThreadsQuery(ListThreadsQueryPipe) query: ListThreadsQueryDto) {
    return this.threads.list(tenant, shape, query);
  }

  @Get(':thread_id')
  retrieve(@Tenant() tenant: string, @ApiShape() shape: Shape, @Param('thread_id', ThreadIdPipe) threadId: string) {
    return this.threads.retrieve(tenant, shape, threadId);
  }

  @Post(':thread_id')
  @HttpCode(200)
  modify(@Tenant() tenant: string, @ApiShape() shape: Shape, @Param('thread_id', ThreadIdPipe) threadId: string, @Body() body: ModifyThreadDto) {
    return this.threads.modify(tenant, shape, threadId, body);
  }

  @Delete(':thread_id')
  delete(@Tenant() tenant: string, @Param('thread_id', ThreadIdPipe) threadId: string) {
    return this.threads.delete(tenant, threadId);
  }
}
