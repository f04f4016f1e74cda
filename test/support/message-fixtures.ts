import type { Response, Test } from 'supertest';
import { KEY_A, TestApp } from './test-app';

/** Shared helpers of the message e2e files: one client per dialect and shape, and the assertions they share. */

export type Shape = 'v1' | 'v2';

export interface Flavor {
  label: string;
  dialect: 'openai' | 'azure';
  shape: Shape;
  /** The `OpenAI-Beta` header (absent: the default v2) or the Azure `api-version`. */
  version?: string;
}

export const OPENAI_V2: Flavor = { label: 'OpenAI v2 (no OpenAI-Beta header)', dialect: 'openai', shape: 'v2' };
export const OPENAI_V2_HEADER: Flavor = { label: 'OpenAI assistants=v2', dialect: 'openai', shape: 'v2', version: 'assistants=v2' };
export const OPENAI_V1: Flavor = { label: 'OpenAI assistants=v1', dialect: 'openai', shape: 'v1', version: 'assistants=v1' };
export const AZURE_V1: Flavor = { label: 'Azure 2024-02-15-preview', dialect: 'azure', shape: 'v1', version: '2024-02-15-preview' };
export const AZURE_V2: Flavor = { label: 'Azure 2024-08-01-preview', dialect: 'azure', shape: 'v2', version: '2024-08-01-preview' };

export const azure = (version: string, shape: Shape): Flavor => ({ label: `Azure ${version}`, dialect: 'azure', shape, version });

export const ALL_FLAVORS: Flavor[] = [OPENAI_V2, OPENAI_V1, AZURE_V1, AZURE_V2];
export const V1_FLAVORS: Flavor[] = [OPENAI_V1, AZURE_V1];
export const V2_FLAVORS: Flavor[] = [OPENAI_V2, AZURE_V2];

export type Query = Record<string, string | number | undefined>;
export type Json = Record<string, unknown>;

/** Requests in one dialect and shape, with one key. */
export class Client {
  constructor(
    private readonly t: Pick<TestApp, 'http'>,
    readonly flavor: Flavor,
    readonly key: string = KEY_A,
  ) {}

  as(key: string): Client {
    return new Client(this.t, this.flavor, key);
  }

  get shape(): Shape {
    return this.flavor.shape;
  }

  /** The request path (no query string) for a path below the dialect's base, e.g. `/threads/x`. */
  path(path: string): string {
    return `${this.flavor.dialect === 'azure' ? '/openai' : '/v1'}${path}`;
  }

  url(path: string, query: Query = {}): string {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(query)) if (value !== undefined) params.set(name, String(value));
    if (this.flavor.dialect === 'azure' && this.flavor.version) params.set('api-version', this.flavor.version);
    const search = params.toString();
    return `${this.path(path)}${search ? `?${search}` : ''}`;
  }

  headers(): Record<string, string> {
    if (this.flavor.dialect === 'azure') return { 'api-key': this.key };
    const headers: Record<string, string> = { Authorization: `Bearer ${this.key}` };
    if (this.flavor.version) headers['OpenAI-Beta'] = this.flavor.version;
    return headers;
  }

  get(path: string, query?: Query): Test {
    return this.t.http.get(this.url(path, query)).set(this.headers());
  }

  post(path: string, body?: unknown): Test {
    const request = this.t.http.post(this.url(path)).set(this.headers());
    return body === undefined ? request : request.send(body as object);
  }

  delete(path: string): Test {
    return this.t.http.delete(this.url(path)).set(this.headers());
  }

  async createThread(body: Json = {}): Promise<Json> {
    const res = await this.post('/threads', body);
    expectStatus(res, 200);
    return res.body as Json;
  }

  async newThreadId(body: Json = {}): Promise<string> {
    return (await this.createThread(body)).id as string;
  }

  async createMessage(threadId: string, body: Json): Promise<Json> {
    const res = await this.post(`/threads/${threadId}/messages`, body);
    expectStatus(res, 200);
    return res.body as Json;
  }

  async say(threadId: string, text: string, extra: Json = {}): Promise<Json> {
    return this.createMessage(threadId, { role: 'user', content: text, ...extra });
  }

  async list(threadId: string, query: Query = {}): Promise<ListBody> {
    const res = await this.get(`/threads/${threadId}/messages`, query);
    expectStatus(res, 200);
    return res.body as ListBody;
  }
}

export interface ListBody {
  object: string;
  data: Json[];
  first_id: string | null;
  last_id: string | null;
  has_more: boolean;
}

/** A status assertion whose failure shows the body. */
export function expectStatus(res: Response, status: number): void {
  if (res.status !== status) {
    throw new Error(`expected HTTP ${status}, got ${res.status}: ${JSON.stringify(res.body).slice(0, 600)}`);
  }
}

export const MESSAGE_ID = /^msg_[0-9A-Za-z]{24}$/;
export const THREAD_ID = /^thread_[0-9A-Za-z]{24}$/;

export const V1_MESSAGE_KEYS = [
  'assistant_id',
  'completed_at',
  'content',
  'created_at',
  'file_ids',
  'id',
  'incomplete_at',
  'incomplete_details',
  'metadata',
  'object',
  'role',
  'run_id',
  'status',
  'thread_id',
];
export const V2_MESSAGE_KEYS = [
  'assistant_id',
  'attachments',
  'completed_at',
  'content',
  'created_at',
  'id',
  'incomplete_at',
  'incomplete_details',
  'metadata',
  'object',
  'role',
  'run_id',
  'status',
  'thread_id',
];

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** created_at and friends: whole seconds, close to now. */
export function expectRecentSeconds(value: unknown): void {
  expect(Number.isInteger(value)).toBe(true);
  expect(Math.abs((value as number) - nowSeconds())).toBeLessThanOrEqual(120);
}

export interface ExpectedMessage {
  threadId: string;
  role?: 'user' | 'assistant';
  content?: unknown[];
  metadata?: Json;
  /** v2 */
  attachments?: unknown[];
  /** v1 */
  fileIds?: string[];
}

/** The message object of the shape, field by field. */
export function expectMessage(shape: Shape, message: Json, expected: ExpectedMessage): void {
  expect(Object.keys(message).sort()).toEqual(shape === 'v1' ? V1_MESSAGE_KEYS : V2_MESSAGE_KEYS);
  expect(message.id).toMatch(MESSAGE_ID);
  expect(message.object).toBe('thread.message');
  expectRecentSeconds(message.created_at);
  expect(message.thread_id).toBe(expected.threadId);
  expect(message.role).toBe(expected.role ?? 'user');
  if (expected.content) expect(message.content).toEqual(expected.content);
  expect(message.assistant_id).toBeNull();
  expect(message.run_id).toBeNull();
  expect(message.metadata).toEqual(expected.metadata ?? {});
  if (shape === 'v1') {
    expect(message.file_ids).toEqual(expected.fileIds ?? []);
  } else {
    expect(message.status).toBe('completed');
    expect(message.incomplete_details).toBeNull();
    expectRecentSeconds(message.completed_at);
    expect(message.completed_at as number).toBeGreaterThanOrEqual(message.created_at as number);
    expect(message.incomplete_at).toBeNull();
    expect(message.attachments).toEqual(expected.attachments ?? []);
  }
}

export const textPart = (value: string) => ({ type: 'text', text: { value, annotations: [] } });

/** The 404 envelope, exactly. */
export function expectNotFound(res: Response, message: string): void {
  expectStatus(res, 404);
  expect(res.body).toEqual({ error: { message, type: 'invalid_request_error', param: null, code: null } });
}

export const noThread = (id: string) => `No thread found with id '${id}'.`;
export const noMessage = (id: string) => `No message found with id '${id}'.`;

/** A 400 invalid_request_error envelope whose `param` names `field` (or a path below it). */
export function expectInvalid(res: Response, field: string): void {
  expectStatus(res, 400);
  expect(Object.keys(res.body as object)).toEqual(['error']);
  const error = (res.body as { error: Json }).error;
  expect(Object.keys(error).sort()).toEqual(['code', 'message', 'param', 'type']);
  expect(error.type).toBe('invalid_request_error');
  expect(typeof error.message).toBe('string');
  expect((error.message as string).length).toBeGreaterThan(0);
  expect(error.code === null || typeof error.code === 'string').toBe(true);
  const param = error.param as string;
  expect(typeof param).toBe('string');
  const names = param === field || param.startsWith(`${field}.`) || param.startsWith(`${field}[`);
  if (!names) throw new Error(`expected param '${field}' (or below it), got '${param}': ${error.message as string}`);
}

/** A random id in the form of a message id that no message has. */
export function unknownMessageId(): string {
  const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
  let id = 'msg_';
  for (let i = 0; i < 24; i++) id += alphabet[Math.floor(Math.random() * alphabet.length)];
  return id;
}

export function unknownThreadId(): string {
  return unknownMessageId().replace('msg_', 'thread_');
}

/** `count` metadata entries k0..k(count-1). */
export function metadataOf(count: number, value = 'v'): Record<string, string> {
  return Object.fromEntries(Array.from({ length: count }, (_, i) => [`k${i}`, value]));
}

/** Text values of a list page, in the order listed. */
export function texts(messages: Json[]): string[] {
  return messages.map((m) => (m.content as { text: { value: string } }[])[0].text.value);
}
