import { applyDecorators } from '@nestjs/common';
import { ApiHideProperty, ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsDefined, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { invalidValue, reports, stringTooLong } from '../../common/errors/wording';
import { IsPageLimit } from '../../common/pagination/list-query.dto';
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

  @IsPageLimit()
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
