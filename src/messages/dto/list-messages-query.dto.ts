import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIdQuery, ListQueryDto } from '../../common/pagination/list-query.dto';
import { IsSearchQuery } from './search-messages-query.dto';

export class ListMessagesQueryDto extends ListQueryDto {
  @ApiPropertyOptional({ description: 'v2 only: messages of this run' })
  @IsIdQuery('a run id')
  run_id?: string;

  @ApiPropertyOptional({ description: 'Our extension: only the messages that match this full-text search (see GET /v1/messages/search)' })
  @IsSearchQuery(false)
  query?: string;
}
