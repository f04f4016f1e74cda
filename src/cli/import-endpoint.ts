import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import OpenAI, { APIConnectionError, APIError, AuthenticationError, AzureOpenAI } from 'openai';
import { CursorPage } from 'openai/pagination';
import type { Thread } from 'openai/resources/beta/threads/threads';
import type { Message } from 'openai/resources/beta/threads/messages';
import { Queryable } from '../database/sql';
import { MIME_TYPE } from '../files/multipart';
import { TransferRepository } from '../threads/transfer.repository';
import { emptySummary, FileStore, importFile, ImportSummary, Wording } from './import-file';
import { Progress } from './progress';
import { FILE_CHUNK_BYTES, fileChunkLine, fileEndLine } from './transfer-format';

export type Dialect = 'openai' | 'azure';

/** An endpoint that speaks the Assistants API: the OpenAI API, an Azure OpenAI resource, another instance of this service. */
export interface Endpoint {
  /** openai: the base URL (`https://api.openai.com/v1`); azure: the resource's endpoint (`https://NAME.openai.azure.com`). */
  url: string;
  dialect: Dialect;
  /** azure only. */
  apiVersion?: string;
  key: string;
  /** Retries of a request answered 408, 409, 429 or 5xx, or lost on the network. */
  retries: number;
}

/** Long enough for a page of 100 large messages; a connection that hangs is abandoned, and retried. */
const REQUEST_TIMEOUT_MS = 120_000;
/** The largest page the Assistants API serves. */
const PAGE = 100;

/**
 * The official SDK's client for the endpoint. Its retries are the import's: exponential backoff from
 * half a second up to 8 seconds with jitter, or the wait the endpoint asks for (`Retry-After`,
 * `retry-after-ms`), on 408, 409, 429, 5xx and network errors.
 */
export function endpointClient(endpoint: Endpoint): OpenAI {
  const common = { apiKey: endpoint.key, maxRetries: endpoint.retries, timeout: REQUEST_TIMEOUT_MS };
  // baseURL null: the endpoint alone decides, whatever OPENAI_BASE_URL the environment holds.
  if (endpoint.dialect === 'azure') return new AzureOpenAI({ endpoint: endpoint.url, baseURL: null, apiVersion: endpoint.apiVersion, ...common });
  return new OpenAI({ baseURL: endpoint.url, ...common });
}

/** The endpoint has no thread list (the OpenAI and Azure OpenAI APIs have none; this service does). */
export class CannotListThreads extends Error {}

/**
 * The ids of every thread of the key, oldest first, through `GET /threads` (our extension), page by
 * page. The first page tells whether the endpoint can list threads at all.
 */
export async function* listedThreadIds(client: OpenAI, url: string): AsyncGenerator<string> {
  const pages = client.getAPIList<Thread, CursorPage<Thread>>('/threads', CursorPage<Thread>, {
    query: { limit: PAGE, order: 'asc' },
    headers: { 'OpenAI-Beta': 'assistants=v2' },
  });
  let first = true;
  try {
    for await (const thread of pages) {
      first = false;
      yield thread.id;
    }
  } catch (error) {
    if (first && error instanceof APIError && (error.status === 404 || error.status === 405))
      throw new CannotListThreads(
        `${url} cannot list threads (GET /threads answered ${error.message}): the OpenAI and Azure OpenAI APIs have no thread ` +
          'list; name the threads to import in a file, one id a line, and pass it with --threads FILE',
      );
    throw error;
  }
}

async function write(out: NodeJS.WritableStream, value: unknown): Promise<void> {
  if (!out.write(JSON.stringify(value) + '\n')) await once(out, 'drain');
}

/** A thread read from an endpoint is written to its file as the thread's line, then one line a message. */
const ENDPOINT_WORDING: Wording = { source: 'the source', at: (line) => (line === 1 ? 'the thread' : `message ${line - 1}`) };

/** A reason to fail one thread: what the endpoint answered. */
class SourceProblem extends Error {}

/** The files the source's spool of a thread is read into are imported with this wording: line 1 is a file object. */
const FILES_WORDING: Wording = { source: 'the source', at: (line) => `line ${line} of the files read` };

/** The file ids a thread (its code interpreter's) and a message (attachments, image_file parts) name, as the source gives them. */
function threadFileIds(thread: Thread, into: Set<string>): void {
  for (const id of thread.tool_resources?.code_interpreter?.file_ids ?? []) if (typeof id === 'string') into.add(id);
}

function messageFileIds(message: Message, into: Set<string>): void {
  for (const attachment of message.attachments ?? []) if (typeof attachment?.file_id === 'string') into.add(attachment.file_id);
  for (const part of Array.isArray(message.content) ? message.content : [])
    if (part?.type === 'image_file' && typeof part.image_file?.file_id === 'string') into.add(part.image_file.file_id);
}

/**
 * The thread and all its messages, oldest first, as the endpoint gives them, written to `file` in the
 * export format (the v2 objects are that format's lines). Returns the number of messages, and the ids
 * of the files they name.
 */
export async function readThread(client: OpenAI, threadId: string, file: string): Promise<{ messages: number; fileIds: Set<string> }> {
  const thread = await client.beta.threads.retrieve(threadId);
  if (thread.id !== threadId) throw new SourceProblem(`the source answered thread ${String(thread.id).slice(0, 80)} for ${threadId}`);
  const out = createWriteStream(file);
  const closed = finished(out);
  let messages = 0;
  const fileIds = new Set<string>();
  threadFileIds(thread, fileIds);
  try {
    await write(out, thread);
    for await (const message of client.beta.threads.messages.list(threadId, { order: 'asc', limit: PAGE })) {
      await write(out, message);
      messageFileIds(message, fileIds);
      messages++;
    }
  } finally {
    out.end();
    await closed;
  }
  return { messages, fileIds };
}

/**
 * A file as the endpoint gives it (GET /files/{id}, then its content, streamed) appended to `out` in the
 * export format; its content type is the download's. False when the source has no such file (404): the
 * messages keep naming it, as they would without the copy.
 */
export async function readFile(client: OpenAI, fileId: string, out: NodeJS.WritableStream): Promise<boolean> {
  let object: Awaited<ReturnType<OpenAI['files']['retrieve']>>;
  try {
    object = await client.files.retrieve(fileId);
  } catch (error) {
    if (error instanceof APIError && error.status === 404) return false;
    throw error;
  }
  if (object.id !== fileId) throw new SourceProblem(`the source answered file ${String(object.id).slice(0, 80)} for ${fileId}`);
  const response = await client.files.content(fileId);
  const type = (response.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
  await write(out, {
    object: 'file',
    id: object.id,
    filename: object.filename,
    purpose: object.purpose,
    bytes: object.bytes,
    created_at: object.created_at,
    expires_at: object.expires_at ?? null,
    status: 'processed',
    content_type: MIME_TYPE.test(type) ? type : 'application/octet-stream',
  });
  const hash = createHash('sha256');
  let offset = 0;
  let held = Buffer.alloc(0);
  const body = response.body as unknown as AsyncIterable<Uint8Array> | null;
  for await (const piece of body ?? []) {
    hash.update(piece);
    held = held.length === 0 ? Buffer.from(piece) : Buffer.concat([held, piece]);
    while (held.length >= FILE_CHUNK_BYTES) {
      await write(out, fileChunkLine(fileId, offset, held.subarray(0, FILE_CHUNK_BYTES)));
      offset += FILE_CHUNK_BYTES;
      held = held.subarray(FILE_CHUNK_BYTES);
    }
  }
  if (held.length > 0) await write(out, fileChunkLine(fileId, offset, held));
  await write(out, fileEndLine(fileId, hash.digest('hex')));
  return true;
}

/** The files of `ids` (each once) read from the source into `file`; those the source has not, and those that failed. */
async function readFiles(client: OpenAI, ids: string[], file: string, retries: number): Promise<{ read: number; failed: { file: string; reason: string }[] }> {
  const out = createWriteStream(file);
  const closed = finished(out);
  let read = 0;
  const failed: { file: string; reason: string }[] = [];
  try {
    for (const id of ids) {
      try {
        if (await readFile(client, id, out)) read++;
      } catch (error) {
        if (error instanceof AuthenticationError) throw error;
        // What was written of it has no end line: the import of the spool fails that file alone, and the reason here says why.
        failed.push({ file: id, reason: sourceFailure(error, retries) });
      }
    }
  } finally {
    out.end();
    await closed;
  }
  return { read, failed };
}

/** Why a thread could not be read, in words. */
export function sourceFailure(error: unknown, retries: number): string {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof APIConnectionError) return `the source could not be reached (${retries} retries): ${message}`;
  if (error instanceof APIError && error.status === 404) return `not found at the source (${message})`;
  if (error instanceof APIError && error.status !== undefined) {
    const retried = error.status === 408 || error.status === 409 || error.status === 429 || error.status >= 500;
    return `the source answered ${message}${retried ? ` (${retries} retries)` : ''}`;
  }
  return message;
}

export interface EndpointImport {
  endpoint: Endpoint;
  /** The threads to import; undefined: every thread the endpoint lists. */
  threadIds?: string[];
  concurrency: number;
  /** Where the files the threads name are copied to; without it, they are not. */
  files?: FileStore;
}

export interface EndpointSummary extends ImportSummary {
  /** Why the import stopped before the end (the listing failed, the key was refused), if it did. */
  stopped?: string;
}

/**
 * Reads each thread from the endpoint into a file of the export format and imports that file through
 * the file import (one transaction per thread, a thread already there verified and skipped), with
 * `concurrency` threads under way at a time. The transaction opens only once the whole thread has been
 * read: no connection waits on the network inside a transaction, and memory stays flat whatever the
 * size of a thread. A thread that cannot be read fails alone.
 */
export async function importFromEndpoint(
  repo: TransferRepository,
  transaction: <T>(work: (tx: Queryable) => Promise<T>) => Promise<T>,
  tenant: string,
  options: EndpointImport,
  progress: Progress,
): Promise<EndpointSummary> {
  const { endpoint } = options;
  const client = endpointClient(endpoint);
  const summary: EndpointSummary = emptySummary();
  const given = options.threadIds;
  const ids: AsyncGenerator<string> = given
    ? (async function* () {
        yield* given;
      })()
    : listedThreadIds(client, endpoint.url);
  const listing = options.threadIds === undefined;
  if (!listing) progress.setTotal(options.threadIds?.length ?? 0);
  // The first id is asked for before any work: an endpoint that cannot list threads fails the command here.
  let pending: IteratorResult<string> | undefined;
  try {
    pending = await ids.next();
  } catch (error) {
    if (error instanceof CannotListThreads) throw error;
    throw new Error(`listing the threads of ${endpoint.url} failed: ${sourceFailure(error, endpoint.retries)}`);
  }
  let found = 0;
  let exhausted = false;
  let fatal: { error: unknown } | undefined;
  const nextId = async (): Promise<string | undefined> => {
    if (summary.stopped !== undefined || exhausted || fatal) return undefined;
    let next = pending;
    pending = undefined;
    try {
      next ??= await ids.next();
    } catch (error) {
      summary.stopped ??= `listing the threads failed after ${found} of them: ${sourceFailure(error, endpoint.retries)}`;
      return undefined;
    }
    if (next.done) {
      if (!exhausted && listing) progress.setTotal(found);
      exhausted = true;
      return undefined;
    }
    found++;
    if (listing) progress.foundOne();
    return next.value;
  };
  const spool = await mkdtemp(join(tmpdir(), 'threads-import-'));
  /** Files read (or under way) by any worker: each is copied once. */
  const copied = new Set<string>();
  const worker = async (slot: number): Promise<void> => {
    const file = join(spool, `${slot}.jsonl`);
    const filesFile = join(spool, `${slot}-files.jsonl`);
    for (let id = await nextId(); id !== undefined; id = await nextId()) {
      let fileIds: Set<string>;
      try {
        ({ fileIds } = await readThread(client, id, file));
      } catch (error) {
        if (error instanceof AuthenticationError) summary.stopped ??= `the source refused the key: ${error.message}`;
        const reason = sourceFailure(error, endpoint.retries);
        summary.failed.push({ thread: id, reason });
        progress.thread('failed', 0, `failed ${id}: ${reason}`);
        continue;
      }
      const newFiles = [...fileIds].filter((fileId) => !copied.has(fileId));
      if (options.files && newFiles.length > 0) {
        for (const fileId of newFiles) copied.add(fileId);
        try {
          // The files first, each in its own transaction: a file comes before the threads that name it.
          const read = await readFiles(client, newFiles, filesFile, endpoint.retries);
          const files = (await importFile(repo, transaction, tenant, filesFile, () => undefined, FILES_WORDING, options.files)).files;
          const failedHere = new Map(read.failed.map((f) => [f.file, f.reason]));
          for (const f of files.failed) if (!failedHere.has(f.file)) failedHere.set(f.file, f.reason);
          summary.files.imported += files.imported;
          summary.files.bytes += files.bytes;
          summary.files.skipped += files.skipped;
          summary.files.expired += files.expired;
          for (const [fileId, reason] of failedHere) {
            summary.files.failed.push({ file: fileId, reason });
            progress.line(`failed ${fileId}: ${reason}`);
          }
        } catch (error) {
          if (error instanceof AuthenticationError) {
            summary.stopped ??= `the source refused the key: ${error.message}`;
            continue;
          }
          throw error;
        }
      }
      const one = await importFile(repo, transaction, tenant, file, () => undefined, ENDPOINT_WORDING);
      summary.threads += one.threads;
      summary.messages += one.messages;
      summary.skipped += one.skipped;
      summary.failed.push(...one.failed);
      if (one.failed.length > 0) progress.thread('failed', 0, one.failed.map((f) => `failed ${f.thread}: ${f.reason}`).join('\n'));
      else progress.thread(one.threads > 0 ? 'imported' : 'skipped', one.messages);
    }
  };
  try {
    // What fails a thread is caught above (reading it, its checks, its SQL errors); anything else (the database
    // gone) stops every worker, and then the command.
    const workers = Array.from({ length: options.concurrency }, (_, slot) => worker(slot).catch((error: unknown) => void (fatal ??= { error })));
    await Promise.all(workers);
    if (fatal) throw fatal.error;
  } finally {
    await ids.return(undefined);
    await rm(spool, { recursive: true, force: true });
    progress.finish();
  }
  return summary;
}
