import { ArgumentMetadata, Injectable, PipeTransform, ValidationError, ValidationPipe } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { RESERVED_KEYS } from '../http/json-body';
import { ApiError } from './api-error';
import { instantiate } from './compiled-instantiation';
import { passes } from './compiled-validation';
import { invalidType, missingParameter, ProblemContext } from './wording';

/** The type each type constraint expects, for messages like OpenAI's "expected an array, but got a string instead". */
const TYPE_CONSTRAINTS = new Map([
  ['isString', 'a string'],
  ['isObject', 'an object'],
  ['isArray', 'an array'],
  ['isInt', 'an integer'],
  ['isNumber', 'a number'],
  ['isBoolean', 'a boolean'],
  ['nestedValidation', 'an object'],
]);

function join(path: string, property: string): string {
  if (/^\d+$/.test(property)) return `${path}[${property}]`;
  return path ? `${path}.${property}` : property;
}

function firstLeaf(error: ValidationError, path: string): { path: string; error: ValidationError } {
  const here = join(path, error.property);
  if (error.constraints && Object.keys(error.constraints).length > 0) return { path: here, error };
  const child = error.children?.[0];
  return child ? firstLeaf(child, here) : { path: here, error };
}

/** class-validator's first failure, as the OpenAI error envelope with `param` naming the field. */
export function toApiError(errors: ValidationError[]): ApiError {
  const { path, error } = firstLeaf(errors[0], '');
  const constraints = error.constraints ?? {};
  if (constraints.whitelistValidation) return ApiError.unknownParameter(path);
  if (constraints.isDefined) return ApiError.problem(missingParameter(path));
  const entries = Object.entries(constraints);
  const [name, message] = entries.find(([constraint]) => TYPE_CONSTRAINTS.has(constraint)) ?? entries[0] ?? ['', 'invalid value'];
  // Our validators hand over a typed problem, worded for the field's full path ('messages[1].content[0].type').
  const reported = (error.contexts?.[name] as Partial<ProblemContext> | undefined)?.problem;
  if (reported) return ApiError.problem(reported(error.value, path));
  const expected = TYPE_CONSTRAINTS.get(name);
  if (expected) {
    const each = message.startsWith('each value');
    return ApiError.problem(invalidType(path, each ? `an array of ${expected.replace(/^an? /, '')}s` : expected, error.value));
  }
  return ApiError.badRequest(`Invalid value for '${path}': ${message}.`, path, 'invalid_value');
}

/**
 * A key of the body that did not reach the DTO. The whitelist catches unknown fields, but a
 * field named like an Object member ('constructor', 'toString') passes it and is silently
 * dropped by the conversion to a class instance.
 */
function droppedKey(raw: unknown, converted: unknown, path: string): string | undefined {
  if (raw === converted || typeof raw !== 'object' || raw === null || typeof converted !== 'object' || converted === null) return undefined;
  for (const key of Object.keys(raw)) {
    const here = Array.isArray(raw) ? `${path}[${key}]` : path ? `${path}.${key}` : key;
    if (!Object.prototype.hasOwnProperty.call(converted, key)) return here;
    const dropped = droppedKey((raw as Record<string, unknown>)[key], (converted as Record<string, unknown>)[key], here);
    if (dropped !== undefined) return dropped;
  }
  return undefined;
}

/** Types Nest's pipe converts without validating. */
const UNVALIDATED = new Set<unknown>([String, Boolean, Number, Array, Object]);

/**
 * A query value with a NUL character (`%00`) is refused by name: no statement can carry one (PostgreSQL's
 * text has none), and unchecked it would fail there as the service's error.
 */
function refuseNul(query: Record<string, unknown>, prefix = ''): void {
  for (const key of Object.keys(query)) {
    const value = query[key];
    const values = Array.isArray(value) ? (value as unknown[]) : [value];
    for (const item of values) {
      if (typeof item === 'string' && item.includes('\u0000')) {
        throw ApiError.badRequest(`Invalid '${prefix}${key}': the value holds a NUL character (%00).`, `${prefix}${key}`, 'invalid_value');
      }
      if (prefix === '' && item !== null && typeof item === 'object') refuseNul(item as Record<string, unknown>, `${key}.`);
    }
    if (key.includes('\u0000')) throw ApiError.badRequest(`Invalid query parameter name: it holds a NUL character (%00).`, null, 'invalid_value');
  }
}

/** The global pipe: DTOs validated and transformed, unknown fields rejected, a body that is not an object refused. */
@Injectable()
export class ApiValidationPipe implements PipeTransform {
  /** Nest's pipe: the path that words what is wrong, and the conversions of parameters other than strings. */
  private readonly full = new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    forbidUnknownValues: false,
    validationError: { target: false, value: true },
    exceptionFactory: toApiError,
  });

  /**
   * A valid body or query, recognised by the compiled rules, becomes its DTO (made by the compiled
   * copy where it answers) without Nest's generic steps (binary values, sparse arrays and prototype
   * keys cannot come out of the JSON parser or the query string); anything else takes the full
   * path, which words what is wrong.
   */
  private validDto(value: object, metatype: ArgumentMetadata['metatype']): object | undefined {
    if (!metatype || UNVALIDATED.has(metatype)) return undefined;
    const dto = instantiate(metatype as new () => object, value) ?? (plainToInstance(metatype, value) as object);
    return passes(dto) ? dto : undefined;
  }

  /**
   * Synchronous where nothing is left to wait for (a valid DTO, a path parameter, a custom
   * parameter): every parameter of every request goes through this pipe, and a promise per
   * parameter is work Nest then waits on.
   */
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    switch (metadata.type) {
      case 'body':
        if (value === undefined || value === null) value = {};
        if (typeof value !== 'object' || Array.isArray(value)) {
          throw ApiError.badRequest('Invalid request body: expected a JSON object.', null, 'invalid_type');
        }
        break;
      case 'query':
        if (metadata.metatype === Object) return this.full.transform(value, metadata);
        for (const key of RESERVED_KEYS) if (Object.prototype.hasOwnProperty.call(value, key)) throw ApiError.unknownParameter(key);
        break;
      case 'custom':
        // What Nest's pipe does with a custom parameter (validateCustomDecorators is off): nothing.
        return value;
      default:
        // A path parameter is a string already: Nest's pipe would answer it as it is.
        if (metadata.type === 'param' && metadata.metatype === String && typeof value === 'string') return value;
        return this.full.transform(value, metadata);
    }
    const dto = this.validDto(value as object, metadata.metatype);
    return dto !== undefined
      ? this.checked(value, dto, metadata.type)
      : this.full.transform(value, metadata).then((converted: object) => this.checked(value, converted, metadata.type));
  }

  private checked(raw: unknown, dto: object, type: ArgumentMetadata['type']): object {
    const dropped = droppedKey(raw, dto, '');
    if (dropped !== undefined) throw ApiError.unknownParameter(dropped);
    // What the rules let through (free text, a filter) may still hold what no statement can carry.
    if (type === 'query') refuseNul(raw as Record<string, unknown>);
    return dto;
  }
}
