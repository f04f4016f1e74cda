import { ValidateBy, ValidationArguments } from 'class-validator';
import { idProblem } from '../../common/ids';

export const MAX_CONTENT_LENGTH = 256_000;
const DETAILS = ['auto', 'low', 'high'];
const PART_FIELDS: Record<string, { key: string; fields: string[] }> = {
  text: { key: 'text', fields: [] },
  image_url: { key: 'image_url', fields: ['url', 'detail'] },
  image_file: { key: 'image_file', fields: ['file_id', 'detail'] },
};

const describe = (value: unknown): string =>
  value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value === 'object' ? 'an object' : `a ${typeof value}`;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function textProblem(value: unknown, param: string): string | undefined {
  if (typeof value !== 'string') return `Invalid type for '${param}': expected a string, but got ${describe(value)} instead.`;
  if (value.length === 0) {
    return `Invalid '${param}': string too short. Expected a string with minimum length 1, but got an empty string instead.`;
  }
  if (value.length > MAX_CONTENT_LENGTH) {
    return `Invalid '${param}': string too long. Expected a string with maximum length ${MAX_CONTENT_LENGTH}, but got a string with length ${value.length} instead.`;
  }
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

function imageProblem(type: 'image_url' | 'image_file', image: unknown, param: string): string | undefined {
  if (!isObject(image)) return `Invalid type for '${param}': expected an object, but got ${describe(image)} instead.`;
  for (const field of Object.keys(image)) {
    if (!PART_FIELDS[type].fields.includes(field)) return `Unknown parameter: '${param}.${field}'.`;
  }
  const field = type === 'image_url' ? 'url' : 'file_id';
  const value = image[field];
  if (value === undefined) return `Missing required parameter: '${param}.${field}'.`;
  if (typeof value !== 'string' || value.length === 0) {
    return `Invalid type for '${param}.${field}': expected a non-empty string, but got ${describe(value)} instead.`;
  }
  if (type === 'image_url' && !isImageUrl(value)) {
    return `Invalid '${param}.url': expected a valid http(s) URL or a base64 data URL of an image.`;
  }
  if (type === 'image_file' && value.length > 128) return `Invalid '${param}.file_id': expected a file ID of at most 128 characters.`;
  if (type === 'image_file') {
    const problem = idProblem(value, `${param}.file_id`);
    if (problem) return problem;
  }
  if (image.detail !== undefined && !DETAILS.includes(image.detail as string)) {
    return `Invalid value for '${param}.detail': expected one of 'auto', 'low' or 'high', but got '${String(image.detail)}' instead.`;
  }
  return undefined;
}

function partProblem(part: unknown, param: string): string | undefined {
  if (!isObject(part)) return `Invalid type for '${param}': expected an object, but got ${describe(part)} instead.`;
  const type = part.type;
  if (type === undefined) return `Missing required parameter: '${param}.type'.`;
  const spec = typeof type === 'string' ? PART_FIELDS[type] : undefined;
  if (!spec) {
    return `Invalid value for '${param}.type': expected one of 'text', 'image_url' or 'image_file', but got '${String(type)}' instead.`;
  }
  for (const field of Object.keys(part)) {
    if (field !== 'type' && field !== spec.key) return `Unknown parameter: '${param}.${field}'.`;
  }
  if (part[spec.key] === undefined) return `Missing required parameter: '${param}.${spec.key}'.`;
  if (type === 'text') return textProblem(part.text, `${param}.text`);
  return imageProblem(type as 'image_url' | 'image_file', part[spec.key], `${param}.${spec.key}`);
}

/** What is wrong with a message's `content` (a string, or a non-empty array of parts), or undefined. */
export function contentProblem(content: unknown, param = 'content'): string | undefined {
  if (typeof content === 'string') return textProblem(content, param);
  if (!Array.isArray(content)) {
    return `Invalid type for '${param}': expected a string or an array of content parts, but got ${describe(content)} instead.`;
  }
  if (content.length === 0) {
    return `Invalid '${param}': empty array. Expected an array with minimum length 1, but got an empty array instead.`;
  }
  for (let i = 0; i < content.length; i++) {
    const problem = partProblem(content[i], `${param}[${i}]`);
    if (problem) return problem;
  }
  return undefined;
}

export function IsMessageContent(): PropertyDecorator {
  return ValidateBy({
    name: 'isMessageContent',
    validator: {
      validate: (value: unknown) => contentProblem(value) === undefined,
      defaultMessage: (args?: ValidationArguments) => contentProblem(args?.value) ?? '',
    },
  });
}
