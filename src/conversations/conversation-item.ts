import { characters, longerThan } from '../common/characters';
import { parsed, RawJson, Stored } from '../common/http/raw-json';
import { arrayTooLong, invalidType, invalidValue, missingParameter, notOneOf, Problem, stringTooLong, unknownParameter } from '../common/errors/wording';
import { newMessageId, randomBase62 } from '../common/ids';
import type { FileReference } from '../files/file-references';
import { MessageAttachment, MessageContentPart, MessageRecord } from '../messages/message.entity';

/**
 * Conversation items <-> Assistants messages: one store, two views.
 *
 * A `message` item of role `user` or `assistant` whose every part has an Assistants form is stored
 * as a message (the same row, the same `msg_` id in both APIs):
 *
 * | Conversations part                         | Assistants message                                   |
 * |--------------------------------------------|------------------------------------------------------|
 * | `input_text` (user), `output_text` (assistant) | `text` part, annotations carried over (below)     |
 * | `input_image` with `image_url`             | `image_url` part                                     |
 * | `input_image` with `file_id`               | `image_file` part                                    |
 * | `input_file` with `file_id` only           | an attachment (`tools: []`)                          |
 *
 * Any other item (function calls and outputs, reasoning, `system`/`developer` messages, parts such
 * as `refusal` or an `input_file` with `file_data`) is stored whole in `item`: the Conversations
 * routes serve it as written, the Assistants routes never show it.
 */

export const MAX_ITEMS = 20;

/** An item as the Conversations API shows it. */
export type ItemObject = { id: string; type: string } & Record<string, unknown>;

/** A validated item ready to insert: a message (`item` null) or an item stored whole. */
export interface NewItem {
  id: string;
  role: string;
  content: MessageContentPart[];
  attachments: MessageAttachment[];
  metadata: Record<string, string>;
  /** The whole item without its id, or null for a message the Assistants API shows. */
  item: Record<string, unknown> | null;
}

/** A stored row as the conversation repository reads it. */
export type ItemRecord = MessageRecord & { item: Stored<Record<string, unknown>> | null };

/**
 * An item stored whole, answered as it was read: its id spliced in front of its stored fields
 * (responseJson writes the text as it is), never parsed and serialised again.
 */
export class RawItem extends RawJson<ItemObject> {
  constructor(
    readonly id: string,
    text: string,
  ) {
    super(text);
  }
}

/** An item as a response carries it. */
export type PresentedItem = ItemObject | RawItem;

/**
 * `{"id":...,` then the stored item's fields, when its text is a compact object without an `id`
 * key of its own anywhere (toNewItem stores it so); undefined for any other text.
 */
function rawItem(id: string, stored: RawJson): RawItem | undefined {
  const text = stored.text;
  if (text.charCodeAt(0) !== 0x7b || text.includes('"id"')) return undefined;
  return new RawItem(id, `{"id":${JSON.stringify(id)}${text === '{}' ? '' : ','}${text.slice(1)}`);
}

const MESSAGE_ROLES = ['user', 'assistant', 'system', 'developer'] as const;

/** The item types a client may add, with the prefix of the ids this service gives them. */
const ITEM_PREFIXES: ReadonlyMap<string, string> = new Map([
  ['message', 'msg'],
  ['function_call', 'fc'],
  ['function_call_output', 'fco'],
  ['reasoning', 'rs'],
  ['file_search_call', 'fs'],
  ['web_search_call', 'ws'],
  ['computer_call', 'cu'],
  ['computer_call_output', 'cuo'],
  ['image_generation_call', 'ig'],
  ['code_interpreter_call', 'ci'],
  ['local_shell_call', 'lsh'],
  ['local_shell_call_output', 'lsho'],
  ['shell_call', 'sh'],
  ['shell_call_output', 'sho'],
  ['apply_patch_call', 'apc'],
  ['apply_patch_call_output', 'apco'],
  ['mcp_list_tools', 'mcpl'],
  ['mcp_approval_request', 'mcpr'],
  ['mcp_approval_response', 'mcpa'],
  ['mcp_call', 'mcp'],
  ['custom_tool_call', 'ctc'],
  ['custom_tool_call_output', 'ctco'],
  ['compaction', 'cmp'],
]);
export const ITEM_TYPES: readonly string[] = [...ITEM_PREFIXES.keys()];

/** Fields an item of a type must carry as strings (beyond `type`). */
const REQUIRED_STRINGS: ReadonlyMap<string, readonly string[]> = new Map([
  ['function_call', ['call_id', 'name', 'arguments']],
  ['function_call_output', ['call_id']],
  ['custom_tool_call', ['call_id', 'name', 'input']],
  ['custom_tool_call_output', ['call_id']],
]);

/**
 * The fields the spec gives the common item types (their input params): any other is refused, as on
 * every other route. The rarer types are stored as written.
 */
const ITEM_FIELDS: ReadonlyMap<string, readonly string[]> = new Map([
  ['message', ['type', 'id', 'role', 'content', 'status', 'phase']],
  ['function_call', ['type', 'id', 'call_id', 'name', 'namespace', 'arguments', 'caller', 'status']],
  ['function_call_output', ['type', 'id', 'call_id', 'name', 'namespace', 'output', 'caller', 'status']],
  ['reasoning', ['type', 'id', 'summary', 'content', 'encrypted_content', 'status']],
]);

const ITEM_STATUSES = ['in_progress', 'completed', 'incomplete'] as const;
const MESSAGE_PHASES = ['commentary', 'final_answer'] as const;
/** Types whose item, as the API returns it, always carries a status (`completed` unless sent). */
export const STATUS_DEFAULTED = new Set(['message', 'function_call', 'function_call_output']);
/** The parts a tool call's output, or a message not the assistant's, may hold (besides a string). */
const INPUT_PART_TYPES = ['input_text', 'input_image', 'input_file'] as const;
const MAX_CALL_ID = 64;
const MAX_OUTPUT_CHARACTERS = 10_485_760;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** What is wrong with a content part, or undefined. */
function partProblem(part: unknown, param: string): Problem | undefined {
  if (!isObject(part)) return invalidType(param, 'an object', part);
  if (part.type === undefined) return missingParameter(`${param}.type`);
  if (typeof part.type !== 'string') return invalidType(`${param}.type`, 'a string', part.type);
  switch (part.type) {
    case 'input_text':
    case 'output_text':
      if (part.text === undefined) return missingParameter(`${param}.text`);
      if (typeof part.text !== 'string') return invalidType(`${param}.text`, 'a string', part.text);
      if (part.annotations !== undefined && !Array.isArray(part.annotations)) return invalidType(`${param}.annotations`, 'an array', part.annotations);
      return undefined;
    case 'input_image':
      for (const key of ['image_url', 'file_id', 'detail']) {
        if (part[key] !== undefined && part[key] !== null && typeof part[key] !== 'string') return invalidType(`${param}.${key}`, 'a string', part[key]);
      }
      if (typeof part.image_url !== 'string' && typeof part.file_id !== 'string') return missingParameter(`${param}.image_url`);
      if (part.detail !== undefined && part.detail !== null && !['auto', 'low', 'high', 'original'].includes(part.detail as string)) {
        return notOneOf(`${param}.detail`, ['auto', 'low', 'high', 'original'], part.detail);
      }
      return undefined;
    case 'input_file':
      for (const key of ['file_id', 'filename', 'file_data', 'file_url']) {
        if (part[key] !== undefined && part[key] !== null && typeof part[key] !== 'string') return invalidType(`${param}.${key}`, 'a string', part[key]);
      }
      return undefined;
    case 'refusal':
      return typeof part.refusal === 'string' ? undefined : invalidType(`${param}.refusal`, 'a string', part.refusal);
    default:
      return notOneOf(`${param}.type`, ['input_text', 'output_text', 'input_image', 'input_file', 'refusal'], part.type);
  }
}

/** What is wrong with one input item, or undefined. */
function itemProblem(item: unknown, param: string): Problem | undefined {
  if (!isObject(item)) return invalidType(param, 'an object', item);
  const type = item.type ?? (item.role !== undefined ? 'message' : undefined);
  if (type === undefined) return missingParameter(`${param}.type`);
  if (typeof type !== 'string') return invalidType(`${param}.type`, 'a string', type);
  if (!ITEM_PREFIXES.has(type)) return notOneOf(`${param}.type`, ITEM_TYPES, type);
  if (item.id !== undefined && item.id !== null && typeof item.id !== 'string') return invalidType(`${param}.id`, 'a string', item.id);
  const common = commonProblem(item, type, param);
  if (common) return common;
  if (type === 'message') {
    if (item.phase !== undefined && item.phase !== null && !(MESSAGE_PHASES as readonly unknown[]).includes(item.phase)) {
      return notOneOf(`${param}.phase`, MESSAGE_PHASES, item.phase);
    }
    if (item.role === undefined) return missingParameter(`${param}.role`);
    if (!MESSAGE_ROLES.includes(item.role as (typeof MESSAGE_ROLES)[number])) return notOneOf(`${param}.role`, MESSAGE_ROLES, item.role);
    if (item.content === undefined) return missingParameter(`${param}.content`);
    if (typeof item.content === 'string') return undefined;
    if (!Array.isArray(item.content)) return invalidType(`${param}.content`, 'a string or an array', item.content);
    for (let i = 0; i < item.content.length; i++) {
      const part: unknown = item.content[i];
      // Only an assistant's message is the model's output: anyone else's holds input parts.
      if (item.role !== 'assistant' && isObject(part) && (part.type === 'output_text' || part.type === 'refusal')) {
        return notOneOf(`${param}.content[${i}].type`, INPUT_PART_TYPES, part.type);
      }
      const problem = partProblem(part, `${param}.content[${i}]`);
      if (problem) return problem;
    }
    return undefined;
  }
  for (const key of REQUIRED_STRINGS.get(type) ?? []) {
    if (item[key] === undefined) return missingParameter(`${param}.${key}`);
    if (typeof item[key] !== 'string') return invalidType(`${param}.${key}`, 'a string', item[key]);
  }
  if (type === 'function_call_output') {
    const callId = item.call_id as string;
    if (callId.length === 0 || longerThan(callId, MAX_CALL_ID)) {
      return invalidValue(`${param}.call_id`, `expected a string of 1 to ${MAX_CALL_ID} characters, but got ${characters(callId)} characters instead.`);
    }
  }
  if (type === 'function_call_output' || type === 'custom_tool_call_output') return outputProblem(item.output, `${param}.output`);
  if (type === 'reasoning') return summaryProblem(item.summary, `${param}.summary`);
  return undefined;
}

/** The fields every item shares a rule for: no field its type does not have, a status of the spec's. */
function commonProblem(item: Record<string, unknown>, type: string, param: string): Problem | undefined {
  const fields = ITEM_FIELDS.get(type);
  if (fields) for (const key of Object.keys(item)) if (!fields.includes(key)) return unknownParameter(`${param}.${key}`);
  if (item.status !== undefined && item.status !== null && !(ITEM_STATUSES as readonly unknown[]).includes(item.status)) {
    return notOneOf(`${param}.status`, ITEM_STATUSES, item.status);
  }
  return undefined;
}

/** A tool call's output: a string, or a list of text, image and file parts. */
function outputProblem(output: unknown, param: string): Problem | undefined {
  if (output === undefined) return missingParameter(param);
  if (typeof output === 'string') {
    return longerThan(output, MAX_OUTPUT_CHARACTERS) ? stringTooLong(param, MAX_OUTPUT_CHARACTERS, characters(output)) : undefined;
  }
  if (!Array.isArray(output)) return invalidType(param, 'a string or an array', output);
  for (let i = 0; i < output.length; i++) {
    const part: unknown = output[i];
    const at = `${param}[${i}]`;
    if (isObject(part) && typeof part.type === 'string' && !(INPUT_PART_TYPES as readonly string[]).includes(part.type)) {
      return notOneOf(`${at}.type`, INPUT_PART_TYPES, part.type);
    }
    const problem = partProblem(part, at);
    if (problem) return problem;
  }
  return undefined;
}

/** A reasoning item's summary: a list of `summary_text` parts. */
function summaryProblem(summary: unknown, param: string): Problem | undefined {
  if (summary === undefined) return missingParameter(param);
  if (!Array.isArray(summary)) return invalidType(param, 'an array', summary);
  for (let i = 0; i < summary.length; i++) {
    const part: unknown = summary[i];
    const at = `${param}[${i}]`;
    if (!isObject(part)) return invalidType(at, 'an object', part);
    if (part.type !== 'summary_text') return part.type === undefined ? missingParameter(`${at}.type`) : notOneOf(`${at}.type`, ['summary_text'], part.type);
    if (typeof part.text !== 'string') return part.text === undefined ? missingParameter(`${at}.text`) : invalidType(`${at}.text`, 'a string', part.text);
  }
  return undefined;
}

/** What is wrong with a list of input items (`items`), or undefined. */
export function itemsProblem(value: unknown, param: string): Problem | undefined {
  if (!Array.isArray(value)) return invalidType(param, 'an array', value);
  if (value.length > MAX_ITEMS) return arrayTooLong(param, MAX_ITEMS, value.length);
  for (let i = 0; i < value.length; i++) {
    const problem = itemProblem(value[i], `${param}[${i}]`);
    if (problem) return problem;
  }
  return undefined;
}

type Part = Record<string, unknown>;

/** The parts of a message item as stored whole: a string becomes one text part of the role's kind. */
function partsOf(role: string, content: unknown): Part[] {
  if (typeof content === 'string') return [textPart(role, content)];
  return content as Part[];
}

/** An `output_text` part as the API returns it: `annotations` and `logprobs` always there. */
export function withOutputTextFields(part: Part): Part {
  if (part.type !== 'output_text' || (part.annotations !== undefined && part.logprobs !== undefined)) return part;
  return { ...part, annotations: part.annotations ?? [], logprobs: part.logprobs ?? [] };
}

function textPart(role: string, text: string): Part {
  return role === 'assistant' ? { type: 'output_text', text, annotations: [], logprobs: [] } : { type: 'input_text', text };
}

/**
 * Annotations carry over both ways: a Responses `file_citation` (`file_id`, `filename`, `index`)
 * is an Assistants `file_citation` (`file_citation.file_id`, `text`, `start_index` = `end_index`),
 * a `file_path` likewise. Other kinds (`url_citation`, ...) have no Assistants form.
 */
function toAssistantsAnnotation(annotation: unknown): unknown {
  if (!isObject(annotation) || typeof annotation.file_id !== 'string' || !Number.isInteger(annotation.index)) return undefined;
  const at = { start_index: annotation.index, end_index: annotation.index };
  if (annotation.type === 'file_citation' && typeof annotation.filename === 'string' && onlyKeys(annotation, ['type', 'file_id', 'filename', 'index'])) {
    return { type: 'file_citation', text: annotation.filename, ...at, file_citation: { file_id: annotation.file_id } };
  }
  if (annotation.type === 'file_path' && onlyKeys(annotation, ['type', 'file_id', 'index'])) {
    return { type: 'file_path', text: '', ...at, file_path: { file_id: annotation.file_id } };
  }
  return undefined;
}

function toItemAnnotation(annotation: unknown): unknown {
  if (!isObject(annotation)) return annotation;
  const fileId = (key: string) => (isObject(annotation[key]) ? (annotation[key] as Record<string, unknown>).file_id : undefined);
  if (annotation.type === 'file_citation')
    return { type: 'file_citation', file_id: fileId('file_citation'), filename: annotation.text, index: annotation.start_index };
  if (annotation.type === 'file_path') return { type: 'file_path', file_id: fileId('file_path'), index: annotation.start_index };
  return annotation;
}

const onlyKeys = (part: Part, keys: readonly string[]): boolean => Object.keys(part).every((key) => keys.includes(key));

/** The message's Assistants form, or undefined when one of its parts (or its fields) has none. */
function asAssistantsMessage(item: Record<string, unknown>): Pick<NewItem, 'role' | 'content' | 'attachments'> | undefined {
  const role = item.role as string;
  if (role !== 'user' && role !== 'assistant') return undefined;
  if (!onlyKeys(item, ['type', 'role', 'content', 'id', 'status'])) return undefined;
  if (item.status !== undefined && item.status !== 'completed') return undefined;
  const content: MessageContentPart[] = [];
  const attachments: MessageAttachment[] = [];
  for (const part of partsOf(role, item.content)) {
    switch (part.type) {
      case 'input_text':
        if (!onlyKeys(part, ['type', 'text'])) return undefined;
        content.push({ type: 'text', text: { value: part.text as string, annotations: [] } });
        break;
      case 'output_text': {
        if (role !== 'assistant' || !onlyKeys(part, ['type', 'text', 'annotations', 'logprobs'])) return undefined;
        if (Array.isArray(part.logprobs) && part.logprobs.length > 0) return undefined;
        const annotations = ((part.annotations as unknown[] | undefined) ?? []).map(toAssistantsAnnotation);
        if (annotations.some((annotation) => annotation === undefined)) return undefined;
        content.push({ type: 'text', text: { value: part.text as string, annotations } });
        break;
      }
      case 'input_image': {
        if (!onlyKeys(part, ['type', 'image_url', 'file_id', 'detail'])) return undefined;
        const detail = (part.detail as string | null | undefined) ?? 'auto';
        if (detail === 'original') return undefined;
        const url = part.image_url as string | null | undefined;
        const fileId = part.file_id as string | null | undefined;
        if (typeof url === 'string' && (fileId === undefined || fileId === null)) content.push({ type: 'image_url', image_url: { url, detail } });
        else if (typeof fileId === 'string' && (url === undefined || url === null))
          content.push({ type: 'image_file', image_file: { file_id: fileId, detail } });
        else return undefined;
        break;
      }
      case 'input_file':
        if (!onlyKeys(part, ['type', 'file_id']) || typeof part.file_id !== 'string') return undefined;
        attachments.push({ file_id: part.file_id, tools: [] });
        break;
      default:
        return undefined;
    }
  }
  if (content.length === 0) return undefined;
  return { role, content, attachments };
}

/** A validated input item in its stored form, with a new id. */
export function toNewItem(input: Record<string, unknown>): NewItem {
  const type = (input.type as string | undefined) ?? 'message';
  if (type === 'message') {
    const message = asAssistantsMessage(input);
    if (message) return { id: newMessageId(), ...message, metadata: {}, item: null };
  }
  const { id: _id, ...rest } = input;
  void _id;
  const item: Record<string, unknown> = { type, ...rest };
  if (type === 'message') item.content = partsOf(input.role as string, input.content).map(withOutputTextFields);
  if (STATUS_DEFAULTED.has(type)) item.status = input.status ?? 'completed';
  const id = type === 'message' ? newMessageId() : `${ITEM_PREFIXES.get(type) as string}_${randomBase62(24)}`;
  return { id, role: type === 'message' ? (input.role as string) : 'item', content: [], attachments: [], metadata: {}, item };
}

/**
 * The file ids an item names (a message's `input_image` and `input_file` parts, a tool call's output
 * parts), each with the field that names it as the client sent it (`items[0].content[1].file_id`).
 */
export function itemFileReferences(input: Record<string, unknown>, stored: NewItem, prefix: string): FileReference[] {
  const [field, parts] =
    stored.item === null || stored.item.type === 'message'
      ? ['content', typeof input.content === 'string' ? [] : (input.content as Part[])]
      : ['output', Array.isArray(input.output) ? (input.output as Part[]) : []];
  const references: FileReference[] = [];
  parts.forEach((part, j) => {
    if ((part.type === 'input_image' || part.type === 'input_file') && typeof part.file_id === 'string') {
      references.push({ fileId: part.file_id, param: `${prefix}${field}[${j}].file_id` });
    }
  });
  return references;
}

/** A stored row as the Conversations API shows it. */
export function presentItem(record: ItemRecord): PresentedItem {
  if (record.item instanceof RawJson) return rawItem(record.id, record.item) ?? ({ id: record.id, ...record.item.value } as ItemObject);
  if (record.item !== null) return { id: record.id, ...record.item } as ItemObject;
  const content: Part[] = parsed(record.content).map((part): Part => {
    switch (part.type) {
      case 'text':
        return record.role === 'assistant'
          ? { type: 'output_text', text: part.text.value, annotations: part.text.annotations.map(toItemAnnotation), logprobs: [] }
          : { type: 'input_text', text: part.text.value };
      case 'image_url':
        return { type: 'input_image', image_url: part.image_url.url, file_id: null, detail: part.image_url.detail ?? 'auto' };
      case 'image_file':
        return { type: 'input_image', image_url: null, file_id: part.image_file.file_id, detail: part.image_file.detail ?? 'auto' };
    }
  });
  for (const attachment of parsed(record.attachments)) content.push({ type: 'input_file', file_id: attachment.file_id });
  return { id: record.id, type: 'message', status: record.status, role: record.role, content };
}
