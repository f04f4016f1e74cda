/**
 * The floor: the least a server can do for `POST /v1/threads/{id}/messages` and `GET /v1/threads/{id}/messages`
 * (and their Conversations counterparts, `POST` and `GET /v1/conversations/{id}/items`),
 * `GET /v1/threads/{id}/messages/{message_id}` and `POST /v1/threads`, and still give the service's answers.
 * node:http and pg, nothing else: the same API-key check (SHA-256 of the bearer key, crypto.timingSafeEqual
 * against every configured key), the same validation of the create bodies (hand-written, compact), the same
 * single INSERT ... SELECT FROM threads WHERE id AND tenant_id as a named prepared statement (for items, the
 * service's INSERT of unnested arrays; for a thread, its INSERT INTO threads, with its first messages as unnested
 * arrays in the same statement), the same keyset list query (built by the service's own listMessagesQuery and
 * listItemsQuery), the service's own retrieve statement (FIND_MESSAGE), and the same v2 message objects, thread
 * objects, conversation items and list envelope. File ids (attachments, tool resources) are stored as given, not
 * checked against the tenant's files. v2 shapes only (no OpenAI-Beta header, or assistants=v2). And
 * `GET /v1/files/{file_id}`: the service's statement (FilesRepository's find) and its file object (presentFile).
 *
 * Env: PORT, HOST (default 127.0.0.1), DATABASE_URL, API_KEYS (name:key,...), DB_POOL_SIZE (default 10),
 * BODY_LIMIT_BYTES (default 10 MiB). It serves an already migrated database; it never changes the schema.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { floorPool, HttpError, portOr, send, serve, tenantOf } from './floor-setup';
import { planKeyset, takePage } from '../../src/common/pagination/keyset';
import { listEnvelope } from '../../src/common/pagination/list-envelope';
import { STATUS_DEFAULTED, withOutputTextFields } from '../../src/conversations/conversation-item';
import { listItemsQuery } from '../../src/conversations/conversation-items.repository';
import { INCLUDABLE as INCLUDABLE_VALUES } from '../../src/conversations/dto/item-query.dto';
import type { FileRecord } from '../../src/files/file.entity';
import { presentFile } from '../../src/files/file.presenter';
import { FILE_TRANSFER_STATEMENTS } from '../../src/files/files.repository';
import { messageColumns } from '../../src/messages/message-columns';
import { FIND_MESSAGE, listMessagesQuery } from '../../src/messages/messages.repository';

// ---- configuration -----------------------------------------------------------------------------------------

const PORT = portOr(8090);
const BODY_LIMIT = Number(process.env.BODY_LIMIT_BYTES || 10 * 1024 * 1024);
const pool = floorPool('bench-floor');

// ---- SQL ---------------------------------------------------------------------------------------------------

const NOW = 'extract(epoch from now())::bigint';
const INSERT_TEXT = `
  INSERT INTO messages (thread_id, id, tenant_id, created_at, completed_at, role, content, attachments, metadata)
  SELECT t.id, $3, t.tenant_id, ${NOW}, ${NOW}, $4, $5::json, $6::json, $7::json
  FROM threads t WHERE t.id = $1 AND t.tenant_id = $2
  RETURNING ${messageColumns('messages')}`;

/** The service's thread insert (ThreadsRepository); only the time comes back, the rest is answered as sent. */
const INSERT_THREAD_TEXT = `
  INSERT INTO threads (id, tenant_id, created_at, metadata, tool_resources)
  VALUES ($1, $2, ${NOW}, $3::json, $4::json)
  RETURNING created_at AS "createdAt"`;

/** A thread and its first messages in one statement, the messages keyed in the order given. */
const INSERT_THREAD_WITH_MESSAGES_TEXT = `
  WITH thread AS (${INSERT_THREAD_TEXT}),
  inserted AS (
    INSERT INTO messages (thread_id, id, tenant_id, created_at, completed_at, role, content, attachments, metadata)
    SELECT $1, m.id, $2, thread."createdAt", thread."createdAt", m.role, m.content, m.attachments, m.metadata
    FROM thread,
      unnest($5::varchar[], $6::varchar[], $7::json[], $8::json[], $9::json[]) WITH ORDINALITY
        AS m(id, role, content, attachments, metadata, ord)
    ORDER BY m.ord
  )
  SELECT thread.* FROM thread`;

const statementNames = new Map<string, string>();
function statementName(text: string): string {
  let name = statementNames.get(text);
  if (!name) {
    name = `floor_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`;
    statementNames.set(text, name);
  }
  return name;
}

// ---- responses ---------------------------------------------------------------------------------------------

interface MessageRow {
  id: string;
  threadId: string;
  createdAt: number;
  role: string;
  content: unknown;
  attachments: unknown;
  assistantId: string | null;
  runId: string | null;
  status: string;
  incompleteDetails: unknown;
  completedAt: number | null;
  incompleteAt: number | null;
  metadata: unknown;
}

/** The v2 message object, fields in the service's order. */
function present(m: MessageRow) {
  return {
    id: m.id,
    object: 'thread.message',
    created_at: m.createdAt,
    thread_id: m.threadId,
    status: m.status,
    incomplete_details: m.incompleteDetails,
    completed_at: m.completedAt,
    incomplete_at: m.incompleteAt,
    role: m.role,
    content: m.content,
    assistant_id: m.assistantId,
    run_id: m.runId,
    attachments: m.attachments,
    metadata: m.metadata,
  };
}

const badRequest = (message: string, param: string | null = null, code: string | null = null) => new HttpError(400, message, param, code);
const unknownParameter = (param: string) => badRequest(`Unknown parameter: '${param}'.`, param, 'unknown_parameter');
const threadNotFound = (id: string) => new HttpError(404, `No thread found with id '${id}'.`);
const messageNotFound = (id: string) => new HttpError(404, `No message found with id '${id}'.`);
const fileNotFound = (id: string) => new HttpError(404, `No file found with id '${id}'.`);

// ---- validation of the create body (v2) --------------------------------------------------------------------

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const CREATE_FIELDS = new Set(['role', 'content', 'attachments', 'file_ids', 'metadata']);
const DETAILS = new Set(['auto', 'low', 'high']);
const TOOLS = new Set(['code_interpreter', 'file_search']);
const MAX_CONTENT = 256_000;

function text(value: unknown, param: string): string {
  if (typeof value !== 'string') throw badRequest(`Invalid type for '${param}': expected a string.`, param, 'invalid_type');
  if (value.length < 1 || value.length > MAX_CONTENT) throw badRequest(`Invalid '${param}': expected 1 to ${MAX_CONTENT} characters.`, param, 'invalid_value');
  return value;
}

function onlyFields(value: Record<string, unknown>, allowed: string[], param: string): void {
  for (const key of Object.keys(value)) if (!allowed.includes(key)) throw unknownParameter(`${param}.${key}`);
}

function image(value: unknown, field: 'url' | 'file_id', param: string): { ref: string; detail: string } {
  if (!isObject(value)) throw badRequest(`Invalid type for '${param}': expected an object.`, param, 'invalid_type');
  onlyFields(value, [field, 'detail'], param);
  const ref = value[field];
  if (typeof ref !== 'string' || ref.length === 0) throw badRequest(`Invalid '${param}.${field}'.`, `${param}.${field}`, 'invalid_value');
  if (field === 'url' && !/^data:image\/[a-z+.-]+;base64,/i.test(ref) && !/^https?:\/\/[^\s/]+/i.test(ref)) {
    throw badRequest(`Invalid '${param}.url'.`, `${param}.url`, 'invalid_value');
  }
  if (field === 'file_id' && ref.length > 128) throw badRequest(`Invalid '${param}.file_id'.`, `${param}.file_id`, 'invalid_value');
  if (value.detail !== undefined && !DETAILS.has(value.detail as string))
    throw badRequest(`Invalid value for '${param}.detail'.`, `${param}.detail`, 'invalid_value');
  return { ref, detail: (value.detail as string | undefined) ?? 'auto' };
}

/** Request content (a string or parts) to the stored parts, or a 400. `at`: the message's place in a thread body. */
function content(value: unknown, at = ''): unknown[] {
  if (typeof value === 'string') return [{ type: 'text', text: { value: text(value, `${at}content`), annotations: [] } }];
  if (!Array.isArray(value) || value.length === 0)
    throw badRequest(`Invalid '${at}content': expected a string or a non-empty array of parts.`, `${at}content`, 'invalid_value');
  return value.map((part, i) => {
    const param = `${at}content[${i}]`;
    if (!isObject(part)) throw badRequest(`Invalid type for '${param}': expected an object.`, param, 'invalid_type');
    switch (part.type) {
      case 'text':
        onlyFields(part, ['type', 'text'], param);
        return { type: 'text', text: { value: text(part.text, `${param}.text`), annotations: [] } };
      case 'image_url': {
        onlyFields(part, ['type', 'image_url'], param);
        const { ref, detail } = image(part.image_url, 'url', `${param}.image_url`);
        return { type: 'image_url', image_url: { url: ref, detail } };
      }
      case 'image_file': {
        onlyFields(part, ['type', 'image_file'], param);
        const { ref, detail } = image(part.image_file, 'file_id', `${param}.image_file`);
        return { type: 'image_file', image_file: { file_id: ref, detail } };
      }
      default:
        throw badRequest(`Invalid value for '${param}.type'.`, `${param}.type`, 'invalid_value');
    }
  });
}

function attachments(value: unknown, at = ''): unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.length > 10)
    throw badRequest(`Invalid '${at}attachments': expected an array of at most 10.`, `${at}attachments`, 'invalid_value');
  return value.map((item, i) => {
    const param = `${at}attachments[${i}]`;
    if (!isObject(item)) throw badRequest(`Invalid type for '${param}': expected an object.`, param, 'invalid_type');
    onlyFields(item, ['file_id', 'tools'], param);
    const fileId = item.file_id;
    if (typeof fileId !== 'string' || fileId.length === 0 || fileId.length > 128)
      throw badRequest(`Invalid '${param}.file_id'.`, `${param}.file_id`, 'invalid_value');
    if (!Array.isArray(item.tools) || item.tools.length > 2) throw badRequest(`Invalid '${param}.tools'.`, `${param}.tools`, 'invalid_value');
    const tools = item.tools.map((tool, j) => {
      if (!isObject(tool)) throw badRequest(`Invalid type for '${param}.tools[${j}]'.`, `${param}.tools[${j}]`, 'invalid_type');
      onlyFields(tool, ['type'], `${param}.tools[${j}]`);
      if (!TOOLS.has(tool.type as string)) throw badRequest(`Invalid value for '${param}.tools[${j}].type'.`, `${param}.tools[${j}].type`, 'invalid_value');
      return { type: tool.type };
    });
    return { file_id: fileId, tools };
  });
}

function metadata(value: unknown, param = 'metadata'): Record<string, unknown> {
  if (value === undefined || value === null) return {};
  if (!isObject(value)) throw badRequest(`Invalid type for '${param}': expected an object.`, param, 'invalid_type');
  const entries = Object.entries(value);
  if (entries.length > 16) throw badRequest(`Invalid '${param}': too many properties.`, param, 'invalid_value');
  for (const [key, item] of entries) {
    if (key.length > 64) throw badRequest(`Invalid '${param}': key '${key.slice(0, 80)}' is too long.`, param, 'invalid_value');
    if (typeof item !== 'string') throw badRequest(`Invalid type for '${param}.${key}': expected a string.`, `${param}.${key}`, 'invalid_type');
    if (item.length > 512) throw badRequest(`Invalid '${param}.${key}': string too long.`, `${param}.${key}`, 'invalid_value');
  }
  return value;
}

/** A create-message body (or, `at` its place, a message of a create-thread body) to the row's values, or a 400. */
function newMessage(body: unknown, at = '') {
  if (body === null) body = {};
  if (!isObject(body)) throw badRequest('Invalid request body: expected a JSON object.', null, 'invalid_type');
  for (const key of Object.keys(body)) if (!CREATE_FIELDS.has(key)) throw unknownParameter(`${at}${key}`);
  if (body.role === undefined || body.role === null) throw badRequest(`Missing required parameter: '${at}role'.`, `${at}role`, 'missing_required_parameter');
  if (body.role !== 'user' && body.role !== 'assistant')
    throw badRequest(`Invalid value for '${at}role': expected one of 'user' or 'assistant'.`, `${at}role`, 'invalid_value');
  if (body.content === undefined || body.content === null)
    throw badRequest(`Missing required parameter: '${at}content'.`, `${at}content`, 'missing_required_parameter');
  const parts = content(body.content, at);
  const files = attachments(body.attachments, at);
  if (body.file_ids !== undefined) throw unknownParameter(`${at}file_ids`);
  return { role: body.role, content: parts, attachments: files, metadata: metadata(body.metadata, `${at}metadata`) };
}

// ---- id ----------------------------------------------------------------------------------------------------

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
function base62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(2 * length)) if (byte < 248 && out.length < length) out += ALPHABET[byte % 62];
  }
  return out;
}
const messageId = (): string => `msg_${base62(24)}`;
const threadId = (): string => `thread_${base62(24)}`;
/** The service's rule for an id a client sends (1 to 128 visible ASCII characters): any other names no object. */
const WELL_FORMED_ID = /^[\x21-\x7e]{1,128}$/;

// ---- handlers ----------------------------------------------------------------------------------------------

async function create(tenant: string, threadId: string, body: unknown) {
  const message = newMessage(body);
  const { rows } = await pool.query<MessageRow>({
    name: statementName(INSERT_TEXT),
    text: INSERT_TEXT,
    values: [
      threadId,
      tenant,
      messageId(),
      message.role,
      JSON.stringify(message.content),
      JSON.stringify(message.attachments),
      JSON.stringify(message.metadata),
    ],
  });
  if (rows.length === 0) throw threadNotFound(threadId);
  return present(rows[0]);
}

const LIST_PARAMS = new Set(['limit', 'order', 'after', 'before', 'run_id', 'api-version']);

async function list(tenant: string, threadId: string, query: URLSearchParams) {
  for (const key of new Set(query.keys())) {
    if (!LIST_PARAMS.has(key)) throw unknownParameter(key);
    if (query.getAll(key).length > 1) throw badRequest(`Invalid type for '${key}'.`, key, 'invalid_type');
  }
  const limitText = query.get('limit');
  const limit = limitText === null ? 20 : Number(limitText);
  if (!Number.isInteger(limit)) throw badRequest(`Invalid type for 'limit': expected an integer, but got '${limitText}' instead.`, 'limit', 'invalid_type');
  if (limit < 1 || limit > 100) throw badRequest(`Invalid 'limit': expected a value from 1 to 100, but got ${limit} instead.`, 'limit', 'invalid_value');
  const order = query.get('order') ?? 'desc';
  if (order !== 'asc' && order !== 'desc') throw badRequest(`Invalid value for 'order': expected one of 'asc' or 'desc'.`, 'order', 'invalid_value');
  const cursor = (name: string) => {
    const value = query.get(name) ?? undefined;
    if (value !== undefined && value.length > 128) throw badRequest(`Invalid '${name}': too long.`, name, 'invalid_value');
    return value;
  };
  const after = cursor('after');
  const before = cursor('before');
  const runId = cursor('run_id');
  const plan = planKeyset(order, after ? 'after' : before ? 'before' : 'none', limit);
  const { statement, params } = listMessagesQuery({ order, plan, threadId, tenant, after, before, runId });
  type Row = MessageRow & { afterSeq: number | null; beforeSeq: number | null };
  const { rows } = await pool.query<Row>({ name: statementName(statement.text), text: statement.text, values: params });
  if (rows.length === 0) throw threadNotFound(threadId);
  const invalidCursor = (param: string, id: string) =>
    badRequest(`Invalid '${param}': '${id}' is not an object of this list. Use the id of an object from a previous page.`, param, 'invalid_cursor');
  if (after && rows[0].afterSeq === null) throw invalidCursor('after', after);
  if (before && rows[0].beforeSeq === null) throw invalidCursor('before', before);
  const { items, hasMore } = takePage(
    rows.filter((row) => row.id !== null),
    plan,
  );
  return listEnvelope(items.map(present), hasMore);
}

/** The service's retrieve: a malformed message id, then a malformed thread id, names no object (as its id pipes say). */
async function retrieve(tenant: string, thread: string, id: string) {
  if (!WELL_FORMED_ID.test(id)) throw messageNotFound(id);
  if (!WELL_FORMED_ID.test(thread)) throw threadNotFound(thread);
  type Row = MessageRow & { threadFound: string };
  const { rows } = await pool.query<Row>({ name: statementName(FIND_MESSAGE.text), text: FIND_MESSAGE.text, values: [thread, tenant, id] });
  if (rows.length === 0) throw threadNotFound(thread);
  if (rows[0].id === null) throw messageNotFound(id);
  return present(rows[0]);
}

async function retrieveFile(tenant: string, id: string) {
  if (!WELL_FORMED_ID.test(id)) throw fileNotFound(id);
  const { rows } = await pool.query<FileRecord>({ ...FILE_TRANSFER_STATEMENTS.find, values: [id, tenant] });
  if (rows.length === 0) throw fileNotFound(id);
  return presentFile(rows[0]);
}

// ---- conversation items (the Conversations view of the same rows) -----------------------------------------

/** The service's ConversationItemsRepository insert: the items as arrays, in order, ownership checked in the statement. */
const INSERT_ITEMS_TEXT = `
  WITH t AS (SELECT id, tenant_id FROM threads WHERE id = $1 AND tenant_id = $2),
  inserted AS (
    INSERT INTO messages (thread_id, id, tenant_id, created_at, completed_at, role, content, attachments, metadata, item)
    SELECT t.id, i.id, t.tenant_id, ${NOW}, ${NOW}, i.role, i.content, i.attachments, '{}', i.item
    FROM t, unnest($3::varchar[], $4::varchar[], $5::json[], $6::json[], $7::json[]) WITH ORDINALITY AS i(id, role, content, attachments, item, ord)
    ORDER BY i.ord
    RETURNING created_at
  )
  SELECT t.id AS "threadFound", (SELECT min(created_at) FROM inserted) AS "createdAt" FROM t`;

type Json = Record<string, unknown>;

/** An item ready to insert: a message the Assistants API shows (`item` null), or an item stored whole. */
interface StoredItem {
  id: string;
  role: string;
  content: Json[];
  attachments: Json[];
  item: Json | null;
}

const ITEM_PREFIX: Record<string, string> = {
  message: 'msg',
  function_call: 'fc',
  function_call_output: 'fco',
  reasoning: 'rs',
  file_search_call: 'fs',
  web_search_call: 'ws',
  computer_call: 'cu',
  computer_call_output: 'cuo',
  image_generation_call: 'ig',
  code_interpreter_call: 'ci',
  local_shell_call: 'lsh',
  local_shell_call_output: 'lsho',
  shell_call: 'sh',
  shell_call_output: 'sho',
  apply_patch_call: 'apc',
  apply_patch_call_output: 'apco',
  mcp_list_tools: 'mcpl',
  mcp_approval_request: 'mcpr',
  mcp_approval_response: 'mcpa',
  mcp_call: 'mcp',
  custom_tool_call: 'ctc',
  custom_tool_call_output: 'ctco',
  compaction: 'cmp',
};
const ITEM_STRINGS: Record<string, string[]> = {
  function_call: ['call_id', 'name', 'arguments'],
  function_call_output: ['call_id'],
  custom_tool_call: ['call_id', 'name', 'input'],
  custom_tool_call_output: ['call_id'],
};
const ITEM_ROLES = new Set(['user', 'assistant', 'system', 'developer']);
const IMAGE_DETAILS = new Set(['auto', 'low', 'high', 'original']);
const INCLUDABLE = new Set<string>(INCLUDABLE_VALUES);

const invalid = (param: string) => badRequest(`Invalid '${param}'.`, param, 'invalid_value');
const wrongType = (param: string) => badRequest(`Invalid type for '${param}'.`, param, 'invalid_type');
const missing = (param: string) => badRequest(`Missing required parameter: '${param}'.`, param, 'missing_required_parameter');
const optionalString = (value: unknown) => value === undefined || value === null || typeof value === 'string';

function checkPart(part: unknown, param: string): void {
  if (!isObject(part)) throw wrongType(param);
  if (part.type === undefined) throw missing(`${param}.type`);
  switch (part.type) {
    case 'input_text':
    case 'output_text':
      if (part.text === undefined) throw missing(`${param}.text`);
      if (typeof part.text !== 'string') throw wrongType(`${param}.text`);
      if (part.annotations !== undefined && !Array.isArray(part.annotations)) throw wrongType(`${param}.annotations`);
      return;
    case 'input_image':
      for (const key of ['image_url', 'file_id', 'detail']) if (!optionalString(part[key])) throw wrongType(`${param}.${key}`);
      if (typeof part.image_url !== 'string' && typeof part.file_id !== 'string') throw missing(`${param}.image_url`);
      if (part.detail !== undefined && part.detail !== null && !IMAGE_DETAILS.has(part.detail as string)) throw invalid(`${param}.detail`);
      return;
    case 'input_file':
      for (const key of ['file_id', 'filename', 'file_data', 'file_url']) if (!optionalString(part[key])) throw wrongType(`${param}.${key}`);
      return;
    case 'refusal':
      if (typeof part.refusal !== 'string') throw wrongType(`${param}.refusal`);
      return;
    default:
      throw typeof part.type === 'string' ? invalid(`${param}.type`) : wrongType(`${param}.type`);
  }
}

function checkItem(item: unknown, param: string): void {
  if (!isObject(item)) throw wrongType(param);
  const type = item.type ?? (item.role !== undefined ? 'message' : undefined);
  if (type === undefined) throw missing(`${param}.type`);
  if (typeof type !== 'string') throw wrongType(`${param}.type`);
  if (ITEM_PREFIX[type] === undefined) throw invalid(`${param}.type`);
  if (!optionalString(item.id)) throw wrongType(`${param}.id`);
  if (type === 'message') {
    if (item.role === undefined) throw missing(`${param}.role`);
    if (!ITEM_ROLES.has(item.role as string)) throw invalid(`${param}.role`);
    if (item.content === undefined) throw missing(`${param}.content`);
    if (typeof item.content === 'string') return;
    if (!Array.isArray(item.content)) throw wrongType(`${param}.content`);
    item.content.forEach((part, i) => checkPart(part, `${param}.content[${i}]`));
    return;
  }
  for (const key of ITEM_STRINGS[type] ?? []) {
    if (item[key] === undefined) throw missing(`${param}.${key}`);
    if (typeof item[key] !== 'string') throw wrongType(`${param}.${key}`);
  }
}

const onlyKeys = (value: Json, keys: string[]) => Object.keys(value).every((key) => keys.includes(key));
const textPart = (role: string, text: string): Json =>
  role === 'assistant' ? { type: 'output_text', text, annotations: [], logprobs: [] } : { type: 'input_text', text };
const partsOf = (role: string, content: unknown): Json[] => (typeof content === 'string' ? [textPart(role, content)] : (content as Json[]));

/** A Responses file annotation as the Assistants one, or undefined when it has none. */
function assistantsAnnotation(a: unknown): unknown {
  if (!isObject(a) || typeof a.file_id !== 'string' || !Number.isInteger(a.index)) return undefined;
  const at = { start_index: a.index, end_index: a.index };
  if (a.type === 'file_citation' && typeof a.filename === 'string' && onlyKeys(a, ['type', 'file_id', 'filename', 'index'])) {
    return { type: 'file_citation', text: a.filename, ...at, file_citation: { file_id: a.file_id } };
  }
  if (a.type === 'file_path' && onlyKeys(a, ['type', 'file_id', 'index'])) return { type: 'file_path', text: '', ...at, file_path: { file_id: a.file_id } };
  return undefined;
}

/** A message item's Assistants form (text, image and file parts), or undefined when it has none. */
function asMessage(item: Json): Pick<StoredItem, 'role' | 'content' | 'attachments'> | undefined {
  const role = item.role as string;
  if ((role !== 'user' && role !== 'assistant') || !onlyKeys(item, ['type', 'role', 'content', 'id', 'status'])) return undefined;
  if (item.status !== undefined && item.status !== 'completed') return undefined;
  const content: Json[] = [];
  const files: Json[] = [];
  for (const part of partsOf(role, item.content)) {
    if (part.type === 'input_text' && onlyKeys(part, ['type', 'text'])) {
      content.push({ type: 'text', text: { value: part.text, annotations: [] } });
    } else if (part.type === 'output_text' && role === 'assistant' && onlyKeys(part, ['type', 'text', 'annotations', 'logprobs'])) {
      if (Array.isArray(part.logprobs) && part.logprobs.length > 0) return undefined;
      const annotations = ((part.annotations as unknown[] | undefined) ?? []).map(assistantsAnnotation);
      if (annotations.includes(undefined)) return undefined;
      content.push({ type: 'text', text: { value: part.text, annotations } });
    } else if (part.type === 'input_image' && onlyKeys(part, ['type', 'image_url', 'file_id', 'detail'])) {
      const detail = (part.detail as string | null | undefined) ?? 'auto';
      const url = part.image_url ?? null;
      const fileId = part.file_id ?? null;
      if (detail === 'original') return undefined;
      if (typeof url === 'string' && fileId === null) content.push({ type: 'image_url', image_url: { url, detail } });
      else if (typeof fileId === 'string' && url === null) content.push({ type: 'image_file', image_file: { file_id: fileId, detail } });
      else return undefined;
    } else if (part.type === 'input_file' && onlyKeys(part, ['type', 'file_id']) && typeof part.file_id === 'string') {
      files.push({ file_id: part.file_id, tools: [] });
    } else {
      return undefined;
    }
  }
  return content.length === 0 ? undefined : { role, content, attachments: files };
}

function storedItem(input: Json): StoredItem {
  const type = (input.type as string | undefined) ?? 'message';
  if (type === 'message') {
    const message = asMessage(input);
    if (message) return { id: messageId(), ...message, item: null };
  }
  const { id: _id, ...rest } = input;
  void _id;
  const item: Json = { type, ...rest };
  if (type === 'message') item.content = partsOf(input.role as string, input.content).map(withOutputTextFields);
  if (STATUS_DEFAULTED.has(type)) item.status = input.status ?? 'completed';
  return {
    id: type === 'message' ? messageId() : `${ITEM_PREFIX[type]}_${base62(24)}`,
    role: type === 'message' ? (input.role as string) : 'item',
    content: [],
    attachments: [],
    item,
  };
}

function itemAnnotation(a: unknown): unknown {
  if (!isObject(a)) return a;
  const fileId = (key: string) => (isObject(a[key]) ? (a[key] as Json).file_id : undefined);
  if (a.type === 'file_citation') return { type: 'file_citation', file_id: fileId('file_citation'), filename: a.text, index: a.start_index };
  if (a.type === 'file_path') return { type: 'file_path', file_id: fileId('file_path'), index: a.start_index };
  return a;
}

/** A stored row as the Conversations API shows it. */
function presentItem(row: { id: string; role: string; status: string; content: Json[]; attachments: Json[]; item: Json | null }): Json & { id: string } {
  if (row.item !== null) return { id: row.id, ...row.item };
  const content = row.content.map((part): Json => {
    if (part.type === 'text') {
      const text = part.text as { value: string; annotations: unknown[] };
      return row.role === 'assistant'
        ? { type: 'output_text', text: text.value, annotations: text.annotations.map(itemAnnotation), logprobs: [] }
        : { type: 'input_text', text: text.value };
    }
    const image = (part.image_url ?? part.image_file) as { url?: string; file_id?: string; detail?: string };
    return { type: 'input_image', image_url: image.url ?? null, file_id: image.file_id ?? null, detail: image.detail ?? 'auto' };
  });
  for (const file of row.attachments) content.push({ type: 'input_file', file_id: file.file_id });
  return { id: row.id, type: 'message', status: row.status, role: row.role, content };
}

function checkInclude(query: URLSearchParams): void {
  for (const name of ['include', 'include[]']) for (const value of query.getAll(name)) if (!INCLUDABLE.has(value)) throw invalid(name.replace('[]', ''));
}

const conversationNotFound = (id: string) => new HttpError(404, `No conversation found with id '${id}'.`);

/** The thread a `conv_` id names. */
function threadOfConversation(conversationId: string): string {
  if (!conversationId.startsWith('conv_') || !WELL_FORMED_ID.test(conversationId)) throw conversationNotFound(conversationId);
  return `thread_${conversationId.slice(5)}`;
}

async function createItems(tenant: string, conversationId: string, body: unknown, query: URLSearchParams) {
  for (const key of query.keys()) if (key !== 'include' && key !== 'include[]' && key !== 'api-version') throw unknownParameter(key);
  checkInclude(query);
  const threadId = threadOfConversation(conversationId);
  if (!isObject(body)) throw badRequest('Invalid request body: expected a JSON object.', null, 'invalid_type');
  for (const key of Object.keys(body)) if (key !== 'items') throw unknownParameter(key);
  const input = body.items;
  if (input === undefined || input === null) throw missing('items');
  if (!Array.isArray(input)) throw wrongType('items');
  if (input.length === 0 || input.length > 20) throw invalid('items');
  input.forEach((item, i) => checkItem(item, `items[${i}]`));
  const items = (input as Json[]).map(storedItem);
  const { rows } = await pool.query<{ threadFound: string; createdAt: number | null }>({
    name: statementName(INSERT_ITEMS_TEXT),
    text: INSERT_ITEMS_TEXT,
    values: [
      threadId,
      tenant,
      items.map((i) => i.id),
      items.map((i) => i.role),
      items.map((i) => JSON.stringify(i.content)),
      items.map((i) => JSON.stringify(i.attachments)),
      items.map((i) => (i.item === null ? null : JSON.stringify(i.item))),
    ],
  });
  if (rows.length === 0) throw conversationNotFound(conversationId);
  return listEnvelope(
    items.map((i) => presentItem({ ...i, status: 'completed' })),
    false,
  );
}

const ITEM_LIST_PARAMS = new Set(['limit', 'order', 'after', 'include', 'include[]', 'api-version']);

async function listItems(tenant: string, conversationId: string, query: URLSearchParams) {
  for (const key of new Set(query.keys())) {
    if (!ITEM_LIST_PARAMS.has(key)) throw unknownParameter(key);
    if (!key.startsWith('include') && query.getAll(key).length > 1) throw wrongType(key);
  }
  checkInclude(query);
  const threadId = threadOfConversation(conversationId);
  const limitText = query.get('limit');
  const limit = limitText === null ? 20 : Number(limitText);
  if (!Number.isInteger(limit)) throw wrongType('limit');
  if (limit < 1 || limit > 100) throw invalid('limit');
  const order = query.get('order') ?? 'desc';
  if (order !== 'asc' && order !== 'desc') throw invalid('order');
  const after = query.get('after') ?? undefined;
  if (after !== undefined && !WELL_FORMED_ID.test(after)) throw invalid('after');
  const plan = planKeyset(order, after ? 'after' : 'none', limit);
  const { statement, params } = listItemsQuery({ order, plan, threadId, tenant, after });
  type Row = MessageRow & { item: Json | null; content: Json[]; attachments: Json[]; threadFound: string; afterSeq: number | null };
  const { rows } = await pool.query<Row>({ name: statementName(statement.text), text: statement.text, values: params });
  if (rows.length === 0) throw conversationNotFound(conversationId);
  if (after && rows[0].afterSeq === null) {
    throw badRequest(`Invalid 'after': '${after}' is not an object of this list. Use the id of an object from a previous page.`, 'after', 'invalid_cursor');
  }
  const { items, hasMore } = takePage(
    rows.filter((row) => row.id !== null),
    plan,
  );
  return listEnvelope(items.map(presentItem), hasMore);
}

// ---- threads (create, v2) ------------------------------------------------------------------------------------

const THREAD_FIELDS = new Set(['messages', 'tool_resources', 'metadata']);
const RESOURCES = [
  ['code_interpreter', 'file_ids', 20],
  ['file_search', 'vector_store_ids', 1],
] as const;

/** The tool resources sent, in the service's form and order (a resource sent without its ids has none). */
function toolResources(value: unknown): Json {
  if (value === undefined || value === null) return {};
  if (!isObject(value)) throw wrongType('tool_resources');
  onlyFields(value, ['code_interpreter', 'file_search'], 'tool_resources');
  const resources: Json = {};
  for (const [name, field, max] of RESOURCES) {
    const resource = value[name];
    if (resource === undefined || resource === null) continue;
    const param = `tool_resources.${name}`;
    if (!isObject(resource)) throw wrongType(param);
    onlyFields(resource, [field], param);
    const ids = resource[field] ?? [];
    if (!Array.isArray(ids) || ids.some((id) => typeof id !== 'string')) throw wrongType(`${param}.${field}`);
    if (ids.length > max) throw invalid(`${param}.${field}`);
    ids.forEach((id: string, i) => {
      if (!WELL_FORMED_ID.test(id)) throw invalid(`${param}.${field}[${i}]`);
    });
    resources[name] = { [field]: ids };
  }
  return resources;
}

function newThread(body: unknown) {
  if (body === undefined) body = {};
  if (!isObject(body)) throw badRequest('Invalid request body: expected a JSON object.', null, 'invalid_type');
  for (const key of Object.keys(body)) if (!THREAD_FIELDS.has(key)) throw unknownParameter(key);
  const messages = body.messages ?? [];
  if (!Array.isArray(messages) || !messages.every(isObject)) throw wrongType('messages');
  if (messages.length > 100) throw invalid('messages');
  return {
    messages: messages.map((message, i) => ({ id: messageId(), ...newMessage(message, `messages[${i}].`) })),
    toolResources: toolResources(body.tool_resources),
    metadata: metadata(body.metadata),
  };
}

async function createThread(tenant: string, body: unknown) {
  const thread = newThread(body);
  const id = threadId();
  const values: unknown[] = [id, tenant, JSON.stringify(thread.metadata), JSON.stringify(thread.toolResources)];
  const messages = thread.messages;
  if (messages.length > 0) {
    values.push(
      messages.map((m) => m.id),
      messages.map((m) => m.role),
      messages.map((m) => JSON.stringify(m.content)),
      messages.map((m) => JSON.stringify(m.attachments)),
      messages.map((m) => JSON.stringify(m.metadata)),
    );
  }
  const text = messages.length > 0 ? INSERT_THREAD_WITH_MESSAGES_TEXT : INSERT_THREAD_TEXT;
  const { rows } = await pool.query<{ createdAt: number }>({ name: statementName(text), text, values });
  return { id, object: 'thread', created_at: rows[0].createdAt, tool_resources: thread.toolResources, metadata: thread.metadata };
}

function readBody(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolveBody, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > BODY_LIMIT) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('error', reject);
    req.on('end', () => {
      if (tooLarge) return reject(new HttpError(413, 'Request body too large.', null, 'request_too_large'));
      if (size === 0) return resolveBody(undefined);
      try {
        resolveBody(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch {
        reject(new HttpError(400, 'We could not parse the JSON body of your request.', null, 'invalid_json'));
      }
    });
  });
}

const ROUTE = /^\/v1\/threads\/([^/]+)\/messages\/?$/;
const MESSAGE_ROUTE = /^\/v1\/threads\/([^/]+)\/messages\/([^/]+)$/;
const THREADS_PATH = '/v1/threads';
const ITEMS_ROUTE = /^\/v1\/conversations\/([^/]+)\/items\/?$/;
const FILE_ROUTE = /^\/v1\/files\/([^/]+)$/;

/** A path segment as the service reads it: bad percent-encoding routes nowhere. */
function segment(encoded: string, method: string | undefined, path: string): string {
  try {
    return decodeURIComponent(encoded);
  } catch {
    throw new HttpError(404, `Invalid URL (${method} ${path})`);
  }
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = req.url ?? '/';
  const mark = url.indexOf('?');
  const path = mark < 0 ? url : url.slice(0, mark);
  if (req.method === 'GET' && (path === '/healthz' || path === '/readyz')) {
    if (path === '/readyz') await pool.query('SELECT 1');
    return send(res, 200, { status: 'ok' });
  }
  const hasBody = req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] ?? '0') !== '0';
  if (hasBody && !/^application\/json\s*(;|$)/i.test(req.headers['content-type'] ?? '')) {
    throw new HttpError(
      415,
      `Unsupported content type '${req.headers['content-type'] ?? ''}'. Send the body as application/json.`,
      null,
      'unsupported_media_type',
    );
  }
  const body = hasBody ? await readBody(req) : undefined;
  const file = req.method === 'GET' ? FILE_ROUTE.exec(path) : null;
  if (file) return send(res, 200, await retrieveFile(tenantOf(req.headers.authorization), segment(file[1], req.method, path)));
  const items = ITEMS_ROUTE.exec(path);
  if (items && (req.method === 'GET' || req.method === 'POST')) {
    const conversationId = segment(items[1], req.method, path);
    const tenant = tenantOf(req.headers.authorization);
    const query = new URLSearchParams(mark < 0 ? '' : url.slice(mark + 1));
    if (req.method === 'POST') return send(res, 200, await createItems(tenant, conversationId, body, query));
    return send(res, 200, await listItems(tenant, conversationId, query));
  }
  const creatingThread = req.method === 'POST' && path === THREADS_PATH;
  const one = req.method === 'GET' ? MESSAGE_ROUTE.exec(path) : null;
  const match = one ?? ROUTE.exec(path);
  if (!creatingThread && (!match || (req.method !== 'GET' && req.method !== 'POST'))) throw new HttpError(404, `Invalid URL (${req.method} ${path})`);
  const ids = (match ?? []).slice(1).map((encoded) => segment(encoded, req.method, path));
  const tenant = tenantOf(req.headers.authorization);
  const beta = req.headers['openai-beta'];
  if (beta !== undefined && beta !== '' && beta !== 'assistants=v2') {
    throw badRequest(`The floor server speaks assistants=v2 only, got OpenAI-Beta '${String(beta)}'.`, 'OpenAI-Beta', 'invalid_beta');
  }
  if (creatingThread) return send(res, 200, await createThread(tenant, body));
  const [threadId, id] = ids;
  if (one) return send(res, 200, await retrieve(tenant, threadId, id));
  if (req.method === 'POST') return send(res, 200, await create(tenant, threadId, body));
  return send(res, 200, await list(tenant, threadId, new URLSearchParams(mark < 0 ? '' : url.slice(mark + 1))));
}

serve('floor', PORT, pool, handle);
