import { Controller, Get, Query } from '@nestjs/common';
import { ApiOperation } from '@nestjs/swagger';
import { ApiShape, Shape, Tenant } from '../common/api-version/api-request';
import { SearchMessagesQueryDto } from './dto/search-messages-query.dto';
import { MessagesService } from './messages.service';

/** Our extension: full-text search over the tenant's messages, across its threads. */
@Controller(['v1/messages/search', 'openai/messages/search'])
export class SearchController {
  constructor(private readonly messages: MessagesService) {}

  @Get()
  @ApiOperation({
    summary: 'Search messages (an extension of this service)',
    description: "The key's tenant's messages that match: the newest 500 matches best first, then the 500 before them best first, and so on.",
  })
  search(@Tenant() tenant: string, @ApiShape() shape: Shape, @Query() query: SearchMessagesQueryDto) {
    return this.messages.search(tenant, shape, query);
  }
}
