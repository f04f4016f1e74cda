import { ApiHideProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { oneOf } from '../common/errors/wording';
import { IsIdQuery, IsPageLimit, SortOrder } from '../common/pagination/list-query.dto';

/** GET /files: `limit` from 1 to 10,000 (all of them by default), newest first unless `order=asc`. */
export class ListFilesQueryDto {
  @IsPageLimit(10000, 10000)
  limit?: number;

  @ApiPropertyOptional({ enum: ['asc', 'desc'], default: 'desc' })
  @IsOptional()
  @IsIn(['asc', 'desc'], oneOf(['asc', 'desc']))
  order?: SortOrder;

  @ApiPropertyOptional({ description: 'A file id: the page right after it' })
  @IsIdQuery('a file id')
  after?: string;

  @ApiPropertyOptional({ description: 'Only files with this purpose' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  purpose?: string;

  @ApiHideProperty()
  @IsOptional()
  @IsString()
  'api-version'?: string;
}
