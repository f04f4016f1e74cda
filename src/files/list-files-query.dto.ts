import { ApiHideProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { invalidValue, notAnInteger, oneOf, reports } from '../common/errors/wording';
import { IsIdQuery, SortOrder } from '../common/pagination/list-query.dto';

/** GET /files: `limit` from 1 to 10,000 (all of them by default), newest first unless `order=asc`. */
export class ListFilesQueryDto {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 10000, default: 10000 })
  @IsOptional()
  @Type(() => Number)
  @IsInt(reports((value, param) => notAnInteger(param, value)))
  @Min(1, reports((value, param) => invalidValue(param, `integer below minimum value. Expected a value >= 1, but got ${value} instead.`)))
  @Max(10000, reports((value, param) => invalidValue(param, `integer above maximum value. Expected a value <= 10000, but got ${value} instead.`)))
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
