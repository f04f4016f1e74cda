import { applyDecorators } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { IsOptional, ValidateBy, ValidationArguments } from 'class-validator';

/** An object's metadata: string keys and values, limited as below. */
export type Metadata = Record<string, string>;

export const METADATA_MAX_KEYS = 16;
export const METADATA_MAX_KEY_LENGTH = 64;
export const METADATA_MAX_VALUE_LENGTH = 512;

/** What is wrong with a metadata value, or undefined when it is a valid map. */
export function metadataProblem(value: unknown, param: string): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return `Invalid type for '${param}': expected an object, but got ${Array.isArray(value) ? 'an array' : `a ${value === null ? 'null' : typeof value}`} instead.`;
  }
  const entries = Object.entries(value);
  if (entries.length > METADATA_MAX_KEYS) {
    return `Invalid '${param}': too many properties. Expected an object with at most ${METADATA_MAX_KEYS} properties, but got an object with ${entries.length} properties instead.`;
  }
  for (const [key, item] of entries) {
    if (key.length > METADATA_MAX_KEY_LENGTH) {
      return `Invalid '${param}': key '${key.slice(0, 80)}' is too long. Expected keys of at most ${METADATA_MAX_KEY_LENGTH} characters, but got a key with ${key.length} characters instead.`;
    }
    if (typeof item !== 'string') {
      return `Invalid type for '${param}.${key}': expected a string, but got ${item === null ? 'null' : Array.isArray(item) ? 'an array' : `a ${typeof item}`} instead.`;
    }
    if (item.length > METADATA_MAX_VALUE_LENGTH) {
      return `Invalid '${param}.${key}': string too long. Expected a string with maximum length ${METADATA_MAX_VALUE_LENGTH}, but got a string with length ${item.length} instead.`;
    }
  }
  return undefined;
}

/** Optional metadata map: at most 16 keys of at most 64 characters, string values of at most 512 characters; null allowed. */
export function IsMetadata(): PropertyDecorator {
  return applyDecorators(
    // The map exactly as sent: class-transformer's copy drops keys named like Object members (toString, valueOf).
    Transform(({ obj, key }) => (obj as Record<string, unknown>)[key]),
    IsOptional(),
    ValidateBy({
      name: 'isMetadata',
      validator: {
        validate: (value: unknown) => metadataProblem(value, 'metadata') === undefined,
        defaultMessage: (args?: ValidationArguments) => metadataProblem(args?.value, args?.property ?? 'metadata') ?? '',
      },
    }),
  );
}
