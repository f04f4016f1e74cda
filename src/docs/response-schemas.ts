import type { OperationObject, ResponseObject, SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const string: SchemaObject = { type: 'string' };
const nullableString: SchemaObject = { type: 'string', nullable: true };
const unixTime: SchemaObject = { type: 'integer', description: 'Unix time in seconds' };
const constant = (value: string): SchemaObject => ({ type: 'string', enum: [value] });
const object = (properties: Record<string, SchemaObject | { $ref: string }>, optional: string[] = []): SchemaObject => {
  const required = Object.keys(properties).filter((name) => !optional.includes(name));
  return { type: 'object', properties, ...(required.length > 0 ? { required } : {}), additionalProperties: false };
};

/** The fields both editions of a message share, in the order the API writes them. */
const messageFields: Record<string, SchemaObject> = {
  id: string,
  object: constant('thread.message'),
  created_at: unixTime,
  thread_id: string,
  status: { type: 'string', enum: ['in_progress', 'incomplete', 'completed'] },
  incomplete_details: { ...object({ reason: string }), nullable: true },
  completed_at: { ...unixTime, nullable: true },
  incomplete_at: { ...unixTime, nullable: true },
  role: { type: 'string', enum: ['user', 'assistant'] },
};

const list = (item: SchemaObject | { $ref: string }): SchemaObject =>
  object({ object: constant('list'), data: { type: 'array', items: item }, first_id: nullableString, last_id: nullableString, has_more: { type: 'boolean' } });

/** The response bodies the API sends, as components of the OpenAPI document. */
export const RESPONSE_SCHEMAS: Record<string, SchemaObject> = {
  Metadata: { type: 'object', additionalProperties: { type: 'string' }, description: 'Up to 16 string pairs' },
  ToolResources: object(
    {
      code_interpreter: object({ file_ids: { type: 'array', items: string } }),
      file_search: object({ vector_store_ids: { type: 'array', items: string } }),
    },
    ['code_interpreter', 'file_search'],
  ),
  Thread: {
    ...object({ id: string, object: constant('thread'), created_at: unixTime, tool_resources: ref('ToolResources'), metadata: ref('Metadata') }, [
      'tool_resources',
    ]),
    description: 'tool_resources in the v2 shape only',
  },
  ThreadList: { ...list(ref('Thread')), description: 'Our extension: the tenant’s threads, in the shape of the request' },
  DeletedThread: object({ id: string, object: constant('thread.deleted'), deleted: { type: 'boolean', enum: [true] } }),
  TextContent: object({
    type: constant('text'),
    text: object({ value: string, annotations: { type: 'array', items: { type: 'object' } } }),
  }),
  ImageFileContent: object({ type: constant('image_file'), image_file: object({ file_id: string, detail: string }, ['detail']) }),
  ImageUrlContent: object({ type: constant('image_url'), image_url: object({ url: string, detail: string }, ['detail']) }),
  MessageContent: { oneOf: [ref('TextContent'), ref('ImageFileContent'), ref('ImageUrlContent')] },
  Attachment: object({
    file_id: string,
    tools: { type: 'array', items: object({ type: { type: 'string', enum: ['code_interpreter', 'file_search'] } }) },
  }),
  MessageV2: {
    ...object({
      ...messageFields,
      content: { type: 'array', items: ref('MessageContent') },
      assistant_id: nullableString,
      run_id: nullableString,
      attachments: { type: 'array', items: ref('Attachment') },
      metadata: ref('Metadata'),
    }),
    description: 'A message in the v2 shape (OpenAI-Beta: assistants=v2, api-version 2024-05-01-preview and later)',
  },
  MessageV1: {
    ...object({
      ...messageFields,
      content: { type: 'array', items: { oneOf: [ref('TextContent'), ref('ImageFileContent')] } },
      assistant_id: nullableString,
      run_id: nullableString,
      file_ids: { type: 'array', items: string },
      metadata: ref('Metadata'),
    }),
    description: 'A message in the v1 shape (OpenAI-Beta: assistants=v1, api-version up to 2024-04-01-preview)',
  },
  Message: { oneOf: [ref('MessageV2'), ref('MessageV1')] },
  MessageList: { ...list(ref('Message')), description: 'Every message in the shape of the request' },
  MessageSearchHit: {
    ...object({
      id: { type: 'string', description: 'The hit’s cursor: pass it as after for the next page' },
      object: constant('thread.message.search_result'),
      thread_id: string,
      rank: { type: 'number' },
      snippet: { type: 'string', description: 'The text around the matches, each within <mark></mark>; not HTML-escaped' },
      message: ref('Message'),
    }),
    description: 'Our extension: a message that matches a search',
  },
  MessageSearchResults: { ...list(ref('MessageSearchHit')), description: 'Our extension: the best hits first' },
  DeletedMessage: object({ id: string, object: constant('thread.message.deleted'), deleted: { type: 'boolean', enum: [true] } }),
  MessageFile: object({ id: string, object: constant('thread.message.file'), created_at: unixTime, message_id: string }),
  MessageFileList: list(ref('MessageFile')),
  Conversation: {
    ...object({ id: string, object: constant('conversation'), created_at: unixTime, metadata: ref('Metadata') }),
    description: 'A thread seen through the Conversations API: thread_X is conv_X',
  },
  DeletedConversation: object({ id: string, object: constant('conversation.deleted'), deleted: { type: 'boolean', enum: [true] } }),
  ConversationItem: {
    type: 'object',
    required: ['id', 'type'],
    properties: { id: string, type: string },
    additionalProperties: true,
    description: 'A message item (the Assistants message with the same id) or an item of another type, stored as written',
  },
  ConversationItemList: list(ref('ConversationItem')),
  File: object(
    {
      id: string,
      object: constant('file'),
      bytes: { type: 'integer' },
      created_at: unixTime,
      expires_at: { ...unixTime, description: 'Only for a file uploaded with expires_after' },
      filename: string,
      purpose: string,
      status: { type: 'string', enum: ['processed'] },
    },
    ['expires_at'],
  ),
  FileList: list(ref('File')),
  DeletedFile: object({ id: string, object: constant('file'), deleted: { type: 'boolean', enum: [true] } }),
  Health: object({ status: constant('ok') }),
  Readiness: object({ status: constant('ok'), database: constant('reachable') }),
  Error: object({ message: string, type: string, param: nullableString, code: nullableString }),
  ErrorResponse: { ...object({ error: ref('Error') }), description: 'Every error: {"error":{"message","type","param","code"}}' },
  AzureAuthError: {
    ...object({ error: object({ code: string, message: string }) }),
    description: "The Azure dialect's answer to a missing or wrong key, as Azure words it",
  },
};

const json = (description: string, schema: string): ResponseObject => ({ description, content: { 'application/json': { schema: ref(schema) } } });

const ERRORS: Record<string, string> = {
  '400': 'Invalid request: malformed JSON, unknown or invalid fields, a bad query, api-version or OpenAI-Beta',
  '401': 'Missing or wrong API key',
  '404': 'No such thread, message or route (another tenant’s objects are not found either)',
  '408': 'The upload stalled: none of its bytes arrived for UPLOAD_IDLE_TIMEOUT_MS (nothing was stored)',
  '409': 'A request with the same Idempotency-Key is still being processed',
  '413': 'Request body over BODY_LIMIT (POST /files: a file over FILE_MAX_BYTES)',
  '415': 'A body that is not application/json',
  '500': 'Server error (never a stack trace or SQL)',
  '503': 'The database cannot be reached',
  '504': 'The request ran past REQUEST_TIMEOUT_MS',
};

/** The success schema of each operation, by method and route (`{param}` spelling, without the dialect prefix). */
function successSchema(method: string, route: string): string | undefined {
  const key = `${method.toUpperCase()} ${route}`;
  const table: Record<string, string> = {
    'POST /threads': 'Thread',
    'GET /threads': 'ThreadList',
    'GET /threads/{thread_id}': 'Thread',
    'POST /threads/{thread_id}': 'Thread',
    'DELETE /threads/{thread_id}': 'DeletedThread',
    'POST /threads/{thread_id}/messages': 'Message',
    'GET /threads/{thread_id}/messages': 'MessageList',
    'GET /threads/{thread_id}/messages/{message_id}': 'Message',
    'POST /threads/{thread_id}/messages/{message_id}': 'Message',
    'DELETE /threads/{thread_id}/messages/{message_id}': 'DeletedMessage',
    'GET /threads/{thread_id}/messages/{message_id}/files': 'MessageFileList',
    'GET /messages/search': 'MessageSearchResults',
    'GET /threads/{thread_id}/messages/{message_id}/files/{file_id}': 'MessageFile',
    'POST /conversations': 'Conversation',
    'GET /conversations/{conversation_id}': 'Conversation',
    'POST /conversations/{conversation_id}': 'Conversation',
    'DELETE /conversations/{conversation_id}': 'DeletedConversation',
    'POST /conversations/{conversation_id}/items': 'ConversationItemList',
    'GET /conversations/{conversation_id}/items': 'ConversationItemList',
    'GET /conversations/{conversation_id}/items/{item_id}': 'ConversationItem',
    'DELETE /conversations/{conversation_id}/items/{item_id}': 'Conversation',
    'POST /files': 'File',
    'GET /files': 'FileList',
    'GET /files/{file_id}': 'File',
    'DELETE /files/{file_id}': 'DeletedFile',
    'GET /files/{file_id}/content': 'FileContent',
    'GET /healthz': 'Health',
    'GET /readyz': 'Readiness',
  };
  return table[key];
}

/**
 * Every operation's responses: its success body, and each error it can answer in the error
 * envelope (the Azure dialect's 401 in Azure's own body). Throws for an operation without a
 * known success body, so that a new route cannot go undescribed.
 */
export function describeResponses(path: string, method: string, operation: OperationObject, dialect: 'openai' | 'azure' | undefined): void {
  const route = dialect === undefined ? path : path.replace(/^\/(openai\/v1|v1|openai)/, '');
  const success = successSchema(method, route);
  if (!success) throw new Error(`no response schema for ${method.toUpperCase()} ${path}`);
  const responses: Record<string, ResponseObject> =
    success === 'FileContent'
      ? {
          '200': {
            description: "The file's bytes, with its Content-Type and Content-Disposition",
            content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
          },
        }
      : { '200': json('OK', success) };
  if (dialect === undefined) {
    if (route === '/readyz') responses['503'] = json('Not ready: the database cannot be reached, or the process is shutting down', 'ErrorResponse');
    operation.responses = responses;
    return;
  }
  const withBody = method === 'post';
  const codes = [
    '400',
    '401',
    '404',
    ...(withBody && !/\{(message_id|thread_id|conversation_id)\}$/.test(route) ? ['409'] : []),
    // An upload is multipart/form-data, not JSON: a body of another type is a 400 there, not a 415.
    ...(withBody ? (route === '/files' ? ['408', '413'] : ['413', '415']) : []),
    '500',
    '503',
    '504',
  ];
  for (const code of codes) responses[code] = json(ERRORS[code], code === '401' && dialect === 'azure' ? 'AzureAuthError' : 'ErrorResponse');
  operation.responses = responses;
}
