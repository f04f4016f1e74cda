import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { invalidValue, reports } from '../../common/errors/wording';
import { ID_MAX_LENGTH, ID_PATTERN } from '../../common/ids';
import { ListQueryDto } from '../../common/pagination/list-query.dto';

export class ListMessagesQueryDto extends ListQueryDto {
  @ApiPropertyOptional({ description: 'v2 only: messages of this run' })
  @IsOptional()
  @IsString()
  @MaxLength(ID_MAX_LENGTH)
  @Matches(ID_PATTERN, reports((_value, param) => invalidValue(param, 'expected a run id.')))
  run_id?: string;
}
