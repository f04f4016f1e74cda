import type { INestApplication } from '@nestjs/common';
import Ajv2020, { ErrorObject, ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { readFileSync } from 'node:fs';
import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { parse as parseQuery } from 'node:querystring';
import type { Dialect, Shape } from '../../src/common/api-version/api-request';
import { AZURE_API_VERSIONS, OPENAI_BETA_SHAPES } from '../../src/common/api-version/supported-versions';

/**
 * Response contract checks against the published OpenAI schemas, extracted into
 * test/contract/openai-schemas.json by scripts/extract-schemas.mjs.
 */

export type ContractSchemaName =
  | 'ThreadObject'
  | 'MessageObject'
  | 'ListMessagesResponse'
  | 'DeleteMessageResponse'
  | 'DeleteThreadResponse'
  | 'MessageFileObject'
  | 'ListMessageFilesResponse'
  | 'ErrorResponse'
  | 'OpenAIFile'
  | 'ListFilesResponse'
  | 'DeleteFileResponse';

/** The Files API's schemas: one edition (v2, the current document), whatever the request's shape: files have no assistants=v1 form. */
const FILE_SCHEMAS: ReadonlySet<ContractSchemaName> = new Set(['OpenAIFile', 'ListFilesResponse', 'DeleteFileResponse']);

type JsonSchema = Record<string, unknown>;

export interface ContractSchemas {
  source: Record<Shape, { file: string; openapi: string; info: { version: string }; sha256: string }>;
  overlays: { edition: Shape; schema: ContractSchemaName; path: string; reason: string }[];
  v1: Record<ContractSchemaName, JsonSchema>;
  v2: Partial<Record<ContractSchemaName, JsonSchema>>;
}

export const CONTRACT_SCHEMAS: ContractSchemas = JSON.parse(readFileSync(join(__dirname, '../contract/openai-schemas.json'), 'utf8'));

/** The request's path without query string, trailing slash or dialect prefix; undefined off the API. */
function decodedPath(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

function apiRoute(path: string): { pathname: string; dialect?: Dialect; segments?: string[] } {
  // The route the server matched: it decodes a percent-encoded spelling (/%761/threads).
  const pathname = decodedPath(path.split('?')[0]).replace(/(.)\/+$/, '$1');
  if (pathname.startsWith('/v1/')) return { pathname, dialect: 'openai', segments: pathname.slice('/v1/'.length).split('/') };
  if (pathname.startsWith('/openai/')) return { pathname, dialect: 'azure', segments: pathname.slice('/openai/'.length).split('/') };
  return { pathname };
}

export function dialectOfPath(path: string): Dialect | undefined {
  return apiRoute(path).dialect;
}

/** The schema a successful response of this route takes; undefined where the route has none. */
function successSchema(method: string, segments: string[], shape: Shape | undefined): ContractSchemaName | undefined {
  if (segments[0] === 'files' && !segments.some((segment) => segment === '')) {
    // GET /files/{id}/content answers the file's bytes: no schema.
    if (segments.length === 1) return method === 'POST' ? 'OpenAIFile' : method === 'GET' ? 'ListFilesResponse' : undefined;
    if (segments.length === 2) return method === 'GET' ? 'OpenAIFile' : method === 'DELETE' ? 'DeleteFileResponse' : undefined;
    return undefined;
  }
  if (segments[0] !== 'threads' || segments.some((segment) => segment === '')) return undefined;
  const [, threadId, messages, messageId, files, fileId] = segments;
  const at = (length: number) => segments.length === length;
  if (at(1)) return method === 'POST' ? 'ThreadObject' : undefined;
  if (at(2)) return method === 'GET' || method === 'POST' ? 'ThreadObject' : method === 'DELETE' ? 'DeleteThreadResponse' : undefined;
  if (threadId === undefined || messages !== 'messages') return undefined;
  if (at(3)) return method === 'POST' ? 'MessageObject' : method === 'GET' ? 'ListMessagesResponse' : undefined;
  if (at(4) && messageId !== undefined) {
    return method === 'GET' || method === 'POST' ? 'MessageObject' : method === 'DELETE' ? 'DeleteMessageResponse' : undefined;
  }
  if (shape !== 'v1' || files !== 'files' || method !== 'GET') return undefined;
  if (at(5)) return 'ListMessageFilesResponse';
  if (at(6) && fileId !== undefined) return 'MessageFileObject';
  return undefined;
}

/**
 * The published schema a response must match, from its route and status: undefined where none
 * applies (HEAD, which has no body; the health probes; the Azure dialect's 401, whose body is
 * Azure's `{"error":{"code":"401","message":...}}`, and its 429, `code` "429"; 1xx/3xx; routes without a schema).
 * `path` may carry the /v1 or /openai prefix and a query string.
 */
export function schemaFor(method: string, path: string, status: number, shape: Shape | undefined): ContractSchemaName | undefined {
  const verb = method.toUpperCase();
  if (verb === 'HEAD') return undefined;
  const { pathname, dialect, segments } = apiRoute(path);
  if (status >= 400) {
    if (pathname === '/healthz' || pathname === '/readyz') return undefined;
    if (dialect === 'azure' && (status === 401 || status === 429)) return undefined;
    return 'ErrorResponse';
  }
  if (status < 200 || status >= 300 || segments === undefined) return undefined;
  return successSchema(verb, segments, shape);
}

/**
 * The shape the service answers in, by its own rules: on /openai the `api-version` query
 * parameter, on /v1 the `OpenAI-Beta` header (none means v2). Undefined when the request's
 * version signal is invalid (the service answers 400) or the path is off the API.
 */
export function shapeOfRequest(path: string, headers: IncomingHttpHeaders, query: Record<string, unknown>): Shape | undefined {
  const { dialect } = apiRoute(path);
  if (dialect === 'azure') {
    const version = query['api-version'];
    return typeof version === 'string' ? AZURE_API_VERSIONS.get(version) : undefined;
  }
  if (dialect === 'openai') {
    const header = headers['openai-beta'];
    if (header === undefined || header === '') return 'v2';
    return OPENAI_BETA_SHAPES.get((Array.isArray(header) ? header.join(',') : header).trim());
  }
  return undefined;
}

export interface ContractViolation {
  method: string;
  path: string;
  status: number;
  dialect: Dialect | undefined;
  shape: Shape | undefined;
  schema: ContractSchemaName;
  errors: ErrorObject[];
  /** The start of the response body. */
  body: string;
}

export interface CheckedResponse {
  method: string;
  path: string;
  status: number;
  dialect: Dialect | undefined;
  shape: Shape | undefined;
  schema: ContractSchemaName | undefined;
  valid: boolean;
}

const BODY_EXCERPT = 600;

function problem(keyword: string, message: string): ErrorObject {
  return { instancePath: '', schemaPath: '', keyword, params: {}, message };
}

let sharedAjv: Ajv2020 | undefined;
const validators = new Map<string, ValidateFunction>();

function ajv(): Ajv2020 {
  if (!sharedAjv) {
    sharedAjv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(sharedAjv);
    // The OpenAPI documents' own format for Unix timestamps in seconds.
    sharedAjv.addFormat('unixtime', { type: 'number', validate: (value: number) => Number.isInteger(value) && value >= 0 });
  }
  return sharedAjv;
}

/** The compiled validator of an edition's schema. */
export function contractValidator(shape: Shape, name: ContractSchemaName): ValidateFunction {
  const key = `${shape}:${name}`;
  let validate = validators.get(key);
  if (!validate) {
    const schema = CONTRACT_SCHEMAS[shape][name];
    if (!schema) throw new Error(`no ${shape} schema named ${name} in test/contract/openai-schemas.json`);
    validate = ajv().compile(schema);
    validators.set(key, validate);
  }
  return validate;
}

export interface ResponseToCheck {
  method: string;
  path: string;
  status: number;
  shape: Shape | undefined;
  /** Checked to be JSON unless undefined; '' for a response without one. */
  contentType?: string;
  /** The raw body text, as sent. */
  body: string;
}

/**
 * Checks one response against its schema: the errors found, or undefined when the response
 * conforms or has no schema. An error response whose request carried no valid version signal
 * is checked against the current (v2) ErrorResponse.
 */
export function checkResponse(response: ResponseToCheck): ContractViolation | undefined {
  const schema = schemaFor(response.method, response.path, response.status, response.shape);
  if (schema === undefined) return undefined;
  const violation = (errors: ErrorObject[]): ContractViolation => ({
    method: response.method.toUpperCase(),
    path: response.path,
    status: response.status,
    dialect: dialectOfPath(response.path),
    shape: response.shape,
    schema,
    errors,
    body: response.body.length > BODY_EXCERPT ? `${response.body.slice(0, BODY_EXCERPT)}…` : response.body,
  });
  const shape = response.shape ?? (schema === 'ErrorResponse' ? 'v2' : undefined);
  if (shape === undefined) {
    return violation([problem('shape', `answered ${response.status} although the request's version signal is invalid`)]);
  }
  const errors: ErrorObject[] = [];
  if (response.contentType !== undefined && !/^application\/json\b/i.test(response.contentType)) {
    errors.push(problem('content-type', `content-type is '${response.contentType}', expected application/json`));
  }
  let body: unknown;
  try {
    body = JSON.parse(response.body);
  } catch {
    return violation([...errors, problem('json', 'the body is not JSON')]);
  }
  const validate = contractValidator(FILE_SCHEMAS.has(schema) ? 'v2' : shape, schema);
  if (!validate(body)) errors.push(...(validate.errors ?? []).map((error) => withUnionHint(error, body)));
  return errors.length > 0 ? violation(errors) : undefined;
}

function valueAt(document: unknown, instancePath: string): unknown {
  let node = document;
  for (const raw of instancePath.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    node = typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[key] : undefined;
  }
  return node;
}

/** A failed oneOf/anyOf says which variant the value claimed to be, from its `type` field. */
function withUnionHint(error: ErrorObject, body: unknown): ErrorObject {
  if (error.keyword !== 'oneOf' && error.keyword !== 'anyOf') return error;
  const type = (valueAt(body, error.instancePath) as { type?: unknown } | undefined)?.type;
  return typeof type === 'string' ? { ...error, message: `${error.message ?? error.keyword} (its type is '${type}')` } : error;
}

function describeError(error: ErrorObject): string {
  const where = error.instancePath || '/';
  const params = error.keyword === 'additionalProperties' ? ` '${String(error.params.additionalProperty)}'` : '';
  return `${where} ${error.message ?? error.keyword}${params}`;
}

/**
 * The errors as lines: the branch-by-branch errors under a failed oneOf/anyOf are left out (the
 * union's own error stands for them), and the same error at several array indices is one line.
 */
function errorLines(errors: readonly ErrorObject[]): string[] {
  const unions = errors.filter((e) => e.keyword === 'oneOf' || e.keyword === 'anyOf').map((e) => `${e.schemaPath}/`);
  const kept = errors.filter((e) => !unions.some((union) => e.schemaPath.startsWith(union)));
  const groups = new Map<string, string[]>();
  for (const error of kept) {
    const line = describeError(error);
    const key = line.replace(/\/\d+(?=[/ ])/g, '/*');
    groups.set(key, [...(groups.get(key) ?? []), line]);
  }
  return [...groups].map(([key, lines]) => (lines.length === 1 ? lines[0] : `${key} (${lines.length} times)`));
}

/** One paragraph per violation: the request, the schema, each error and the body's start. */
export function formatViolations(violations: readonly ContractViolation[]): string {
  return violations
    .map((v) =>
      [
        `${v.method} ${v.path} -> ${v.status} (${v.dialect ?? 'no dialect'}, ${v.shape ?? 'no shape'}) vs ${v.shape ?? 'v2'} ${v.schema}:`,
        ...errorLines(v.errors).map((line) => `  - ${line}`),
        `  body: ${v.body}`,
      ].join('\n'),
    )
    .join('\n');
}

/** Throws, with every violation spelled out, unless there are none. */
export function assertNoViolations(violations: readonly ContractViolation[]): void {
  if (violations.length === 0) return;
  throw new Error(`${violations.length} response(s) do not match the published OpenAI schema:\n${formatViolations(violations)}`);
}

type Next = (error?: unknown) => void;
type RecordedRequest = IncomingMessage & { originalUrl?: string; query?: unknown };
type Chunk = string | Buffer | Uint8Array;

function toBuffer(chunk: unknown, encoding: unknown): Buffer | undefined {
  if (chunk === undefined || chunk === null || typeof chunk === 'function') return undefined;
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk);
  return Buffer.from(String(chunk), typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
}

/**
 * Records every response of an app and checks each one that has a schema.
 *
 * `middleware` wraps one response of a plain node:http server (write, writeHead, end) and must run
 * before anything can answer. For an app built by createApp(), `attach(app)` runs it first on the
 * HTTP server's 'request' event, ahead of the framework, so that it sees every response, the
 * framework's own errors included.
 */
export class ContractRecorder {
  /** Every response seen, without bodies. */
  readonly responses: CheckedResponse[] = [];
  private readonly found: ContractViolation[] = [];

  readonly middleware = (req: IncomingMessage, res: ServerResponse, next: Next): void => {
    const request = req as RecordedRequest;
    const method = request.method ?? 'GET';
    const path = request.originalUrl ?? request.url ?? '/';
    const chunks: Buffer[] = [];
    const write = res.write;
    const end = res.end;
    const writeHead = res.writeHead;
    let headContentType: string | undefined;
    // Fastify passes its headers to writeHead instead of setting them one by one.
    res.writeHead = function (this: ServerResponse, ...args: unknown[]) {
      const headers = args.find((arg) => typeof arg === 'object' && arg !== null && !Array.isArray(arg)) as Record<string, unknown> | undefined;
      const found = headers && Object.entries(headers).find(([name]) => name.toLowerCase() === 'content-type');
      if (found) headContentType = String(found[1]);
      return (writeHead as (...a: unknown[]) => ServerResponse).apply(this, args);
    } as ServerResponse['writeHead'];
    const collect = (chunk: unknown, encoding: unknown) => {
      const buffer = toBuffer(chunk, encoding);
      if (buffer) chunks.push(buffer);
    };
    res.write = function (this: ServerResponse, chunk: Chunk, ...rest: unknown[]) {
      collect(chunk, rest[0]);
      return (write as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
    } as ServerResponse['write'];
    res.end = ((...args: unknown[]) => {
      collect(args[0], args[1]);
      this.record(request, res, method, path, Buffer.concat(chunks).toString('utf8'), headContentType);
      return (end as (...a: unknown[]) => ServerResponse).apply(res, args);
    }) as ServerResponse['end'];
    next();
  };

  /** Runs `middleware` ahead of the app's own handling of every request on its HTTP server. */
  attach(app: INestApplication): this {
    const server = app.getHttpServer() as Server;
    server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => this.middleware(req, res, () => undefined));
    return this;
  }

  /** The recorded responses that do not match their schema. */
  violations(): ContractViolation[] {
    return [...this.found];
  }

  private record(request: RecordedRequest, res: ServerResponse, method: string, path: string, body: string, headContentType?: string): void {
    // The raw request carries no parsed query: the service reads `api-version` from the query
    // string, parsed here the same simple way.
    const query = (request.query ?? parseQuery(path.split('?')[1] ?? '')) as Record<string, unknown>;
    const shape = shapeOfRequest(path, request.headers, query);
    const status = res.statusCode;
    const schema = schemaFor(method, path, status, shape);
    let violation: ContractViolation | undefined;
    try {
      const contentType = headContentType ?? String(res.getHeader('content-type') ?? '');
      violation = checkResponse({ method, path, status, shape, body, contentType });
    } catch (error) {
      violation = {
        method,
        path,
        status,
        dialect: dialectOfPath(path),
        shape,
        schema: schema ?? 'ErrorResponse',
        errors: [problem('recorder', `the check failed: ${error instanceof Error ? error.message : String(error)}`)],
        body: body.slice(0, BODY_EXCERPT),
      };
    }
    if (violation) this.found.push(violation);
    this.responses.push({ method, path, status, dialect: dialectOfPath(path), shape, schema, valid: violation === undefined });
  }
}
