import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import { ListQueryDto } from '../../common/pagination/list-query.dto';

export class ListMessagesQueryDto extends ListQueryDto {
  @ApiPropertyOptional({ description: 'v2 only: messages of this run' })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  run_id?: string;
}
