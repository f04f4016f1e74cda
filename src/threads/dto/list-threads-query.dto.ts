import { applyDecorators, ArgumentMetadata, createParamDecorator, ExecutionContext, Injectable, PipeTransform } from '@nestjs/common';
import { ApiOperation, ApiPropertyOptional, ApiQuery } from '@nestjs/swagger';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { requestOf } from '../../common/api-version/api-request';
import { ApiError } from '../../common/errors/api-error';
import { RESERVED_KEYS } from '../../common/http/json-body';
import { IsMetadata, Metadata } from '../../common/metadata/is-metadata';
import { IntegerQuery, ListQueryDto } from '../../common/pagination/list-query.dto';
import { ApiValidationPipe } from '../../common/errors/validation.pipe';
import { invalidValue, notAnInteger, reports, reservedKey } from '../../common/errors/wording';

const UNIX_TIME_MAX = 253402300799; // 9999-12-31T23:59:59Z

function UnixTimeQuery(): PropertyDecorator {
  return (target, key) => {
    IsOptional()(target, key);
    IntegerQuery()(target, key);
    IsInt(reports((value, param) => notAnInteger(param, value)))(target, key);
    Min(
      0,
      reports((value, param) => invalidValue(param, `expected a Unix time in seconds (0 or more), but got ${value} instead.`)),
    )(target, key);
    Max(
      UNIX_TIME_MAX,
      reports((value, param) => invalidValue(param, `expected a Unix time in seconds, but got ${value} instead.`)),
    )(target, key);
  };
}

/** GET /threads (our extension): the list parameters of every list, and the thread filters. */
export class ListThreadsQueryDto extends ListQueryDto {
  /** From `metadata[key]=value` query parameters: every pair must match. */
  @IsMetadata()
  metadata?: Metadata | null;

  @ApiPropertyOptional({ type: 'integer', description: 'Unix time in seconds: threads created strictly after it' })
  @UnixTimeQuery()
  created_after?: number;

  @ApiPropertyOptional({ type: 'integer', description: 'Unix time in seconds: threads created strictly before it' })
  @UnixTimeQuery()
  created_before?: number;
}

const METADATA_KEY = /^metadata\[([^\]]*)\]$/;

/**
 * The query string with its `metadata[key]=value` parameters gathered into one `metadata` object
 * (query parsers keep them as flat keys; one that nests them already is taken as it is), for the
 * validation pipe to check as it checks a body's metadata.
 */
export const ListThreadsQuery = createParamDecorator((_: unknown, ctx: ExecutionContext): Record<string, unknown> => {
  const query = (requestOf<{ query?: Record<string, unknown> }>(ctx).query ?? {}) as Record<string, unknown>;
  // Without a prototype, as the query parser's own object: a `__proto__` parameter stays a key, for validation to refuse.
  const gathered = Object.create(null) as Record<string, unknown>;
  let metadata: Record<string, unknown> | undefined;
  for (const [key, value] of Object.entries(query)) {
    const match = METADATA_KEY.exec(key);
    if (!match) {
      gathered[key] = value;
      continue;
    }
    // Refused here, as the body parser refuses them: an object would not keep them as plain keys.
    if (RESERVED_KEYS.includes(match[1])) throw ApiError.problem(reservedKey(`metadata.${match[1]}`, match[1]));
    metadata ??= Object.create(null) as Record<string, unknown>;
    metadata[match[1]] = value;
  }
  if (metadata) {
    const nested = gathered.metadata;
    // A nested object (a parser that nests) takes the flat pairs too; anything else is left for validation to refuse.
    if (nested === undefined) gathered.metadata = { ...metadata };
    else if (typeof nested === 'object' && nested !== null && !Array.isArray(nested)) gathered.metadata = { ...nested, ...metadata };
  }
  return gathered;
});

/** The global validation pipe, run on the gathered query as on any query (a custom parameter is otherwise not validated). */
@Injectable()
export class ListThreadsQueryPipe implements PipeTransform {
  private readonly pipe = new ApiValidationPipe();

  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    return this.pipe.transform(value, { ...metadata, type: 'query' });
  }
}

/** The list's query parameters in the OpenAPI document (a custom parameter is not described by itself). */
export function ApiListThreads(): MethodDecorator {
  return applyDecorators(
    ApiOperation({ summary: 'List threads (an extension of this service)', description: "The key's tenant's threads, newest first by default." }),
    ApiQuery({ name: 'limit', required: false, schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 } }),
    ApiQuery({ name: 'order', required: false, schema: { type: 'string', enum: ['asc', 'desc'], default: 'desc' } }),
    ApiQuery({ name: 'after', required: false, description: 'A thread id: the page right after it', schema: { type: 'string' } }),
    ApiQuery({ name: 'before', required: false, description: 'A thread id: the page right before it', schema: { type: 'string' } }),
    ApiQuery({
      name: 'metadata',
      required: false,
      style: 'deepObject',
      explode: true,
      description: 'metadata[key]=value: threads whose metadata has every pair given',
      schema: { type: 'object', additionalProperties: { type: 'string' } },
    }),
    ApiQuery({
      name: 'created_after',
      required: false,
      description: 'Unix time in seconds: threads created strictly after it',
      schema: { type: 'integer', minimum: 0 },
    }),
    ApiQuery({
      name: 'created_before',
      required: false,
      description: 'Unix time in seconds: threads created strictly before it',
      schema: { type: 'integer', minimum: 0 },
    }),
  );
}
