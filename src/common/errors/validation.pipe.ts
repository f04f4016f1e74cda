import { ArgumentMetadata, Injectable, ValidationError, ValidationPipe } from '@nestjs/common';
import { ApiError } from './api-error';

const TYPE_CONSTRAINTS = new Set(['isString', 'isObject', 'isArray', 'isInt', 'isNumber', 'isBoolean', 'nestedValidation']);

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
  if (constraints.isDefined) return ApiError.badRequest(`Missing required parameter: '${path}'.`, path, 'missing_required_parameter');
  const [name, message] = Object.entries(constraints)[0] ?? ['', 'invalid value'];
  const text = message.startsWith('Invalid') ? message : `Invalid value for '${path}': ${message}.`;
  return ApiError.badRequest(text, path, TYPE_CONSTRAINTS.has(name) ? 'invalid_type' : 'invalid_value');
}

/** The global pipe: DTOs validated and transformed, unknown fields rejected, a body that is not an object refused. */
@Injectable()
export class ApiValidationPipe extends ValidationPipe {
  constructor() {
    super({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      forbidUnknownValues: false,
      validationError: { target: false, value: false },
      exceptionFactory: toApiError,
    });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body') {
      if (value === undefined || value === null) value = {};
      if (typeof value !== 'object' || Array.isArray(value)) {
        throw ApiError.badRequest('Invalid request body: expected a JSON object.', null, 'invalid_type');
      }
    }
    return super.transform(value, metadata);
  }
}
