import { AZURE_V1_VERSIONS, AZURE_V2_VERSIONS } from '../api-versions';
import { SeededRandom } from '../seeded-random';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';

/**
 * A seeded generator of hostile HTTP requests for every route of both dialects, each with what a
 * correct service must answer: `ok` (a 2xx: the input is in fact valid), `reject` (a 4xx) or
 * `either` (2xx or 4xx, e.g. lone surrogates that a service may store or refuse). Never a 5xx.
 *
 * The same seed and the same answers give the same requests, so a failure replays with FUZZ_SEED.
 */

export type Expect = 'ok' | 'reject' | 'either';
export type Dialect = 'openai' | 'azure';
export type Shape = 'v1' | 'v2';
export type Tenant = 'A' | 'B';
export type RouteName =
  | 'createThread'
  | 'getThread'
  | 'modifyThread'
  | 'deleteThread'
  | 'createMessage'
  | 'listMessages'
  | 'getMessage'
  | 'modifyMessage'
  | 'deleteMessage'
  | 'listFiles'
  | 'getFile'
  | 'uploadFile'
  | 'listFileObjects'
  | 'getFileObject'
  | 'deleteFileObject'
  | 'getFileContent';
export type CaseKind = RouteName | 'health' | 'unknownPath' | 'wrongMethod';

export const API_ROUTES: readonly RouteName[] = [
  'createThread',
  'getThread',
  'modifyThread',
  'deleteThread',
  'createMessage',
  'listMessages',
  'getMessage',
  'modifyMessage',
  'deleteMessage',
  'listFiles',
  'getFile',
  'uploadFile',
  'listFileObjects',
  'getFileObject',
  'deleteFileObject',
  'getFileContent',
];

/** The Files API's routes (`/files...`), as opposed to a message's files (`listFiles`, `getFile`). */
export const FILE_ROUTES: readonly RouteName[] = ['uploadFile', 'listFileObjects', 'getFileObject', 'deleteFileObject', 'getFileContent'];

/** What a valid upload asked to store. */
export interface UploadSpec {
  bytes: number;
  filename: string;
  purpose: string;
  expiresAfter?: number;
}

const FILE_PURPOSES = ['assistants', 'batch', 'fine-tune', 'vision', 'user_data', 'evals'] as const;

export interface FuzzCase {
  n: number;
  kind: CaseKind;
  dialect: Dialect;
  shape: Shape;
  /** The tenant whose key was presented (when `authOk`). */
  tenant: Tenant;
  authOk: boolean;
  method: string;
  path: string;
  headers: Record<string, string | string[]>;
  body?: Buffer;
  chunked?: boolean;
  expect: Expect;
  /** The exact status when it is certain (415, 413, 401). */
  status?: number;
  /** What was done to the request, for the failure report. */
  notes: string[];
  /** Live targets (when the path names them and they were live when generated). */
  threadId?: string;
  messageId?: string;
  /** The file a Files API route names, when it was live when generated. */
  fileId?: string;
  /** What an upload meant to store (its checks apply to a success of a valid upload). */
  upload?: UploadSpec;
  /** A well-formed Idempotency-Key sent on a create. */
  idempotencyKey?: string;
  /** The body as the service parses it, when the transport kept it parseable JSON. */
  effectiveBody?: unknown;
  /** The path's case was changed: dialect and shape are uncertain. */
  pathMutated: boolean;
}

export interface FuzzWorld {
  liveThreads(tenant: Tenant): readonly string[];
  liveMessages(threadId: string): readonly { id: string; fileIds: readonly string[] }[];
  deadThreads(): readonly string[];
  deadMessages(): readonly { threadId: string; id: string }[];
  /** Live files of the Files API. */
  liveFiles(tenant: Tenant): readonly string[];
  /** Files deleted by a success. */
  deadFiles(): readonly string[];
}

export interface FuzzOptions {
  bodyLimitBytes: number;
  keys: { A: string; A2: string; B: string };
}

/** FUZZ_SEED from the environment, else a fresh random seed. */

/** A JSON fragment written as is: numbers JSON.stringify cannot write, `__proto__` keys, deep nesting. */
export class RawJson {
  constructor(readonly text: string) {}
}

/** An object written with these entries in this order, duplicate keys included. */
export class DupKeys {
  constructor(readonly entries: [string, unknown][]) {}
}

export function toJson(value: unknown): string {
  if (value instanceof RawJson) return value.text;
  if (value instanceof DupKeys) return `{${value.entries.map(([k, v]) => `${JSON.stringify(k)}:${toJson(v)}`).join(',')}}`;
  if (Array.isArray(value)) return `[${value.map(toJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.entries(value)
      .map(([k, v]) => `${JSON.stringify(k)}:${toJson(v)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export function combine(...expects: Expect[]): Expect {
  if (expects.includes('reject')) return 'reject';
  if (expects.includes('either')) return 'either';
  return 'ok';
}

interface L {
  v: unknown;
  e: Expect;
  why: string;
}
const ok = (v: unknown, why = 'valid'): L => ({ v, e: 'ok', why });
const bad = (v: unknown, why: string): L => ({ v, e: 'reject', why });
const anyOf = (v: unknown, why: string): L => ({ v, e: 'either', why });

/** Valid, non-empty strings that are awkward for parsers, databases and logs. */
export const UNICODE_OK: readonly string[] = [
  'héllo wörld',
  '日本語のテキスト',
  '😀🎉',
  '👨‍👩‍👧‍👦',
  'e\u0301',
  '\u202Eevil\u202C',
  'zero\u200Bwidth',
  '\uFEFFbom',
  '\uFFFD',
  '\uFFFF',
  '\u{10FFFF}',
  '\u2028\u2029',
  'tab\tnew\nline\r',
  '\\',
  '"quoted"',
  "'; DROP TABLE messages; --",
  '$1 $2',
  '%s%n%x',
  '{{x}}',
  '<script>alert(1)</script>',
  'ｆｕｌｌｗｉｄｔｈ',
  'İıŞß',
  '\u0085',
  ' ',
  'null',
  'undefined',
  '0',
  '\u001b[31mred',
  '\u007f',
];

/** The first `n` characters, never cutting a surrogate pair in two (half a pair is not valid text). */
function firstCodePoints(text: string, n: number): string {
  return [...text].slice(0, n).join('');
}

/** Strings a service may store or refuse (escaped NUL, lone surrogates): never a 5xx. */
export const UNICODE_EITHER: readonly string[] = ['a\u0000b', '\u0000', '\ud800', '\udc00', 'x\udbff', '\udfff\ud800', 'ok\u0000\ud83d'];

const CODE_POINT_RANGES: [number, number][] = [
  [0x20, 0x7e],
  [0xa0, 0xff],
  [0x370, 0x3ff],
  [0x400, 0x4ff],
  [0x590, 0x5ff],
  [0x600, 0x6ff],
  [0x300, 0x36f],
  [0x200b, 0x200f],
  [0x2028, 0x202e],
  [0x4e00, 0x4fff],
  [0xfe00, 0xfe0f],
  [0xfff0, 0xfffd],
  [0x1f300, 0x1f64f],
  [0x1f900, 0x1f9ff],
  [0x10000, 0x1007f],
  [0xe0000, 0xe007f],
];

const STRANGE_SEGMENTS: readonly string[] = [
  '%00',
  '%ZZ',
  '%E0%A4%A',
  '%C0%80',
  '%FF',
  'a'.repeat(129),
  'x'.repeat(3000),
  '%F0%9F%98%80',
  '..',
  '.',
  '%2e%2e',
  '%2F',
  '%20',
  '%27%3B%20DROP%20TABLE%20threads%3B--',
  '%27',
  '%22',
  '$1',
  '%5C',
  'null',
  'undefined',
  '0',
  '-1',
  '1e309',
  '%C3%A9',
  '%EF%BB%BF',
  '%E2%80%AE',
  '%0D%0AX-Injected:%201',
  '*',
  '~',
  '%25',
  '%u0041',
  '%7B%7D',
];

const UNKNOWN_FIELDS: readonly string[] = [
  'extra',
  'Role',
  'METADATA',
  'assistant_id',
  'thread_id',
  'id',
  'object',
  'run_id',
  'created_at',
  'status',
  '',
  ' ',
  'prototype',
  'constructor',
  'toString',
  'hasOwnProperty',
  'content ',
  'x'.repeat(300),
  '😀',
];

const MESSAGE_TEMPLATES = [
  '/threads',
  '/threads/{t}',
  '/threads/{t}/messages',
  '/threads/{t}/messages/{m}',
  '/threads/{t}/messages/{m}/files',
  '/threads/{t}/messages/{m}/files/{f}',
] as const;
const SERVED: Record<(typeof MESSAGE_TEMPLATES)[number], string[]> = {
  '/threads': ['GET', 'POST'], // GET: the thread list, our extension
  '/threads/{t}': ['GET', 'POST', 'DELETE'],
  '/threads/{t}/messages': ['GET', 'POST'],
  '/threads/{t}/messages/{m}': ['GET', 'POST', 'DELETE'],
  '/threads/{t}/messages/{m}/files': ['GET'],
  '/threads/{t}/messages/{m}/files/{f}': ['GET'],
};

const KIND_WEIGHTS: Record<CaseKind, number> = {
  createThread: 13,
  getThread: 7,
  modifyThread: 11,
  deleteThread: 3,
  createMessage: 18,
  listMessages: 12,
  getMessage: 7,
  modifyMessage: 10,
  deleteMessage: 4,
  listFiles: 4,
  getFile: 4,
  uploadFile: 5,
  listFileObjects: 4,
  getFileObject: 4,
  deleteFileObject: 4,
  getFileContent: 4,
  health: 1,
  unknownPath: 2,
  wrongMethod: 2,
};

interface Target {
  segment: string;
  e: Expect;
  live?: string;
}

/**
 * Where a refusal comes from. An exact status is only expected when nothing that is checked
 * earlier refuses the request too: the router ('path') runs before body parsing ('transport'),
 * which runs before the key check ('auth') and everything after it.
 */
type Source = 'path' | 'transport' | 'body' | 'auth' | 'version' | 'target' | 'query' | 'other';

class Builder {
  expects: Expect[] = [];
  rejectedBy: Source[] = [];
  notes: string[] = [];
  headers: Record<string, string | string[]> = {};
  query: string[] = [];
  status?: number;
  authStatus?: number;
  pathMutated = false;

  expect(e: Expect, note?: string, source: Source = 'other'): void {
    this.expects.push(e);
    if (e === 'reject') this.rejectedBy.push(source);
    if (note) this.notes.push(note);
  }
}

/** A segment the router passes on as it is: printable ASCII without percent-escapes. */
const plainSegment = (segment: string) => /^[\x21-\x7e]{1,128}$/.test(segment) && !segment.includes('%') && segment !== '.' && segment !== '..';

export class FuzzGenerator {
  readonly rng: SeededRandom;
  private count = 0;

  constructor(
    readonly seed: number,
    private readonly world: FuzzWorld,
    private readonly options: FuzzOptions,
  ) {
    this.rng = new SeededRandom(seed);
  }

  /** The next case; `forced` fixes its route, dialect and shape (to cover what the draw left short). */
  next(forced?: { kind: CaseKind; dialect: Dialect; shape: Shape }): FuzzCase {
    const rng = this.rng;
    const n = ++this.count;
    const kind = forced?.kind ?? rng.weighted(KIND_WEIGHTS);
    const dialect: Dialect = forced?.dialect ?? (rng.chance(0.5) ? 'openai' : 'azure');
    const shape: Shape = forced?.shape ?? (rng.chance(0.55) ? 'v2' : 'v1');
    const tenant: Tenant = rng.chance(0.8) ? 'A' : 'B';
    const b = new Builder();
    const prefix = dialect === 'openai' ? '/v1' : '/openai';

    const authOk = this.auth(b, dialect, tenant);
    this.version(b, dialect, shape);

    let method: string;
    let path: string;
    let threadId: string | undefined;
    let messageId: string | undefined;
    let bodyRoute = false;
    let listQuery: 'messages' | 'files' | 'fileObjects' | undefined;
    let fileId: string | undefined;
    let upload: { body: Buffer; contentType: string; spec?: UploadSpec } | undefined;
    const fileObject = () => {
      const target = this.fileObjectTarget(tenant);
      b.expect(target.e, target.e === 'ok' ? undefined : `file ${target.segment.slice(0, 60)}`, plainSegment(target.segment) ? 'target' : 'path');
      fileId = target.live;
      return target.segment;
    };
    let fileIds: readonly string[] = [];

    const thread = (preferMessages = false) => {
      const target = preferMessages ? this.threadTargetWithMessages(tenant) : this.threadTarget(tenant);
      b.expect(target.e, target.e === 'ok' ? undefined : `thread ${target.segment.slice(0, 60)}`, plainSegment(target.segment) ? 'target' : 'path');
      threadId = target.live;
      return target.segment;
    };
    const message = (preferFiles = false) => {
      const target = this.messageTarget(threadId, preferFiles);
      b.expect(target.e, target.e === 'ok' ? undefined : `message ${target.segment.slice(0, 60)}`, plainSegment(target.segment) ? 'target' : 'path');
      messageId = target.live;
      fileIds = threadId && messageId ? (this.world.liveMessages(threadId).find((m) => m.id === messageId)?.fileIds ?? []) : [];
      return target.segment;
    };
    const v1Only = () => {
      if (shape !== 'v1') b.expect('reject', 'v1-only route in v2', 'target');
    };

    switch (kind) {
      case 'createThread':
        method = 'POST';
        path = `${prefix}/threads`;
        bodyRoute = true;
        break;
      case 'getThread':
        method = 'GET';
        path = `${prefix}/threads/${thread()}`;
        break;
      case 'modifyThread':
        method = 'POST';
        path = `${prefix}/threads/${thread()}`;
        bodyRoute = true;
        break;
      case 'deleteThread':
        method = 'DELETE';
        path = `${prefix}/threads/${thread()}`;
        break;
      case 'createMessage':
        method = 'POST';
        path = `${prefix}/threads/${thread(true)}/messages`;
        bodyRoute = true;
        break;
      case 'listMessages':
        method = 'GET';
        path = `${prefix}/threads/${thread(true)}/messages`;
        listQuery = 'messages';
        break;
      case 'getMessage':
        method = 'GET';
        path = `${prefix}/threads/${thread(true)}/messages/${message()}`;
        break;
      case 'modifyMessage':
        method = 'POST';
        path = `${prefix}/threads/${thread(true)}/messages/${message()}`;
        bodyRoute = true;
        break;
      case 'deleteMessage':
        method = 'DELETE';
        path = `${prefix}/threads/${thread(true)}/messages/${message()}`;
        break;
      case 'listFiles':
        method = 'GET';
        path = `${prefix}/threads/${thread(true)}/messages/${message(true)}/files`;
        listQuery = 'files';
        v1Only();
        break;
      case 'getFile': {
        method = 'GET';
        const base = `${prefix}/threads/${thread(true)}/messages/${message(true)}/files`;
        const file = this.fileTarget(fileIds);
        b.expect(file.e, file.e === 'ok' ? undefined : `file ${file.segment.slice(0, 40)}`, plainSegment(file.segment) ? 'target' : 'path');
        path = `${base}/${file.segment}`;
        v1Only();
        break;
      }
      case 'uploadFile':
        method = 'POST';
        path = `${prefix}/files`;
        upload = this.uploadBody(b);
        break;
      case 'listFileObjects':
        method = 'GET';
        path = `${prefix}/files`;
        listQuery = 'fileObjects';
        break;
      case 'getFileObject':
        method = 'GET';
        path = `${prefix}/files/${fileObject()}`;
        break;
      case 'deleteFileObject':
        method = 'DELETE';
        path = `${prefix}/files/${fileObject()}`;
        break;
      case 'getFileContent':
        method = 'GET';
        path = `${prefix}/files/${fileObject()}/content`;
        break;
      case 'health':
        method = 'GET';
        path = rng.pick(['/healthz', '/readyz']);
        b.expects = [];
        b.notes.push('health');
        break;
      case 'unknownPath': {
        method = rng.pick(['GET', 'POST', 'DELETE']);
        const t = this.world.liveThreads(tenant)[0] ?? 'thread_x';
        path = rng.pick([
          `${prefix}/nothing`,
          `${prefix}/threads/${t}/runs`,
          `${prefix}/assistants`,
          '/openai/deployments/gpt-4o/chat/completions',
          '/',
          '/v2/threads',
          prefix,
          `${prefix}/threads/${t}/messages/msg_x/files/file_x/more`,
          `${prefix}/threads/${t}/messages/msg_x/other`,
          `/${prefix}/threads`,
          `${prefix}//threads`,
          `${prefix}/threads/${t}//messages`,
          `${prefix}/%2e%2e/threads`,
          '/healthz/x',
          '/readyz/extra/path',
        ]);
        b.expect('reject', `unknown path ${path.slice(0, 60)}`, 'path');
        if (method === 'POST') bodyRoute = true;
        break;
      }
      case 'wrongMethod': {
        const template = rng.pick(MESSAGE_TEMPLATES);
        method = rng.pick(['PUT', 'PATCH', 'OPTIONS', 'DELETE', 'GET', 'POST'].filter((m) => !SERVED[template].includes(m)));
        const t = this.world.liveThreads(tenant)[0] ?? 'thread_x';
        const m = (t && this.world.liveMessages(t)[0]?.id) ?? 'msg_x';
        path = prefix + template.replace('{t}', t).replace('{m}', m).replace('{f}', 'file-1');
        b.expect('reject', `${method} on ${template}`, 'path');
        if (method === 'POST' || method === 'PUT' || method === 'PATCH') bodyRoute = true;
        break;
      }
    }

    if (rng.chance(0.04) && kind !== 'health') path = this.mutatePath(b, path, authOk);

    if (listQuery === 'fileObjects') this.fileListQuery(b, tenant);
    else if (listQuery) this.listQuery(b, listQuery, threadId, fileIds);
    else if (rng.chance(0.06)) this.junkQuery(b);
    if (dialect === 'azure') this.azureVersionQuery(b, shape);

    if (kind === 'createThread' || kind === 'createMessage') this.idempotencyKey(b, n);
    this.oddHeaders(b);

    let body: Buffer | undefined;
    let chunked = false;
    let effectiveBody: unknown;
    if (upload) {
      body = upload.body;
      b.headers['Content-Type'] = upload.contentType;
      if (rng.chance(0.1)) {
        chunked = true;
        b.notes.push('chunked');
      }
    } else if (bodyRoute) {
      const semantic = kind === 'unknownPath' || kind === 'wrongMethod' ? ok({}) : this.body(kind, shape);
      const transport = this.transport(b, semantic.v, kind as RouteName);
      b.expect(transport.empty ? this.emptyBodyExpect(kind) : semantic.e, semantic.e === 'ok' ? undefined : `body: ${semantic.why}`, 'body');
      body = transport.body;
      chunked = transport.chunked;
      effectiveBody = transport.effective;
    } else if (kind !== 'health' && rng.chance(0.06)) {
      const extra = this.bodyOnBodylessRoute(b, method);
      body = extra.body;
      effectiveBody = undefined;
    }

    if (method === 'GET' && rng.chance(0.02)) {
      method = 'HEAD';
      b.notes.push('HEAD');
    }

    const expect = kind === 'health' ? 'ok' : combine(...b.expects);
    const apiRoute = API_ROUTES.includes(kind as RouteName) && !b.pathMutated;
    let status = bodyRoute && apiRoute && !b.rejectedBy.includes('path') ? b.status : undefined;
    if (status === undefined && body === undefined && b.authStatus !== undefined && apiRoute && b.rejectedBy.every((source) => source === 'auth'))
      status = b.authStatus;
    // The key is checked as soon as the route is known, before the body is read: without a valid key, 401 whatever the body.
    if (b.authStatus !== undefined && apiRoute && !b.rejectedBy.includes('path')) status = b.authStatus;
    if (expect !== 'reject') status = undefined;
    const idempotencyKey =
      typeof b.headers['Idempotency-Key'] === 'string' && /^fz-/.test(b.headers['Idempotency-Key']) ? b.headers['Idempotency-Key'] : undefined;
    const query = b.query.length > 0 ? `?${b.query.join('&')}` : '';
    return {
      n,
      kind,
      dialect,
      shape,
      tenant,
      authOk,
      method,
      path: path + query,
      headers: b.headers,
      body,
      chunked,
      expect,
      status,
      notes: b.notes,
      threadId,
      messageId,
      fileId,
      upload: upload?.spec,
      idempotencyKey,
      effectiveBody,
      pathMutated: b.pathMutated,
    };
  }

  // ---- authentication and version ----

  private auth(b: Builder, dialect: Dialect, tenant: Tenant): boolean {
    const rng = this.rng;
    const keys = this.options.keys;
    const key = tenant === 'A' ? (rng.chance(0.2) ? keys.A2 : keys.A) : keys.B;
    if (rng.chance(0.91)) {
      if (dialect === 'openai') {
        b.headers.Authorization = rng.pick([`Bearer ${key}`, `Bearer ${key}`, `bearer ${key}`, `BEARER ${key}`, `Bearer   ${key}  `]);
      } else {
        const r = rng.next();
        if (r < 0.6) b.headers['api-key'] = key;
        else if (r < 0.8) b.headers.Authorization = `Bearer ${key}`;
        else if (r < 0.9) Object.assign(b.headers, { 'api-key': '', Authorization: `Bearer ${key}` });
        else Object.assign(b.headers, { 'api-key': key, Authorization: 'Bearer sk-not-a-key' });
      }
      return true;
    }
    b.authStatus = 401;
    const wrong = `sk-wrong-${rng.alnum(24)}`;
    const variants: [string, Record<string, string>][] =
      dialect === 'openai'
        ? [
            ['no key', {}],
            ['Basic auth', { Authorization: `Basic ${Buffer.from(`user:${key}`).toString('base64')}` }],
            ['Bearer without key', { Authorization: 'Bearer' }],
            ['Token scheme', { Authorization: `Token ${key}` }],
            ['wrong key', { Authorization: `Bearer ${wrong}` }],
            ['key plus junk', { Authorization: `Bearer ${key} x` }],
            ['bare key', { Authorization: key }],
            ['api-key on /v1', { 'api-key': key }],
            ['latin1 key', { Authorization: `Bearer ${key}\u00e9` }],
          ]
        : [
            ['no key', {}],
            ['wrong api-key', { 'api-key': wrong }],
            ['wrong api-key wins over Bearer', { 'api-key': wrong, Authorization: `Bearer ${key}` }],
            ['api-key with scheme', { 'api-key': `Bearer ${key}` }],
            ['Basic auth', { Authorization: `Basic ${key}` }],
            ['latin1 api-key', { 'api-key': `${key}\u00e9` }],
          ];
    const [note, headers] = rng.pick(variants);
    Object.assign(b.headers, headers);
    b.expect('reject', `auth: ${note}`, 'auth');
    return false;
  }

  private version(b: Builder, dialect: Dialect, shape: Shape): void {
    const rng = this.rng;
    if (dialect === 'azure') {
      if (rng.chance(0.02)) b.headers['OpenAI-Beta'] = rng.pick(['assistants=v1', 'junk']);
      return;
    }
    if (rng.chance(0.06)) {
      const value = rng.pick<string | string[]>([
        'assistants=v3',
        'assistants=V1',
        'ASSISTANTS=v2',
        'assistants=v1,assistants=v2',
        'assistants=v1;q=1',
        'v1',
        'assistants',
        'assistants = v1',
        ['assistants=v1', 'assistants=v1'],
        'assistants=v2\u00e9',
      ]);
      b.headers['OpenAI-Beta'] = value;
      b.expect('reject', `OpenAI-Beta ${JSON.stringify(value)}`, 'version');
      return;
    }
    const value =
      shape === 'v1' ? rng.pick(['assistants=v1', 'assistants=v1', ' assistants=v1 ']) : rng.pick([undefined, 'assistants=v2', '', ' assistants=v2 ']);
    if (value !== undefined) b.headers['OpenAI-Beta'] = value;
  }

  private azureVersionQuery(b: Builder, shape: Shape): void {
    const rng = this.rng;
    const valid = `api-version=${rng.pick(shape === 'v1' ? AZURE_V1_VERSIONS : AZURE_V2_VERSIONS)}`;
    let params: string[];
    if (rng.chance(0.06)) {
      const variant = rng.pick([
        [],
        ['api-version='],
        ['api-version=2024-08-01'],
        ['api-version=2024-08-01-PREVIEW'],
        ['api-version=2023-05-15'],
        ['api-version=latest'],
        [valid, valid],
        ['api-version=%00'],
        ['api-version=2024-08-01-preview%20'],
        ['api-version=v2'],
        [valid, 'api-version='],
        ['Api-Version=2024-08-01-preview'],
      ]);
      params = variant;
      b.expect('reject', `api-version [${variant.join('&')}]`, 'version');
    } else {
      params = [valid];
    }
    for (const param of params) b.query.splice(rng.int(b.query.length + 1), 0, param);
  }

  // ---- targets ----

  private threadTarget(tenant: Tenant): Target {
    const rng = this.rng;
    const live = this.world.liveThreads(tenant);
    if (live.length > 0 && rng.chance(0.8)) {
      const id = rng.pick(live);
      return { segment: id, e: 'ok', live: id };
    }
    return this.missingTarget('thread', tenant);
  }

  /** For message routes: prefer a live thread that has messages. */
  private threadTargetWithMessages(tenant: Tenant): Target {
    const withMessages = this.world.liveThreads(tenant).filter((id) => this.world.liveMessages(id).length > 0);
    if (withMessages.length === 0 || !this.rng.chance(0.75)) return this.threadTarget(tenant);
    const id = this.rng.pick(withMessages);
    return { segment: id, e: 'ok', live: id };
  }

  private missingTarget(what: 'thread' | 'message', tenant: Tenant): Target {
    const rng = this.rng;
    const other = this.world.liveThreads(tenant === 'A' ? 'B' : 'A');
    const own = this.world.liveThreads(tenant);
    const options: (() => Target)[] = [
      () => ({ segment: `${what === 'thread' ? 'thread' : 'msg'}_${rng.alnum(24)}`, e: 'reject' }),
      () => ({ segment: rng.pick(STRANGE_SEGMENTS), e: 'reject' }),
      () => ({ segment: `${what === 'thread' ? 'thread_' : 'msg_'}${rng.pick(STRANGE_SEGMENTS)}`, e: 'reject' }),
    ];
    if (what === 'thread' && other.length > 0) options.push(() => ({ segment: rng.pick(other), e: 'reject' }));
    if (what === 'thread' && this.world.deadThreads().length > 0) options.push(() => ({ segment: rng.pick(this.world.deadThreads()), e: 'reject' }));
    if (what === 'message' && this.world.deadMessages().length > 0) options.push(() => ({ segment: rng.pick(this.world.deadMessages()).id, e: 'reject' }));
    if (own.length > 0) {
      options.push(() => {
        const id = rng.pick(own);
        const upper = id.toUpperCase();
        return upper === id ? { segment: `${id}x`, e: 'reject' } : { segment: upper, e: 'reject' };
      });
      options.push(() => ({ segment: `${rng.pick(own)}%00`, e: 'reject' }));
      options.push(() => ({ segment: `${rng.pick(own)}%20`, e: 'reject' }));
    }
    if (what === 'thread') {
      const messages = own.flatMap((id) => this.world.liveMessages(id).map((m) => m.id));
      if (messages.length > 0) options.push(() => ({ segment: rng.pick(messages), e: 'reject' }));
    }
    return rng.pick(options)();
  }

  private messageTarget(threadId: string | undefined, preferFiles: boolean): Target {
    const rng = this.rng;
    const messages = threadId ? this.world.liveMessages(threadId) : [];
    const withFiles = messages.filter((m) => m.fileIds.length > 0);
    const pool = preferFiles && withFiles.length > 0 && rng.chance(0.8) ? withFiles : messages;
    if (pool.length > 0 && rng.chance(0.8)) {
      const id = rng.pick(pool).id;
      return { segment: id, e: 'ok', live: id };
    }
    const others = this.world
      .liveThreads('A')
      .concat(this.world.liveThreads('B'))
      .filter((id) => id !== threadId)
      .flatMap((id) => this.world.liveMessages(id).map((m) => m.id));
    if (others.length > 0 && rng.chance(0.3)) return { segment: rng.pick(others), e: 'reject' };
    if (threadId) {
      const ownThread = this.world.liveMessages(threadId);
      if (ownThread.length > 0 && rng.chance(0.2)) return { segment: threadId, e: 'reject' };
    }
    return this.missingTarget('message', 'A');
  }

  private fileTarget(fileIds: readonly string[]): Target {
    const rng = this.rng;
    if (fileIds.length > 0 && rng.chance(0.75)) {
      const id = rng.pick(fileIds);
      return { segment: encodeURIComponent(id), e: 'ok' };
    }
    return rng.pick<Target>([
      { segment: `file-${rng.alnum(8)}`, e: 'reject' },
      { segment: rng.pick(STRANGE_SEGMENTS), e: 'reject' },
      { segment: '%00', e: 'reject' },
    ]);
  }

  /** A file of the Files API: the tenant's (live), or one it must not find (another tenant's, deleted, made up, malformed). */
  private fileObjectTarget(tenant: Tenant): Target & { live?: string } {
    const rng = this.rng;
    const live = this.world.liveFiles(tenant);
    if (live.length > 0 && rng.chance(0.75)) {
      const id = rng.pick(live);
      return { segment: id, e: 'ok', live: id };
    }
    const other = this.world.liveFiles(tenant === 'A' ? 'B' : 'A');
    const dead = this.world.deadFiles();
    const options: (() => Target)[] = [
      () => ({ segment: `file-${rng.alnum(24)}`, e: 'reject' }),
      () => ({ segment: rng.pick(STRANGE_SEGMENTS), e: 'reject' }),
      () => ({ segment: `file-${rng.pick(STRANGE_SEGMENTS)}`, e: 'reject' }),
    ];
    if (other.length > 0) options.push(() => ({ segment: rng.pick(other), e: 'reject' }));
    if (dead.length > 0) options.push(() => ({ segment: rng.pick(dead), e: 'reject' }));
    return rng.pick(options)();
  }

  /** GET /files: `purpose`, `limit` (1-10,000), `order`, `after` (a file of the tenant). */
  private fileListQuery(b: Builder, tenant: Tenant): void {
    const rng = this.rng;
    const add = (param: string, l: L) => {
      b.query.push(`${param}=${l.v as string}`);
      if (l.e !== 'ok') b.expect(l.e, `query ${param}=${String(l.v).slice(0, 40)} (${l.why})`, 'query');
    };
    if (rng.chance(0.3)) {
      add(
        'limit',
        rng.pick([
          ok('1'),
          ok('3'),
          ok('10000'),
          ok(String(rng.range(1, 50))),
          bad('0', 'zero'),
          bad('10001', 'above max'),
          bad('-1', 'negative'),
          bad('1.5', 'fraction'),
          bad('abc', 'word'),
          bad('', 'empty'),
          bad('%00', 'NUL'),
        ]),
      );
    }
    if (rng.chance(0.3)) add('order', rng.pick([ok('asc'), ok('desc'), bad('ASC', 'upper case'), bad('', 'empty'), bad('up', 'unknown')]));
    if (rng.chance(0.3))
      add(
        'purpose',
        rng.pick([...FILE_PURPOSES.map((purpose) => ok(purpose)), ok('nothing-has-this'), anyOf('', 'empty purpose'), bad('p'.repeat(65), 'long purpose')]),
      );
    if (rng.chance(0.3)) {
      const own = this.world.liveFiles(tenant);
      const other = this.world.liveFiles(tenant === 'A' ? 'B' : 'A');
      add(
        'after',
        own.length > 0 && rng.chance(0.6)
          ? ok(rng.pick(own))
          : rng.pick([
              bad(`file-${rng.alnum(24)}`, 'unknown cursor'),
              bad('', 'empty cursor'),
              bad('%00', 'NUL cursor'),
              bad('f'.repeat(129), 'long cursor'),
              other.length > 0 ? bad(rng.pick(other), "another tenant's file as cursor") : bad('file-', 'prefix only'),
            ]),
      );
    }
    if (rng.chance(0.08)) add(rng.pick(['foo', 'before', 'run_id', 'LIMIT']), bad('x', 'unknown parameter'));
  }

  /**
   * A multipart/form-data upload: valid (a purpose, one file with a plain name, an optional
   * expiry, in any order), or with one or more of the mistakes the service must refuse.
   */
  private uploadBody(b: Builder): { body: Buffer; contentType: string; spec?: UploadSpec } {
    const rng = this.rng;
    const boundary = `fz${rng.alnum(16)}`;
    const content = Buffer.from(rng.alnum(rng.int(4) === 0 ? 0 : rng.range(1, 3000)));
    const mistakes: L[] = [];
    const filenames: L[] = [
      ok('notes.txt'),
      ok('résumé final.pdf'),
      ok('日本語.txt'),
      ok('😀.bin'),
      ok('x'.repeat(255)),
      ok('no-extension'),
      ok('it\'s "quoted".txt'),
    ];
    let filename = rng.pick(filenames);
    if (rng.chance(0.08)) {
      filename = rng.pick([
        bad('../etc/passwd', 'path in the filename'),
        bad('a\\b.txt', 'backslash in the filename'),
        bad('a\u0001b', 'control character in the filename'),
        bad('y'.repeat(256), 'filename too long'),
        bad('a\u007fb', 'DEL in the filename'),
      ]);
    }
    if (filename.e !== 'ok') mistakes.push(filename);
    let purpose: L = ok(rng.pick(FILE_PURPOSES));
    if (rng.chance(0.08)) {
      purpose = rng.pick([
        bad('fun', 'unknown purpose'),
        bad('Assistants', 'purpose in another case'),
        bad('', 'empty purpose'),
        bad('p'.repeat(2000), 'purpose too long'),
        bad('assistants\u0000', 'NUL in purpose'),
      ]);
      mistakes.push(purpose);
    }
    type Part = { name: string; filename?: string; contentType?: string; data: Buffer | string };
    const parts: Part[] = [];
    const filePart: Part = {
      name: 'file',
      filename: filename.v as string,
      contentType: rng.pick([undefined, 'text/plain', 'application/pdf', 'not a type']),
      data: content,
    };
    parts.push(filePart);
    if (rng.chance(0.95)) parts.push({ name: 'purpose', data: purpose.v as string });
    else mistakes.push(bad('', 'no purpose'));
    let expiresAfter: number | undefined;
    if (rng.chance(0.15)) {
      const seconds = rng.pick<L>([
        ok('3600'),
        ok('2592000'),
        ok(String(rng.range(3600, 2592000))),
        bad('60', 'expiry too short'),
        bad('2592001', 'expiry too long'),
        bad('1.5', 'fractional expiry'),
        bad('abc', 'expiry not a number'),
      ]);
      const anchor = rng.pick<L>([ok('created_at'), ok('created_at'), ok('created_at'), bad('last_active_at', 'unknown anchor')]);
      for (const l of [seconds, anchor]) if (l.e !== 'ok') mistakes.push(l);
      if (rng.chance(0.9)) parts.push({ name: 'expires_after[anchor]', data: anchor.v as string });
      else mistakes.push(bad('', 'expiry without anchor'));
      parts.push({ name: 'expires_after[seconds]', data: seconds.v as string });
      if (seconds.e === 'ok') expiresAfter = Number(seconds.v);
    }
    if (rng.chance(0.05)) {
      parts.push({ name: 'file', filename: 'second.txt', data: 'again' });
      mistakes.push(bad('', 'two file parts'));
    }
    if (rng.chance(0.04)) {
      parts.push({ name: rng.pick(['colour', 'model', 'File', 'expires_after']), data: 'x' });
      mistakes.push(bad('', 'unknown field'));
    }
    if (rng.chance(0.04)) {
      parts.splice(parts.indexOf(filePart), 1, { name: 'file', data: 'text, not a file' });
      mistakes.push(bad('', 'a text field named file'));
    }
    if (rng.chance(0.03)) {
      // Every part named file goes (a second file part added above included), not just the first.
      for (let i = parts.length - 1; i >= 0; i--) if (parts[i].name === 'file') parts.splice(i, 1);
      mistakes.push(bad('', 'no file part'));
    }
    // Any order: a field after the file part is only checked once the bytes are stored.
    for (let i = parts.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [parts[i], parts[j]] = [parts[j], parts[i]];
    }
    const chunks: Buffer[] = [];
    for (const part of parts) {
      let disposition = `form-data; name="${part.name}"`;
      if (part.filename !== undefined) disposition += `; filename*=UTF-8''${encodeURIComponent(part.filename).replace(/'/g, '%27')}`;
      const head = [`--${boundary}`, `Content-Disposition: ${disposition}`];
      if (part.contentType) head.push(`Content-Type: ${part.contentType}`);
      chunks.push(Buffer.from(`${head.join('\r\n')}\r\n\r\n`), Buffer.from(part.data), Buffer.from('\r\n'));
    }
    chunks.push(Buffer.from(`--${boundary}--\r\n`));
    let body = Buffer.concat(chunks);
    let contentType = `multipart/form-data; boundary=${boundary}`;
    if (rng.chance(0.04)) {
      // Cut before the closing delimiter: a form cut after it is complete.
      body = body.subarray(0, rng.int(body.length - boundary.length - 6));
      mistakes.push(bad('', 'truncated multipart body'));
    }
    if (rng.chance(0.04)) {
      const [type, why] = rng.pick<[string, string]>([
        ['application/json', 'JSON content type'],
        ['text/plain', 'text content type'],
        ['multipart/form-data', 'no boundary'],
        [`multipart/form-data; boundary=other${boundary}`, 'wrong boundary'],
        ['application/x-www-form-urlencoded', 'urlencoded content type'],
      ]);
      contentType = type;
      mistakes.push(bad('', why));
    }
    const expect = combine(...mistakes.map((m) => m.e));
    b.expect(expect, mistakes.length > 0 ? `body: ${mistakes.map((m) => m.why).join(', ')}` : undefined, 'body');
    const spec = expect === 'ok' ? { bytes: content.length, filename: filename.v as string, purpose: purpose.v as string, expiresAfter } : undefined;
    return { body, contentType, spec };
  }

  /**
   * Changes the case of a literal path segment, or percent-encodes one of its letters (an
   * equivalent URL, RFC 3986 2.3). Either may be routed or be a 404; without a valid key, never a success.
   */
  private mutatePath(b: Builder, path: string, authOk: boolean): string {
    const rng = this.rng;
    const segments = path.split('/');
    // Literal segments only: ids stay as they are.
    const literal = segments.map((s, i) => (['v1', 'openai', 'threads', 'messages', 'files'].includes(s) ? i : -1)).filter((i) => i >= 0);
    if (literal.length === 0) return path;
    // Percent-encoding spares the dialect prefix: a prefix the service does not recognise has no defined error body.
    const encodable = literal.filter((i) => i > 1);
    b.pathMutated = true;
    if (encodable.length === 0 || rng.chance(0.5)) {
      const index = rng.pick(literal);
      segments[index] = rng.chance(0.5) ? segments[index].toUpperCase() : segments[index][0].toUpperCase() + segments[index].slice(1);
      b.expect(index === 1 && !authOk ? 'reject' : 'either', `path case ${segments[index]}`, 'path');
    } else {
      const index = rng.pick(encodable);
      const segment = segments[index];
      const at = rng.int(segment.length);
      segments[index] = `${segment.slice(0, at)}%${segment.charCodeAt(at).toString(16).toUpperCase()}${segment.slice(at + 1)}`;
      b.expect('either', `percent-encoded ${segments[index]}`, 'path');
    }
    return segments.join('/');
  }

  // ---- query strings ----

  private listQuery(b: Builder, list: 'messages' | 'files', threadId: string | undefined, fileIds: readonly string[]): void {
    const rng = this.rng;
    const add = (param: string, l: L) => {
      b.query.push(`${param}=${l.v as string}`);
      if (l.e !== 'ok') b.expect(l.e, `query ${param}=${String(l.v).slice(0, 40)} (${l.why})`, 'query');
    };
    const cursors = list === 'messages' ? (threadId ? this.world.liveMessages(threadId).map((m) => m.id) : []) : fileIds.map((id) => encodeURIComponent(id));
    const cursor = (): L => {
      if (cursors.length > 0 && rng.chance(0.6)) return ok(rng.pick(cursors));
      const elsewhere = this.world
        .liveThreads('A')
        .filter((id) => id !== threadId)
        .flatMap((id) => this.world.liveMessages(id).map((m) => m.id));
      return rng.pick([
        bad(`msg_${rng.alnum(24)}`, 'unknown cursor'),
        bad('', 'empty cursor'),
        bad('m'.repeat(129), 'long cursor'),
        bad('%00', 'NUL cursor'),
        bad('%F0%9F%98%80', 'emoji cursor'),
        bad('a%20b', 'space in cursor'),
        elsewhere.length > 0 ? bad(rng.pick(elsewhere), 'cursor of another thread') : bad('msg_', 'prefix only'),
      ]);
    };
    if (rng.chance(0.4)) {
      add(
        'limit',
        rng.pick([
          ok('1'),
          ok('2'),
          ok('20'),
          ok('100'),
          ok(String(rng.range(1, 100))),
          anyOf('1e1', 'exponent'),
          anyOf('0x10', 'hex'),
          anyOf('%2B5', 'plus sign'),
          anyOf('%205', 'leading space'),
          anyOf('05', 'leading zero'),
          anyOf('1.0', 'decimal integer'),
          bad('0', 'zero'),
          bad('101', 'above max'),
          bad('-1', 'negative'),
          bad('-0', 'negative zero'),
          bad('1.5', 'fraction'),
          bad('abc', 'word'),
          bad('', 'empty'),
          bad('NaN', 'NaN'),
          bad('Infinity', 'Infinity'),
          bad('99999999999999999999', 'huge'),
          bad('1e309', 'overflow'),
          bad('%00', 'NUL'),
          bad('%EF%BC%92', 'fullwidth digit'),
          bad('1&limit=2', 'repeated'),
          bad('9007199254740993', 'beyond safe integer'),
        ]),
      );
    }
    if (rng.chance(0.4)) {
      add(
        'order',
        rng.pick([
          ok('asc'),
          ok('desc'),
          bad('ASC', 'upper case'),
          bad('', 'empty'),
          bad('random', 'unknown'),
          bad('asc%20', 'trailing space'),
          bad('asc&order=desc', 'repeated'),
        ]),
      );
    }
    if (rng.chance(0.3)) add('after', cursor());
    if (rng.chance(0.2)) add('before', cursor());
    if (rng.chance(0.12)) {
      add(
        'run_id',
        list === 'files'
          ? bad('run_abc', 'run_id on a files list')
          : rng.pick([ok('run_abc'), ok(`run_${rng.alnum(20)}`), bad('', 'empty'), bad('%00', 'NUL'), bad('r'.repeat(129), 'long'), bad('a%20b', 'space')]),
      );
    }
    if (rng.chance(0.08)) {
      const [param, l] = rng.pick<[string, L]>([
        ['foo', bad('bar', 'unknown parameter')],
        ['LIMIT', bad('5', 'unknown parameter (case)')],
        ['a[b]', bad('c', 'bracket parameter')],
        ['thread_id', bad('x', 'unknown parameter')],
        ['include[]', bad('x', 'unknown parameter')],
        ['constructor', bad('x', 'unknown parameter constructor')],
        ['hasOwnProperty', bad('x', 'unknown parameter hasOwnProperty')],
        ['__proto__', anyOf('x', '__proto__ parameter')],
        ['%ZZ', bad('1', 'undecodable parameter name')],
      ]);
      add(param, l);
    }
  }

  private junkQuery(b: Builder): void {
    const rng = this.rng;
    // Routes that take no query parameters may ignore these or refuse them; never a 5xx.
    b.query.push(rng.pick(['foo=bar', 'limit=abc', 'order=%00', '%ZZ=1', 'x=%F0%9F%98%80', 'a=1&a=2', 'q=' + 'x'.repeat(2000)]));
    b.expect('either', 'query parameters on a route that takes none', 'query');
  }

  // ---- headers ----

  private idempotencyKey(b: Builder, n: number): void {
    const rng = this.rng;
    const r = rng.next();
    if (r < 0.1) {
      b.headers['Idempotency-Key'] = `fz-${n}-${rng.alnum(8)}`;
    } else if (r < 0.14) {
      const value = rng.pick(['', 'has space', 'k'.repeat(256), 'cl\u00e9', 'tab\there']);
      b.headers['Idempotency-Key'] = value;
      b.expect('reject', `Idempotency-Key ${JSON.stringify(value.slice(0, 20))}`);
    }
  }

  private oddHeaders(b: Builder): void {
    const rng = this.rng;
    if (!rng.chance(0.08)) return;
    const [name, value] = rng.pick<[string, string]>([
      ['Accept', 'text/html'],
      ['Accept', 'application/xml;q=1, */*;q=0'],
      ['Accept-Encoding', 'gzip, br'],
      ['Accept-Charset', 'iso-8859-1'],
      ['X-Forwarded-For', '1.2.3.4, 5.6.7.8'],
      ['X-Forwarded-Proto', 'https'],
      ['Cookie', 'session=abc; other=%00'],
      ['X-Long-Header', 'x'.repeat(6000)],
      ['User-Agent', '\u00ff\u00fe'],
      ['Origin', 'http://evil.example'],
      ['Range', 'bytes=0-10'],
      ['Expect', '100-continue'],
      ['X-HTTP-Method-Override', 'DELETE'],
      ['Content-Language', 'xx'],
    ]);
    b.headers[name] = value;
    b.notes.push(`header ${name}`);
  }

  // ---- bodies ----

  private emptyBodyExpect(kind: CaseKind): Expect {
    return kind === 'createMessage' ? 'reject' : 'ok';
  }

  private body(kind: CaseKind, shape: Shape): L {
    switch (kind) {
      case 'createThread':
        return this.object(this.threadCreateFields(shape));
      case 'modifyThread':
        return this.object(this.threadModifyFields(shape));
      case 'createMessage':
        return this.object(this.messageFields(shape));
      case 'modifyMessage':
        return this.object([this.metadataField(false)]);
      default:
        return ok({});
    }
  }

  /** A valid object of the fields, then 0 to 3 mutations (other values, removals, unknown fields, duplicate keys). */
  private object(fields: Field[], maxMutations = 3): L {
    const rng = this.rng;
    const entries = new Map<string, unknown>();
    for (const field of fields) {
      if (field.forbidden) continue;
      if (field.required || rng.chance(0.4)) entries.set(field.name, field.valid());
    }
    /** The expectation of each field's current value, and of everything that is not a field. */
    const fieldExpects = new Map<string, { e: Expect; why: string }>();
    const expects: Expect[] = [];
    const whys: string[] = [];
    const touched = new Set<string>();
    const mutations = rng.weighted({ 0: 30, 1: 45, 2: 18, 3: 7 } as Record<string, number>);
    for (let i = 0; i < Math.min(Number(mutations), maxMutations); i++) {
      const kind = rng.weighted({ variant: 70, remove: 8, unknown: 9, proto: 2, deep: 3, forbidden: 8 });
      if (kind === 'variant') {
        const candidates = fields.filter((f) => !f.forbidden && !touched.has(f.name));
        if (candidates.length === 0) continue;
        const field = rng.pick(candidates);
        touched.add(field.name);
        const l = field.variant();
        entries.set(field.name, l.v);
        fieldExpects.set(field.name, { e: l.e, why: `${field.name}: ${l.why}` });
      } else if (kind === 'remove') {
        const present = fields.filter((f) => !f.forbidden && entries.has(f.name) && !touched.has(f.name));
        if (present.length === 0) continue;
        const field = rng.pick(present);
        touched.add(field.name);
        entries.delete(field.name);
        fieldExpects.set(field.name, { e: field.required ? 'reject' : 'ok', why: `without ${field.name}` });
      } else if (kind === 'unknown') {
        const name = rng.pick(UNKNOWN_FIELDS);
        if (fields.some((f) => f.name === name)) continue;
        entries.set(name, rng.pick<unknown>([1, 'x', null, {}, [], true]));
        expects.push('reject');
        whys.push(`unknown field ${JSON.stringify(name.slice(0, 20))}`);
      } else if (kind === 'proto') {
        entries.set('__proto__', new RawJson(rng.pick(['{"polluted":"yes"}', 'null', '"x"', '{"metadata":{"a":"b"}}'])));
        expects.push('reject');
        whys.push('__proto__ key');
      } else if (kind === 'deep') {
        const depth = rng.pick([33, 40, 200, 5000]);
        const name = rng.pick(['metadata', 'extra', 'content']);
        touched.add(name);
        entries.set(name, new RawJson(nest(depth, rng.chance(0.5))));
        fieldExpects.set(name, { e: 'reject', why: `${name} nested ${depth} deep` });
      } else {
        const field = fields.find((f) => f.forbidden && !entries.has(f.name));
        if (!field) continue;
        touched.add(field.name);
        entries.set(field.name, rng.pick(field.forbiddenValues ?? [null]));
        fieldExpects.set(field.name, { e: 'reject', why: `${field.name} not in this version` });
      }
    }
    let value: unknown;
    if (entries.size > 0 && rng.chance(0.07)) {
      const list = [...entries.entries()];
      const index = rng.int(list.length);
      const [key, current] = list[index];
      const wrong = rng.pick([5, true, -1.5]);
      const mode = rng.pick(['wrong first', 'wrong last', 'same twice'] as const);
      if (mode === 'wrong first') list.splice(index, 0, [key, wrong]);
      else if (mode === 'wrong last') list.push([key, wrong]);
      else list.push([key, current]);
      if (mode === 'wrong last') expects.push('reject');
      whys.push(`duplicate key ${key} (${mode})`);
      value = new DupKeys(list);
    } else {
      value = Object.fromEntries(entries);
    }
    for (const { e, why } of fieldExpects.values()) {
      expects.push(e);
      whys.push(why);
    }
    return { v: value, e: combine(...expects), why: whys.join('; ') || 'valid' };
  }

  private messageFields(shape: Shape): Field[] {
    return [
      {
        name: 'role',
        required: true,
        valid: () => this.rng.pick(['user', 'assistant']),
        variant: () =>
          this.rng.pick([
            ok('user'),
            ok('assistant'),
            bad('system', 'role system'),
            bad('User', 'role case'),
            bad('', 'empty role'),
            bad(' user', 'role space'),
            bad('tool', 'role tool'),
            bad(5, 'role number'),
            bad(null, 'role null'),
            bad(true, 'role boolean'),
            bad([], 'role array'),
            bad({}, 'role object'),
            bad(['user'], 'role in array'),
            bad('user\u0000', 'role with NUL'),
            bad(new RawJson('1e309'), 'role overflow number'),
          ]),
      },
      { name: 'content', required: true, valid: () => this.validContent(shape), variant: () => this.contentVariant(shape) },
      {
        name: 'attachments',
        required: false,
        forbidden: shape === 'v1',
        forbiddenValues: [null, [], [{ file_id: 'file-1', tools: [] }]],
        valid: () => (this.rng.chance(0.5) ? [] : [{ file_id: `file-${this.rng.alnum(6)}`, tools: [{ type: 'code_interpreter' }] }]),
        variant: () => this.attachmentsVariant(),
      },
      {
        name: 'file_ids',
        required: false,
        forbidden: shape === 'v2',
        forbiddenValues: [null, [], ['file-1']],
        valid: () => [`file-${this.rng.alnum(6)}`],
        variant: () => this.fileIdsVariant(),
      },
      this.metadataField(false),
    ];
  }

  private threadCreateFields(shape: Shape): Field[] {
    return [
      {
        name: 'messages',
        required: false,
        valid: () => Array.from({ length: this.rng.range(1, 3) }, () => this.validMessage(shape)),
        variant: () => this.messagesVariant(shape),
      },
      this.toolResourcesField(shape),
      this.metadataField(false),
    ];
  }

  private threadModifyFields(shape: Shape): Field[] {
    return [this.toolResourcesField(shape), this.metadataField(false)];
  }

  private metadataField(required: boolean): Field {
    return { name: 'metadata', required, valid: () => ({ [`k${this.rng.int(100)}`]: this.okText() }), variant: () => this.metadataVariant() };
  }

  private toolResourcesField(shape: Shape): Field {
    return {
      name: 'tool_resources',
      required: false,
      forbidden: shape === 'v1',
      forbiddenValues: [null, {}, { code_interpreter: { file_ids: ['f'] } }],
      valid: () => ({ code_interpreter: { file_ids: [`file-${this.rng.alnum(4)}`] } }),
      variant: () => this.toolResourcesVariant(),
    };
  }

  private validMessage(shape: Shape): Record<string, unknown> {
    const message: Record<string, unknown> = { role: this.rng.pick(['user', 'assistant']), content: this.validContent(shape) };
    if (this.rng.chance(0.3)) message.metadata = { m: this.okText() };
    if (shape === 'v2' && this.rng.chance(0.2)) message.attachments = [{ file_id: 'file-t', tools: [{ type: 'file_search' }] }];
    if (shape === 'v1' && this.rng.chance(0.2)) message.file_ids = ['file-t'];
    return message;
  }

  /** Never a valid id: the generated text may be plain visible ASCII, so a non-ASCII letter leads it. */
  private nonAsciiId(): string {
    return `é${firstCodePoints(this.okText(), 59)}`;
  }

  private okText(): string {
    const rng = this.rng;
    const r = rng.next();
    if (r < 0.3) return `text ${rng.int(1_000_000)}`;
    if (r < 0.65) return rng.pick(UNICODE_OK);
    let out = '';
    const length = rng.range(1, 40);
    while (out.length < length) {
      const [low, high] = rng.pick(CODE_POINT_RANGES);
      out += String.fromCodePoint(low + rng.int(high - low + 1));
    }
    return out;
  }

  private validContent(shape: Shape): unknown {
    const rng = this.rng;
    if (shape === 'v1' || rng.chance(0.5)) return this.okText();
    return Array.from({ length: rng.range(1, 3) }, () => this.validPart());
  }

  private validPart(): Record<string, unknown> {
    const rng = this.rng;
    const detail = () => (rng.chance(0.5) ? {} : { detail: rng.pick(['auto', 'low', 'high']) });
    switch (rng.int(3)) {
      case 0:
        return { type: 'text', text: this.okText() };
      case 1:
        return {
          type: 'image_url',
          image_url: {
            url: rng.pick([
              'https://example.com/a.png',
              'http://127.0.0.1/x.jpg',
              'data:image/png;base64,iVBORw0KGgo=',
              'https://example.com/%F0%9F%98%80?q=1#f',
            ]),
            ...detail(),
          },
        };
      default:
        return { type: 'image_file', image_file: { file_id: `file-${rng.alnum(10)}`, ...detail() } };
    }
  }

  private contentVariant(shape: Shape): L {
    const rng = this.rng;
    const r = rng.next();
    if (r < 0.25) return ok(this.validContent(shape), 'other valid content');
    if (r < 0.33) return anyOf(rng.pick(UNICODE_EITHER), 'NUL or lone surrogate');
    if (r < 0.35) return rng.chance(0.5) ? ok('a'.repeat(256_000), '256000 characters') : bad('b'.repeat(256_001), '256001 characters');
    if (r < 0.36) return ok('😀'.repeat(64_000), '128000 UTF-16 units of emoji');
    if (shape === 'v1' && r < 0.45) return bad([this.validPart()], 'content parts in v1');
    if (shape === 'v2' && r < 0.4) return anyOf([{ type: 'text', text: rng.pick(UNICODE_EITHER) }], 'text part with NUL or lone surrogate');
    const longId = 'x'.repeat(129);
    return rng.pick([
      bad('', 'empty string'),
      bad(5, 'number'),
      bad(null, 'null'),
      bad(true, 'boolean'),
      bad({}, 'object'),
      bad({ type: 'text', text: 'x' }, 'part without array'),
      bad([], 'empty array'),
      bad([5], 'number part'),
      bad([null], 'null part'),
      bad(['x'], 'string part'),
      bad([[]], 'nested array part'),
      bad([{}], 'empty part'),
      bad([{ type: 'text' }], 'text part without text'),
      bad([{ type: 'text', text: '' }], 'empty text part'),
      bad([{ type: 'text', text: 5 }], 'number text'),
      bad([{ type: 'text', text: { value: 'x' } }], 'object text'),
      bad([{ type: 'video' }], 'unknown part type'),
      bad([{ type: 5 }], 'number part type'),
      bad([{ type: 'text', text: 'x', extra: 1 }], 'extra part field'),
      bad([{ type: 'image_url', image_url: { url: 'notaurl' } }], 'bad url'),
      bad([{ type: 'image_url', image_url: { url: 'ftp://x/y.png' } }], 'ftp url'),
      bad([{ type: 'image_url', image_url: { url: 'javascript:alert(1)' } }], 'javascript url'),
      bad([{ type: 'image_url', image_url: 'https://x' }], 'image_url string'),
      bad([{ type: 'image_url', image_url: { url: 'https://x', detail: 'max' } }], 'bad detail'),
      bad([{ type: 'image_url', image_url: { url: 'https://x', detail: null } }], 'null detail'),
      bad([{ type: 'image_url', image_url: { url: 'https://x', extra: 1 } }], 'extra image_url field'),
      bad([{ type: 'image_file', image_file: { file_id: '' } }], 'empty file id'),
      bad([{ type: 'image_file', image_file: { file_id: longId } }], 'file id of 129'),
      bad([{ type: 'image_file', image_file: { file_id: 'a\u0000b' } }], 'file id with NUL'),
      bad([{ type: 'image_file', image_file: { file_id: 'fïle' } }], 'file id with an accent'),
      bad([{ type: 'image_file', image_file: {} }], 'image_file without file id'),
      bad([{ type: 'text', text: 'x' }, 7], 'second part a number'),
      bad(new RawJson('1e309'), 'overflow number'),
      bad(new RawJson('-0'), 'negative zero'),
    ]);
  }

  private attachmentsVariant(): L {
    const rng = this.rng;
    const att = (file_id: unknown = `file-${rng.alnum(6)}`, tools: unknown = []) => ({ file_id, tools });
    return rng.pick([
      ok(null, 'null'),
      ok([], 'empty'),
      ok([att()], 'one'),
      ok(
        Array.from({ length: 10 }, () => att()),
        'ten',
      ),
      ok([att('f'.repeat(128), [{ type: 'code_interpreter' }, { type: 'file_search' }])], 'long id, two tools'),
      bad([att(this.nonAsciiId())], 'unicode file id'),
      bad([att(rng.pick(UNICODE_EITHER))], 'file id with NUL or lone surrogate'),
      bad([att('a\u0000b')], 'file id with NUL'),
      bad([att('file 1')], 'file id with a space'),
      anyOf([att('f', [{ type: 'code_interpreter' }, { type: 'code_interpreter' }])], 'same tool twice'),
      bad('x', 'string'),
      bad(5, 'number'),
      bad({}, 'object'),
      bad({ file_id: 'f', tools: [] }, 'one attachment without array'),
      bad([5], 'number item'),
      bad([null], 'null item'),
      bad([[]], 'nested array item'),
      bad([[att()]], 'nested array of attachments'),
      bad([{}], 'empty item'),
      bad([{ file_id: 'f' }], 'without tools'),
      bad([{ tools: [] }], 'without file id'),
      bad([att('')], 'empty file id'),
      bad([att(5)], 'number file id'),
      bad([att('f'.repeat(129))], 'file id of 129'),
      bad([att('f', [{ type: 'x' }])], 'unknown tool'),
      bad([att('f', [{}])], 'tool without type'),
      bad([att('f', [[]])], 'nested array tool'),
      bad([att('f', [null])], 'null tool'),
      bad([att('f', 'x')], 'tools string'),
      bad([att('f', [{ type: 'file_search' }, { type: 'file_search' }, { type: 'code_interpreter' }])], 'three tools'),
      bad(
        Array.from({ length: 11 }, () => att()),
        'eleven',
      ),
      bad([{ file_id: 'f', tools: [], extra: 1 }], 'extra field'),
      bad([att('f', [{ type: 'file_search', extra: 1 }])], 'extra tool field'),
    ]);
  }

  private fileIdsVariant(): L {
    const rng = this.rng;
    return rng.pick([
      ok(null, 'null'),
      anyOf([], 'empty (the OpenAI schema asks for at least one)'),
      ok(['file-1'], 'one'),
      ok(
        Array.from({ length: 10 }, (_, i) => `file-${i}`),
        'ten',
      ),
      ok(['f'.repeat(128)], 'id of 128'),
      bad([this.nonAsciiId()], 'unicode id'),
      bad([rng.pick(UNICODE_EITHER)], 'id with NUL or lone surrogate'),
      bad(['file-1', 'a\tb'], 'second id with a tab'),
      bad('x', 'string'),
      bad(5, 'number'),
      bad({}, 'object'),
      bad([5], 'number id'),
      bad([null], 'null id'),
      bad([''], 'empty id'),
      bad([[]], 'nested array'),
      bad([true], 'boolean id'),
      bad(
        Array.from({ length: 11 }, (_, i) => `file-${i}`),
        'eleven',
      ),
      bad(['f'.repeat(129)], 'id of 129'),
    ]);
  }

  private metadataVariant(): L {
    const rng = this.rng;
    const many = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`key${i}`, `v${i}`]));
    return rng.pick([
      ok({}, 'empty'),
      ok(null, 'null'),
      ok({ k: this.okText() }, 'unicode value'),
      ok({ [firstCodePoints(this.okText(), 30)]: 'v' }, 'unicode key'),
      ok(many(16), '16 keys'),
      ok({ ['k'.repeat(64)]: 'v' }, 'key of 64'),
      ok({ k: 'v'.repeat(512) }, 'value of 512'),
      ok({ '': '' }, 'empty key and value'),
      ok({ ['😀'.repeat(64)]: 'v' }, 'key of 64 emoji (128 UTF-16 units, 64 characters)'),
      // Stored as sent, or refused; never silently dropped.
      anyOf({ constructor: 'x', toString: 'y', hasOwnProperty: 'z', valueOf: 'w' }, 'keys named like Object members'),
      anyOf({ toString: 'y', valueOf: 'w', isPrototypeOf: 'v' }, 'keys named like Object methods'),
      anyOf({ k: rng.pick(UNICODE_EITHER) }, 'value with NUL or lone surrogate'),
      anyOf({ [rng.pick(UNICODE_EITHER)]: 'v' }, 'key with NUL or lone surrogate'),
      bad('x', 'string'),
      bad(5, 'number'),
      bad(true, 'boolean'),
      bad([], 'array'),
      bad(['a'], 'array of string'),
      bad({ k: 5 }, 'number value'),
      bad({ k: null }, 'null value'),
      bad({ k: {} }, 'object value'),
      bad({ k: [] }, 'array value'),
      bad({ k: true }, 'boolean value'),
      bad(many(17), '17 keys'),
      bad({ ['k'.repeat(65)]: 'v' }, 'key of 65'),
      bad({ k: 'v'.repeat(513) }, 'value of 513'),
      bad({ ['😀'.repeat(65)]: 'v' }, 'key of 65 emoji (65 characters)'),
      bad({ k: new RawJson('1e309') }, 'overflow number'),
      bad({ k: new RawJson('-0') }, 'negative zero'),
      bad({ k: new RawJson('12345678901234567890') }, 'big integer'),
      bad(new RawJson('{"__proto__":{"x":"y"}}'), '__proto__ key'),
      bad(new RawJson(nest(40, false)), 'nested 40 deep'),
    ]);
  }

  private toolResourcesVariant(): L {
    const rng = this.rng;
    const ids = (n: number) => Array.from({ length: n }, (_, i) => `file-${i}`);
    return rng.pick([
      ok(null, 'null'),
      ok({}, 'empty'),
      ok({ code_interpreter: {} }, 'empty code_interpreter'),
      ok({ code_interpreter: { file_ids: [] } }, 'no files'),
      ok({ code_interpreter: { file_ids: ids(20) } }, '20 files'),
      ok({ file_search: { vector_store_ids: ['vs_1'] } }, 'one vector store'),
      ok({ file_search: {} }, 'empty file_search'),
      ok({ code_interpreter: null }, 'null code_interpreter'),
      ok({ code_interpreter: { file_ids: null } }, 'null file_ids'),
      ok({ code_interpreter: { file_ids: ['a'] }, file_search: { vector_store_ids: [] } }, 'both'),
      bad({ code_interpreter: { file_ids: [''] } }, 'empty file id'),
      bad({ file_search: { vector_store_ids: [rng.pick(UNICODE_EITHER)] } }, 'vector store id with NUL or lone surrogate'),
      bad('x', 'string'),
      bad(5, 'number'),
      bad([], 'array'),
      bad({ code_interpreter: 5 }, 'number code_interpreter'),
      bad({ code_interpreter: [] }, 'array code_interpreter'),
      bad({ code_interpreter: { file_ids: 'x' } }, 'string file_ids'),
      bad({ code_interpreter: { file_ids: [5] } }, 'number file id'),
      bad({ code_interpreter: { file_ids: [[]] } }, 'nested array file id'),
      bad({ code_interpreter: { file_ids: ids(21) } }, '21 files'),
      bad({ file_search: { vector_store_ids: ['a', 'b'] } }, 'two vector stores'),
      bad({ unknown: {} }, 'unknown resource'),
      bad({ code_interpreter: { file_ids: [], extra: 1 } }, 'extra field'),
      bad({ code_interpreter: { file_ids: ['x'.repeat(129)] } }, 'file id of 129'),
      bad({ code_interpreter: { vector_store_ids: [] } }, 'wrong field'),
    ]);
  }

  private messagesVariant(shape: Shape): L {
    const rng = this.rng;
    const small = () => ({ role: 'user', content: 'm' });
    const r = rng.next();
    if (r < 0.15) {
      const invalid = this.object(this.messageFields(shape), 3);
      return { v: [this.validMessage(shape), invalid.v], e: invalid.e, why: `second message: ${invalid.why}` };
    }
    return rng.pick([
      ok(null, 'null'),
      ok([], 'empty'),
      ok([this.validMessage(shape)], 'one'),
      ok(Array.from({ length: 100 }, small), '100 messages'),
      anyOf([{ role: 'user', content: rng.pick(UNICODE_EITHER) }], 'message content with NUL or lone surrogate'),
      anyOf([{ role: 'user', content: 'x', metadata: { k: rng.pick(UNICODE_EITHER) } }], 'message metadata with NUL or lone surrogate'),
      bad(Array.from({ length: 101 }, small), '101 messages'),
      bad('x', 'string'),
      bad(5, 'number'),
      bad({}, 'object'),
      bad({ 0: small() }, 'object with index keys'),
      bad(true, 'boolean'),
      bad([5], 'number item'),
      bad([null], 'null item'),
      bad(['x'], 'string item'),
      bad([[]], 'nested empty array item'),
      bad([[small()]], 'nested array of messages'),
      bad([{}], 'empty message'),
    ]);
  }

  // ---- transport: how the body bytes are sent ----

  private transport(b: Builder, value: unknown, kind: RouteName): { body?: Buffer; chunked: boolean; empty: boolean; effective?: unknown } {
    const rng = this.rng;
    const text = toJson(value);
    const limit = this.options.bodyLimitBytes;
    const json = (t: string) => Buffer.from(t, 'utf8');
    const parse = (t: string) => {
      try {
        return JSON.parse(t) as unknown;
      } catch {
        return undefined;
      }
    };
    const sized = (bytes: Buffer, ctOk: boolean, inflatedBytes = bytes.length) => {
      if (ctOk && inflatedBytes > limit) {
        b.expect('reject', `body of ${inflatedBytes} bytes over the limit`, 'transport');
        b.status ??= 413;
      }
    };
    const contentType = (value: string | undefined) => {
      if (value !== undefined) b.headers['Content-Type'] = value;
    };
    const r = rng.next();
    if (r < 0.7) {
      const body = json(text);
      contentType(rng.pick(['application/json', 'application/json', 'application/json; charset=utf-8', 'Application/JSON', 'application/json;charset=UTF-8']));
      sized(body, true);
      return { body, chunked: false, empty: false, effective: parse(text) };
    }
    const mode = rng.weighted({
      badType: 12,
      badCharset: 4,
      noBody: 4,
      emptyLength: 4,
      chunked: 6,
      gzip: 5,
      gzipBad: 2,
      gzipBomb: 1,
      unknownEncoding: 2,
      truncated: 8,
      garbage: 8,
      whitespace: 4,
      bom: 2,
      rawControl: 4,
      invalidUtf8: 4,
      topLevel: 8,
      oversize: 3,
      dupContentType: 2,
    });
    b.notes.push(`transport ${mode}`);
    switch (mode) {
      case 'badType': {
        const type = rng.pick([
          'text/plain',
          'application/x-www-form-urlencoded',
          'multipart/form-data; boundary=x',
          'application/xml',
          'application/vnd.api+json',
          'application/merge-patch+json',
          'json',
          '',
          undefined,
        ]);
        contentType(type);
        b.expect('reject', `Content-Type ${JSON.stringify(type)}`, 'transport');
        if (type) b.status ??= 415;
        return { body: json(text), chunked: false, empty: false };
      }
      case 'badCharset': {
        // JSON has no charset parameter (RFC 8259): ignoring it or refusing the body are both fine.
        const charset = rng.pick(['latin1', 'iso-8859-1', 'utf-16', 'utf-32', 'ebcdic', 'x']);
        contentType(`application/json; charset=${charset}`);
        b.expect('either', `charset ${charset}`);
        return { body: json(text), chunked: false, empty: false };
      }
      case 'noBody': {
        if (rng.chance(0.5)) contentType('application/json');
        // With Expect: 100-continue, Node's client sends its headers before it knows there is no body, so the
        // request goes with an empty chunked body; without a content type the service may take it or refuse it (415).
        const header = (name: string) => Object.keys(b.headers).some((key) => key.toLowerCase() === name);
        if (header('expect') && !header('content-type')) b.expect('either', 'an empty chunked body without a content type', 'transport');
        return { body: undefined, chunked: false, empty: true, effective: {} };
      }
      case 'emptyLength':
        contentType('application/json');
        return { body: Buffer.alloc(0), chunked: false, empty: true, effective: {} };
      case 'chunked': {
        contentType('application/json');
        const body = json(text);
        sized(body, true);
        return { body, chunked: true, empty: false, effective: parse(text) };
      }
      case 'gzip': {
        // Compressed request bodies may be supported (2xx) or refused (415/400); never a 5xx.
        contentType('application/json');
        const encoding = rng.pick(['gzip', 'deflate', 'br', 'identity']);
        b.headers['Content-Encoding'] = encoding;
        const raw = json(text);
        const body = encoding === 'gzip' ? gzipSync(raw) : encoding === 'deflate' ? deflateSync(raw) : encoding === 'br' ? brotliCompressSync(raw) : raw;
        sized(body, true, raw.length);
        if (encoding !== 'identity') {
          b.status = undefined;
          b.expect('either', `Content-Encoding ${encoding}`);
        }
        return { body, chunked: false, empty: false, effective: parse(text) };
      }
      case 'gzipBad':
        contentType('application/json');
        b.headers['Content-Encoding'] = rng.pick(['gzip', 'deflate', 'br']);
        b.expect('either', 'compressed header, plain body');
        return { body: json(text), chunked: false, empty: false, effective: parse(text) };
      case 'gzipBomb': {
        contentType('application/json');
        b.headers['Content-Encoding'] = 'gzip';
        b.expect('reject', 'inflates over the limit', 'transport');
        return { body: gzipSync(Buffer.from(`{"metadata":{}}${' '.repeat(limit + 1024)}`)), chunked: false, empty: false };
      }
      case 'unknownEncoding':
        contentType('application/json');
        b.headers['Content-Encoding'] = rng.pick(['compress', 'zstd', 'x-custom', 'gzip, gzip']);
        b.expect('either', 'unknown Content-Encoding');
        return { body: json(text), chunked: false, empty: false, effective: parse(text) };
      case 'truncated': {
        contentType('application/json');
        const cut = text.length <= 1 ? 0 : 1 + rng.int(text.length - 1);
        b.expect('reject', `JSON cut at ${cut}`, 'transport');
        return { body: json(text.slice(0, cut)), chunked: false, empty: false };
      }
      case 'garbage': {
        contentType('application/json');
        const broken = rng.pick([
          () => `${text}}`,
          () => `${text}x`,
          () => `${text},`,
          () => `${text}${text}`,
          () => text.replace(/"/g, "'") + (text.includes('"') ? '' : "'"),
          () => `/*c*/${text}`,
          () => `${text.slice(0, -1)},}`,
          () => text.replace(/:/, ' '),
          () => `{${text}}`,
          () => 'NaN',
          () => 'undefined',
          () => '{"a":01}',
          () => '{"a":.5}',
          () => '{"a":"\\x41"}',
          () => '{"a":"\\u12"}',
          () => '{a:1}',
          () => `\u0000${text}`,
        ])();
        if (parse(broken) !== undefined) {
          // Still valid JSON by accident (e.g. `{}` into `{}` wrapping): treat as the parsed value.
          b.expect('either', 'garbage that parses');
          return { body: json(broken), chunked: false, empty: false, effective: parse(broken) };
        }
        b.expect('reject', 'malformed JSON', 'transport');
        return { body: json(broken), chunked: false, empty: false };
      }
      case 'whitespace': {
        contentType('application/json');
        const padded = `${rng.pick([' ', '\n', '\t', '\r\n'])}${text}${rng.pick([' ', '\n\n', '\t'])}`;
        const body = json(padded);
        sized(body, true);
        return { body, chunked: false, empty: false, effective: parse(text) };
      }
      case 'bom':
        contentType('application/json');
        b.expect('either', 'byte order mark');
        return { body: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), json(text)]), chunked: false, empty: false, effective: parse(text) };
      case 'rawControl': {
        contentType('application/json');
        const byte = rng.pick([0x00, 0x01, 0x08, 0x0b, 0x1f]);
        const inString = `{"metadata":{"k":"a${String.fromCharCode(byte)}b"}}`;
        b.expect('reject', `raw control byte 0x${byte.toString(16)}`, 'transport');
        return { body: json(rng.chance(0.5) ? inString : `{${String.fromCharCode(byte)}}`), chunked: false, empty: false };
      }
      case 'invalidUtf8': {
        contentType('application/json');
        const bytes = rng.pick([[0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xe2, 0x82], [0x80]]);
        const field = kind === 'createMessage' ? '{"role":"user","content":"' : '{"metadata":{"k":"';
        const tail = kind === 'createMessage' ? '"}' : '"}}';
        b.expect('either', 'invalid UTF-8 in a string');
        return { body: Buffer.concat([Buffer.from(field), Buffer.from(bytes), Buffer.from(tail)]), chunked: false, empty: false };
      }
      case 'topLevel': {
        contentType('application/json');
        const top = rng.pick(['null', '[]', '"string"', '5', 'true', '[{"role":"user","content":"x"}]', '-0', '1e309']);
        b.expect('reject', `top-level ${top}`, 'transport');
        return { body: json(top), chunked: false, empty: false };
      }
      case 'oversize': {
        contentType('application/json');
        const body = json(`${text}${' '.repeat(limit + 1 - Buffer.byteLength(text) + rng.int(4096))}`);
        b.expect('reject', `padded to ${body.length} bytes`, 'transport');
        b.status ??= 413;
        return { body, chunked: rng.chance(0.3), empty: false };
      }
      case 'dupContentType': {
        b.headers['Content-Type'] = rng.chance(0.5) ? ['application/json', 'text/plain'] : ['text/plain', 'application/json'];
        b.expect('either', 'two Content-Type headers');
        const body = json(text);
        sized(body, true);
        return { body, chunked: false, empty: false, effective: parse(text) };
      }
    }
  }

  /** A body on a route that takes none: ignored when it is JSON, refused when it is not. */
  private bodyOnBodylessRoute(b: Builder, method: string): { body: Buffer } {
    const rng = this.rng;
    const [text, type, e, note] = rng.pick<[string, string, Expect, string]>([
      ['{}', 'application/json', 'ok', 'empty object'],
      ['[]', 'application/json', 'ok', 'empty array'],
      ['{"x":1}', 'application/json', 'ok', 'ignored object'],
      ['', 'application/json', 'ok', 'empty body'],
      ['null', 'application/json', 'reject', 'null'],
      ['"s"', 'application/json', 'reject', 'string'],
      ['{', 'application/json', 'reject', 'malformed'],
      [nest(100, true), 'application/json', 'reject', 'nested 100 deep'],
      ['{"__proto__":{}}', 'application/json', 'reject', '__proto__'],
      ['{"a":1}', 'text/plain', 'reject', 'text/plain'],
    ]);
    b.headers['Content-Type'] = type;
    // A GET body has no meaning (RFC 9110): ignoring it or refusing it are both fine.
    b.expect(method === 'GET' ? (e === 'ok' ? 'ok' : 'either') : e, `body on a bodyless route: ${note}`);
    return { body: Buffer.from(text) };
  }
}

interface Field {
  name: string;
  required: boolean;
  /** Present in the DTO but refused in this version (e.g. `attachments` in v1). */
  forbidden?: boolean;
  forbiddenValues?: unknown[];
  valid(): unknown;
  variant(): L;
}

function nest(depth: number, arrays: boolean): string {
  return arrays ? '['.repeat(depth) + ']'.repeat(depth) : '{"a":'.repeat(depth) + '"x"' + '}'.repeat(depth);
}
