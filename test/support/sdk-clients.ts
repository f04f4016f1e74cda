import OpenAI, { APIError, AzureOpenAI } from 'openai';
import { V1_MESSAGE_KEYS, V2_MESSAGE_KEYS } from './message-fixtures';
import type { Message, MessageContent } from 'openai/resources/beta/threads/messages';
import type { Thread } from 'openai/resources/beta/threads/threads';
import type { Pool } from 'pg';

/** The v2 api-version the Azure client speaks in these tests, and a v1 one. */
export const AZURE_V2 = '2024-08-01-preview';
export const AZURE_V1 = '2024-02-15-preview';

/** Every request an SDK client sent, as seen by its `fetch`: method, URL and headers. */
export interface SentRequest {
  method: string;
  url: URL;
  headers: Headers;
}

/** A `fetch` for the SDK that records what it sends, so that tests can check the wire. */
export function recordingFetch(sent: SentRequest[]): typeof fetch {
  return (input, init) => {
    const request = new Request(input, init);
    sent.push({ method: request.method, url: new URL(request.url), headers: request.headers });
    return fetch(input, init);
  };
}

export function openAiClient(url: string, apiKey: string, sent?: SentRequest[]): OpenAI {
  return new OpenAI({ baseURL: `${url}/v1`, apiKey, maxRetries: 0, ...(sent ? { fetch: recordingFetch(sent) } : {}) });
}

export function azureClient(url: string, apiKey: string, apiVersion: string, sent?: SentRequest[]): AzureOpenAI {
  return new AzureOpenAI({ endpoint: url, apiKey, apiVersion, maxRetries: 0, ...(sent ? { fetch: recordingFetch(sent) } : {}) });
}

/** A message as the v1 editions (Azure 2024-02-15/03-01/04-01-preview) return it: `file_ids`, no `attachments`/`status`. */
export interface MessageV1 {
  id: string;
  object: 'thread.message';
  created_at: number;
  thread_id: string;
  role: 'user' | 'assistant';
  content: MessageContent[];
  assistant_id: string | null;
  run_id: string | null;
  file_ids: string[];
  metadata: Record<string, string>;
}

/** A v1 message file (`GET /threads/{t}/messages/{m}/files`), a route the v6 SDK has no method for. */
export interface MessageFileV1 {
  id: string;
  object: 'thread.message.file';
  created_at: number;
  message_id: string;
}

export interface ListV1<T> {
  object: 'list';
  data: T[];
  first_id: string | null;
  last_id: string | null;
  has_more: boolean;
}

/** The SDK types only the v2 shapes; a v1 answer is read through this. */
export const asV1 = (message: Message): MessageV1 => message as unknown as MessageV1;

/** The text of a message whose content is one text part. */
export function textOf(message: Pick<Message, 'content'>): string {
  expect(message.content).toHaveLength(1);
  const part = message.content[0];
  if (part.type !== 'text') throw new Error(`expected a text part, got ${part.type}`);
  return part.text.value;
}

const ID = /^[A-Za-z0-9]{24}$/;

export function expectThreadId(id: string): void {
  expect(id.startsWith('thread_')).toBe(true);
  expect(id.slice('thread_'.length)).toMatch(ID);
}

export function expectMessageId(id: string): void {
  expect(id.startsWith('msg_')).toBe(true);
  expect(id.slice('msg_'.length)).toMatch(ID);
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

export function expectRecentTimestamp(seconds: number): void {
  expect(Number.isInteger(seconds)).toBe(true);
  expect(seconds).toBeGreaterThan(nowSeconds() - 600);
  expect(seconds).toBeLessThanOrEqual(nowSeconds() + 5);
}

/** A v2 thread: exactly these keys. */
export function expectThreadV2(thread: Thread): void {
  expectThreadId(thread.id);
  expect(thread.object).toBe('thread');
  expectRecentTimestamp(thread.created_at);
  expect(Object.keys(thread).sort()).toEqual(['created_at', 'id', 'metadata', 'object', 'tool_resources']);
}

/** A v1 thread: no `tool_resources`. */
export function expectThreadV1(thread: Thread): void {
  expectThreadId(thread.id);
  expect(thread.object).toBe('thread');
  expectRecentTimestamp(thread.created_at);
  expect(Object.keys(thread).sort()).toEqual(['created_at', 'id', 'metadata', 'object']);
}

/** A v2 message created through the API: completed, with attachments and status, no `file_ids`. */
export function expectMessageV2(message: Message, threadId: string): void {
  expectMessageId(message.id);
  expect(Object.keys(message).sort()).toEqual(V2_MESSAGE_KEYS);
  expect(message.object).toBe('thread.message');
  expect(message.thread_id).toBe(threadId);
  expectRecentTimestamp(message.created_at);
  expect(message.status).toBe('completed');
  expect(message.completed_at).toBe(message.created_at);
  expect(message.incomplete_at).toBeNull();
  expect(message.incomplete_details).toBeNull();
  expect(message.assistant_id).toBeNull();
  expect(message.run_id).toBeNull();
  expect(Array.isArray(message.attachments)).toBe(true);
}

/** A v1 message: `file_ids` and the v1 edition's status fields, no `attachments`. */
export function expectMessageV1(message: Message, threadId: string): void {
  const v1 = asV1(message);
  expectMessageId(v1.id);
  expect(Object.keys(v1).sort()).toEqual(V1_MESSAGE_KEYS);
  expect(v1.object).toBe('thread.message');
  expect(v1.thread_id).toBe(threadId);
  expectRecentTimestamp(v1.created_at);
  expect(v1.assistant_id).toBeNull();
  expect(v1.run_id).toBeNull();
  expect(Array.isArray(v1.file_ids)).toBe(true);
}

/** Awaits a call that must fail, and returns the SDK error after checking its class and status. */
export async function sdkError<E extends APIError>(call: Promise<unknown>, kind: abstract new (...args: never[]) => E, status: number): Promise<E> {
  let caught: unknown;
  try {
    await call;
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(kind);
  const error = caught as E;
  expect(error).toBeInstanceOf(APIError);
  expect(error.status).toBe(status);
  return error;
}

/** A metadata map with `n` keys. */
export function metadataWithKeys(n: number): Record<string, string> {
  return Object.fromEntries(Array.from({ length: n }, (_, i) => [`key${i}`, `value${i}`]));
}

/** The raw list envelope of a list call (the SDK's page hides `first_id`/`last_id`). */
export async function envelopeOf<T>(call: { asResponse(): Promise<Response> }): Promise<ListV1<T>> {
  const response = await call.asResponse();
  expect(response.status).toBe(200);
  return (await response.json()) as ListV1<T>;
}

/** The thread-create limit on `messages`. */
export const MAX_THREAD_MESSAGES = 100;

/**
 * A thread with `count` text messages `${prefix}0`, `${prefix}1`, ...: the first ones (up to 100) sent
 * with the thread, the rest one by one. String content only, so that it works in both editions.
 */
export async function threadWithMessages(client: OpenAI, count: number, prefix = 'm'): Promise<{ threadId: string; texts: string[] }> {
  const texts = Array.from({ length: count }, (_, i) => `${prefix}${i}`);
  const first = texts.slice(0, MAX_THREAD_MESSAGES);
  const thread = await client.beta.threads.create({ messages: first.map((content) => ({ role: 'user' as const, content })) });
  for (const content of texts.slice(MAX_THREAD_MESSAGES)) {
    await client.beta.threads.messages.create(thread.id, { role: 'user', content });
  }
  return { threadId: thread.id, texts };
}

/** The ids of a thread's messages in the order they were stored: the ground truth for list order. */
export async function storedMessageIds(db: Pool, threadId: string): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>('SELECT id FROM messages WHERE thread_id = $1 ORDER BY seq', [threadId]);
  return rows.map((row) => row.id);
}
