import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsOptional, ValidateBy } from 'class-validator';
import { characters, longerThan } from '../characters';
import { RESERVED_KEYS } from '../http/json-body';
import { invalidType, invalidValue, Problem, reports, reservedKey, stringTooLong } from '../errors/wording';

/** An object's metadata: string keys and values, limited as below. */
export type Metadata = Record<string, string>;

export const METADATA_MAX_KEYS = 16;
export const METADATA_MAX_KEY_LENGTH = 64;
export const METADATA_MAX_VALUE_LENGTH = 512;

/** What is wrong with a metadata value, or undefined when it is a valid map. */
export function metadataProblem(value: unknown, param: string): Problem | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return invalidType(param, 'an object', value);
  const entries = Object.entries(value);
  if (entries.length > METADATA_MAX_KEYS) {
    return invalidValue(
      param,
      `too many properties. Expected an object with at most ${METADATA_MAX_KEYS} properties, but got an object with ${entries.length} properties instead.`,
    );
  }
  for (const [key, item] of entries) {
    if (longerThan(key, METADATA_MAX_KEY_LENGTH)) {
      return invalidValue(
        param,
        `key '${key.slice(0, 80)}' is too long. ` +
          `Expected keys of at most ${METADATA_MAX_KEY_LENGTH} characters, but got a key with ${characters(key)} characters instead.`,
      );
    }
    if (RESERVED_KEYS.includes(key)) return reservedKey(`${param}.${key}`, key);
    if (key.includes('\u0000')) return invalidValue(param, `key '${key.slice(0, 80)}' holds a NUL character (\\u0000), which metadata cannot hold.`);
    if (typeof item !== 'string') return invalidType(`${param}.${key}`, 'a string', item);
    // PostgreSQL's jsonb (what a metadata filter compares) has no NUL character.
    if (item.includes('\u0000')) return invalidValue(`${param}.${key}`, 'the value holds a NUL character (\\u0000), which metadata cannot hold.');
    if (longerThan(item, METADATA_MAX_VALUE_LENGTH)) return stringTooLong(`${param}.${key}`, METADATA_MAX_VALUE_LENGTH, characters(item));
  }
  return undefined;
}

/**
 * Optional metadata map: at most 16 keys of at most 64 characters, string values of at most 512
 * characters; null allowed. Also its OpenAPI description.
 */
export function IsMetadata(): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({
      type: 'object',
      additionalProperties: { type: 'string', maxLength: METADATA_MAX_VALUE_LENGTH },
      maxProperties: METADATA_MAX_KEYS,
      nullable: true,
      description:
        `At most ${METADATA_MAX_KEYS} keys of at most ${METADATA_MAX_KEY_LENGTH} characters; ` +
        `string values of at most ${METADATA_MAX_VALUE_LENGTH} characters.`,
    }),
    // The map exactly as sent: class-transformer's copy drops keys named like Object members (toString, valueOf).
    Transform(({ obj, key }) => (obj as Record<string, unknown>)[key]),
    IsOptional(),
    ValidateBy(
      { name: 'isMetadata', validator: { validate: (value: unknown) => metadataProblem(value, 'metadata') === undefined } },
      reports((value, param) => metadataProblem(value, param) as Problem),
    ),
  );
}
