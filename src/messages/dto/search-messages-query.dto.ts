import { applyDecorators } from '@nestjs/common';
import { ApiHideProperty, ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDefined, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { invalidValue, notAnInteger, reports, stringTooLong } from '../../common/errors/wording';
import { SEARCH_QUERY_MAX_LENGTH } from '../search-query';

/** A full-text search parameter: a string of at most 1000 characters; required for the tenant-wide search. */
export function IsSearchQuery(required: boolean): PropertyDecorator {
  return applyDecorators(
    MaxLength(
      SEARCH_QUERY_MAX_LENGTH,
      reports((value, param) => stringTooLong(param, SEARCH_QUERY_MAX_LENGTH, String(value).length)),
    ),
    IsString(),
    required ? IsDefined() : IsOptional(),
  );
}

/** GET /messages/search (our extension). */
export class SearchMessagesQueryDto {
  @ApiProperty({
    description:
      'Words to find (all must match), "an exact phrase", word OR word, -excluded, and prefix* matches; ' +
      'in the text-search configuration of SEARCH_CONFIG (default simple)',
    maxLength: SEARCH_QUERY_MAX_LENGTH,
  })
  @IsSearchQuery(true)
  query: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 100, default: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt(reports((value, param) => notAnInteger(param, value)))
  @Min(1, reports((value, param) => invalidValue(param, `integer below minimum value. Expected a value >= 1, but got ${value} instead.`)))
  @Max(100, reports((value, param) => invalidValue(param, `integer above maximum value. Expected a value <= 100, but got ${value} instead.`)))
  limit?: number;

  @ApiPropertyOptional({ description: 'The id of the last hit of the previous page (last_id): the page right after it' })
  @IsOptional()
  @IsString()
  @Matches(/^hit_[A-Za-z0-9_-]{1,120}$/, reports((_value, param) => invalidValue(param, 'expected the id of a search hit (last_id of a previous page).')))
  after?: string;

  @ApiHideProperty()
  @IsOptional()
  @IsString()
  'api-version'?: string;
}
