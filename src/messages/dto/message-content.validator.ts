import { characters, longerThan } from '../../common/characters';
import { ValidateBy } from 'class-validator';
import {
  arrayTooLong,
  contentTooLong,
  emptyArray,
  invalidType,
  invalidValue,
  missingParameter,
  notOneOf,
  Problem,
  reports,
  stringTooLong,
  unknownParameter,
} from '../../common/errors/wording';
import { idProblem } from '../../common/ids';

export const MAX_CONTENT_LENGTH = 256_000;
/**
 * A message's content holds at most this many parts, and this many characters in all (the text
 * of every part and the URL of every image; the OpenAI API's own limit is 256,000 characters for a
 * text): a message is at most about 270 KB of JSON, and a list page of 100 at most about 27 MB
 * (README, Limits and abuse). Larger images are uploaded as files (`image_file`).
 */
export const MAX_CONTENT_PARTS = 100;
export const MAX_CONTENT_TOTAL = MAX_CONTENT_LENGTH;
const DETAILS = ['auto', 'low', 'high'];
const PART_FIELDS: Record<string, { key: string; fields: string[] }> = {
  text: { key: 'text', fields: [] },
  image_url: { key: 'image_url', fields: ['url', 'detail'] },
  image_file: { key: 'image_file', fields: ['file_id', 'detail'] },
};

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function textProblem(value: unknown, param: string): Problem | undefined {
  if (typeof value !== 'string') return invalidType(param, 'a string', value);
  if (value.length === 0) return invalidValue(param, 'string too short. Expected a string with minimum length 1, but got an empty string instead.');
  if (longerThan(value, MAX_CONTENT_LENGTH)) return stringTooLong(param, MAX_CONTENT_LENGTH, characters(value));
  return undefined;
}

function isImageUrl(url: string): boolean {
  if (/^data:image\/[a-z+.-]+;base64,/i.test(url)) return true;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:';
  } catch {
    return false;
  }
}

function imageProblem(type: 'image_url' | 'image_file', image: unknown, param: string): Problem | undefined {
  if (!isObject(image)) return invalidType(param, 'an object', image);
  for (const field of Object.keys(image)) {
    if (!PART_FIELDS[type].fields.includes(field)) return unknownParameter(`${param}.${field}`);
  }
  const field = type === 'image_url' ? 'url' : 'file_id';
  const value = image[field];
  if (value === undefined) return missingParameter(`${param}.${field}`);
  if (typeof value !== 'string' || value.length === 0) return invalidType(`${param}.${field}`, 'a non-empty string', value);
  if (type === 'image_url' && !isImageUrl(value)) return invalidValue(`${param}.url`, 'expected a valid http(s) URL or a base64 data URL of an image.');
  if (type === 'image_file' && value.length > 128) return invalidValue(`${param}.file_id`, 'expected a file ID of at most 128 characters.');
  if (type === 'image_file') {
    const problem = idProblem(value, `${param}.file_id`);
    if (problem) return problem;
  }
  if (image.detail !== undefined && !DETAILS.includes(image.detail as string)) return notOneOf(`${param}.detail`, DETAILS, image.detail);
  return undefined;
}

function partProblem(part: unknown, param: string): Problem | undefined {
  if (!isObject(part)) return invalidType(param, 'an object', part);
  const type = part.type;
  if (type === undefined) return missingParameter(`${param}.type`);
  const spec = typeof type === 'string' ? PART_FIELDS[type] : undefined;
  if (!spec) return notOneOf(`${param}.type`, Object.keys(PART_FIELDS), type);
  for (const field of Object.keys(part)) {
    if (field !== 'type' && field !== spec.key) return unknownParameter(`${param}.${field}`);
  }
  if (part[spec.key] === undefined) return missingParameter(`${param}.${spec.key}`);
  if (type === 'text') return textProblem(part.text, `${param}.text`);
  return imageProblem(type as 'image_url' | 'image_file', part[spec.key], `${param}.${spec.key}`);
}

/** The text of a valid part: its text, or its image's URL or file id. */
function partText(part: Record<string, unknown>): string {
  if (part.type === 'text') return part.text as string;
  const image = part[part.type as string] as Record<string, unknown>;
  return String(image.url ?? image.file_id ?? '');
}

/** What is wrong with a message's `content` (a string, or a non-empty array of parts), or undefined. */
export function contentProblem(content: unknown, param = 'content'): Problem | undefined {
  if (typeof content === 'string') return textProblem(content, param);
  if (!Array.isArray(content)) return invalidType(param, 'a string or an array of content parts', content);
  if (content.length === 0) return emptyArray(param);
  if (content.length > MAX_CONTENT_PARTS) return arrayTooLong(param, MAX_CONTENT_PARTS, content.length);
  let total = 0;
  for (let i = 0; i < content.length; i++) {
    const problem = partProblem(content[i], `${param}[${i}]`);
    if (problem) return problem;
    total += partText(content[i] as Record<string, unknown>).length;
  }
  if (total > MAX_CONTENT_TOTAL) {
    const counted = content.reduce((sum: number, part) => sum + characters(partText(part as Record<string, unknown>)), 0);
    if (counted > MAX_CONTENT_TOTAL) return contentTooLong(param, MAX_CONTENT_TOTAL, counted);
  }
  return undefined;
}

export function IsMessageContent(): PropertyDecorator {
  return ValidateBy(
    { name: 'isMessageContent', validator: { validate: (value: unknown) => contentProblem(value) === undefined } },
    reports((value, param) => contentProblem(value, param) as Problem),
  );
}
