import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString } from 'class-validator';
import { IsObjectId } from '../../common/ids';
import { ListQueryDto } from '../../common/pagination/list-query.dto';

export class ListMessagesQueryDto extends ListQueryDto {
  @ApiPropertyOptional({ description: 'v2 only: messages of this run' })
  @IsOptional()
  @IsString()
  @IsObjectId()
  run_id?: string;
}
