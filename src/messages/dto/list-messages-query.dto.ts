import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIdQuery, ListQueryDto } from '../../common/pagination/list-query.dto';

export class ListMessagesQueryDto extends ListQueryDto {
  @ApiPropertyOptional({ description: 'v2 only: messages of this run' })
  @IsIdQuery('a run id')
  run_id?: string;
}
