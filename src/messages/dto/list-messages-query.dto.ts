import { IsOptional, IsString, MaxLength } from 'class-validator';
import { ListQueryDto } from '../../common/pagination/list-query.dto';

export class ListMessagesQueryDto extends ListQueryDto {
  @IsOptional()
  @IsString()
  @MaxLength(128)
  run_id?: string;
}
