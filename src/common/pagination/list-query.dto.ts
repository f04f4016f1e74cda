import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';

export type SortOrder = 'asc' | 'desc';

export class ListQueryDto {
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: (a) => `Invalid type for '${a.property}': expected an integer, but got '${String(a.value)}' instead.` })
  @Min(1, { message: (a) => `Invalid '${a.property}': integer below minimum value. Expected a value >= 1, but got ${a.value} instead.` })
  @Max(100, { message: (a) => `Invalid '${a.property}': integer above maximum value. Expected a value <= 100, but got ${a.value} instead.` })
  limit?: number;

  @IsOptional()
  @IsIn(['asc', 'desc'], { message: (a) => `Invalid value for '${a.property}': expected one of 'asc' or 'desc', but got '${String(a.value)}' instead.` })
  order?: SortOrder;

  @IsOptional()
  @IsString()
  @MaxLength(128)
  after?: string;

  @IsOptional()
  @IsString()
  @MaxLength(128)
  before?: string;

  @IsOptional()
  @IsString()
  'api-version'?: string;
}
