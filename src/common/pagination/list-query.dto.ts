import { applyDecorators } from '@nestjs/common';
import { ApiHideProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { invalidValue, notAnInteger, oneOf, reports } from '../errors/wording';
import { ID_MAX_LENGTH, ID_PATTERN } from '../ids';

export type SortOrder = 'asc' | 'desc';

/** An optional query parameter that names an object by its id (`what`: 'an object id', 'a run id'). */
export function IsIdQuery(what: string): PropertyDecorator {
  // Listed bottom-up, as stacked decorators apply: the constraints keep the order in which they are reported.
  return applyDecorators(
    Matches(
      ID_PATTERN,
      reports((_value, param) => invalidValue(param, `expected ${what}.`)),
    ),
    MaxLength(ID_MAX_LENGTH),
    IsString(),
    IsOptional(),
  );
}

/**
 * A query parameter's integer, written as one (`20`, `+20`, `-1`): anything else (`abc`, `1e1`, `0x10`,
 * an empty value) stays the text it was, for the integer check to refuse and quote as sent.
 */
export const IntegerQuery = (): PropertyDecorator =>
  Transform(({ value }: { value: unknown }) => (typeof value === 'string' && /^[+-]?\d{1,15}$/.test(value) ? Number(value) : value));

/** A page's optional `limit`: an integer from 1 to `max`, `fallback` when absent. */
export function IsPageLimit(max = 100, fallback = 20): PropertyDecorator {
  return applyDecorators(
    Max(
      max,
      reports((value, param) => invalidValue(param, `integer above maximum value. Expected a value <= ${max}, but got ${value} instead.`)),
    ),
    Min(
      1,
      reports((value, param) => invalidValue(param, `integer below minimum value. Expected a value >= 1, but got ${value} instead.`)),
    ),
    IsInt(reports((value, param) => notAnInteger(param, value))),
    IntegerQuery(),
    IsOptional(),
    ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: max, default: fallback }),
  );
}

export class ListQueryDto {
  @IsPageLimit()
  limit?: number;

  @ApiPropertyOptional({ enum: ['asc', 'desc'], default: 'desc' })
  @IsOptional()
  @IsIn(['asc', 'desc'], oneOf(['asc', 'desc']))
  order?: SortOrder;

  @ApiPropertyOptional({ description: 'An object id: the page right after it' })
  @IsIdQuery('an object id')
  after?: string;

  @ApiPropertyOptional({ description: 'An object id: the page right before it' })
  @IsIdQuery('an object id')
  before?: string;

  @ApiHideProperty()
  @IsOptional()
  @IsString()
  'api-version'?: string;
}
