import { ApiHideProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import { IsObjectId } from '../ids';

export type SortOrder = 'asc' | 'desc';

export class ListQueryDto {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 100, default: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: (a) => `Invalid type for '${a.property}': expected an integer, but got '${String(a.value)}' instead.` })
  @Min(1, { message: (a) => `Invalid '${a.property}': integer below minimum value. Expected a value >= 1, but got ${a.value} instead.` })
  @Max(100, { message: (a) => `Invalid '${a.property}': integer above maximum value. Expected a value <= 100, but got ${a.value} instead.` })
  limit?: number;

  @ApiPropertyOptional({ enum: ['asc', 'desc'], default: 'desc' })
  @IsOptional()
  @IsIn(['asc', 'desc'], { message: (a) => `Invalid value for '${a.property}': expected one of 'asc' or 'desc', but got '${String(a.value)}' instead.` })
  order?: SortOrder;

  @ApiPropertyOptional({ description: 'An object id: the page right after it' })
  @IsOptional()
  @IsString()
  @IsObjectId()
  after?: string;

  @ApiPropertyOptional({ description: 'An object id: the page right before it' })
  @IsOptional()
  @IsString()
  @IsObjectId()
  before?: string;

  @ApiHideProperty()
  @IsOptional()
  @IsString()
  'api-version'?: string;
}
