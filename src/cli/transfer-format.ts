import { parsed } from '../common/http/raw-json';
import { isWellFormedId } from '../common/ids';
import { metadataProblem } from '../common/metadata/is-metadata';
import { FileRecord } from '../files/file.entity';
import { filenameProblem, MIME_TYPE } from '../files/multipart';
import { MessageRecord } from '../messages/message.entity';
import { ThreadRecord } from '../threads/threads.repository';

/**
 * The export format, JSON Lines: a first line naming the format, then each thread as one line,
 * followed by its messages in their order, one line each, and a `thread_end` line with their count
 * (a thread cut short lacks it). Every field of the API objects (v2 shapes), times in Unix seconds:
 *
 *   {"object":"export","format":2}
 *   {"object":"thread","id":"thread_...","created_at":1700000000,"metadata":{},"tool_resources":{}}
 *   {"object":"thread.message","id":"msg_...","thread_id":"thread_...","created_at":1700000000,"role":"user",
 *    "content":[...],"attachments":[],"assistant_id":null,"run_id":null,"status":"completed",
 *    "incomplete_details":null,"completed_at":1700000000,"incomplete_at":null,"metadata":{}}
 *   {"object":"thread_end","thread_id":"thread_...","messages":1}
 *
 * A file without the first line (an earlier version's) has no `thread_end` lines: there a thread's
 * messages end where the next thread or file begins.
 *
 * Files come before the threads that name them: each as its file object (with its content type), its
 * bytes in base64 in `file_chunk` lines of FILE_CHUNK_BYTES (the last one shorter, none for an empty
 * file), then a `file_end` line with the SHA-256 of the bytes. The digest closes the file rather than
 * opening it so that an export reads each file once, as a stream; a file cut short lacks its end line.
 *
 *   {"object":"file","id":"file-...","filename":"a.pdf","purpose":"assistants","bytes":300000,"created_at":1700000000,
 *    "expires_at":null,"status":"processed","content_type":"application/pdf"}
 *   {"object":"file_chunk","file_id":"file-...","offset":0,"data":"JVBERi0..."}
 *   {"object":"file_chunk","file_id":"file-...","offset":262144,"data":"..."}
 *   {"object":"file_end","file_id":"file-...","sha256":"9f86d081..."}
 */
export interface ThreadLine {
  object: 'thread';
  id: string;
  created_at: number;
  metadata: Record<string, string>;
  tool_resources: ThreadRecord['toolResources'];
}

export interface MessageLine {
  object: 'thread.message';
  id: string;
  thread_id: string;
  created_at: number;
  role: MessageRecord['role'];
  content: MessageRecord['content'];
  attachments: MessageRecord['attachments'];
  assistant_id: string | null;
  run_id: string | null;
  status: MessageRecord['status'];
  incomplete_details: MessageRecord['incompleteDetails'];
  completed_at: number | null;
  incomplete_at: number | null;
  metadata: Record<string, string>;
}

/** The raw bytes of a file_chunk line an export writes (base64 makes a line about a third longer). */
export const FILE_CHUNK_BYTES = 256 * 1024;
/** The largest chunk an import takes: a line is held whole in memory while it is parsed. */
export const MAX_FILE_CHUNK_BYTES = 1024 * 1024;

export interface FileLine {
  object: 'file';
  id: string;
  filename: string;
  purpose: string;
  bytes: number;
  created_at: number;
  expires_at: number | null;
  status: 'processed';
  content_type: string;
}

export interface FileChunkLine {
  object: 'file_chunk';
  file_id: string;
  /** Where the chunk's bytes start in the file: chunks come in order, without gaps. */
  offset: number;
  /** Base64 (RFC 4648, with padding). */
  data: string;
}

export interface FileEndLine {
  object: 'file_end';
  file_id: string;
  /** SHA-256 of all the file's bytes, lowercase hex. */
  sha256: string;
}

export function fileLine(file: FileRecord): FileLine {
  return {
    object: 'file',
    id: file.id,
    filename: file.filename,
    purpose: file.purpose,
    bytes: file.bytes,
    created_at: file.createdAt,
    expires_at: file.expiresAt,
    status: 'processed',
    content_type: file.contentType,
  };
}

export const fileChunkLine = (fileId: string, offset: number, data: Buffer): FileChunkLine => ({
  object: 'file_chunk',
  file_id: fileId,
  offset,
  data: data.toString('base64'),
});

export const fileEndLine = (fileId: string, sha256: string): FileEndLine => ({ object: 'file_end', file_id: fileId, sha256 });

/** The format of a file whose threads each end with a `thread_end` line. */
export const EXPORT_FORMAT = 2;
export const headerLine = () => ({ object: 'export', format: EXPORT_FORMAT }) as const;
export const threadEndLine = (threadId: string, messages: number) => ({ object: 'thread_end', thread_id: threadId, messages }) as const;

export function threadLine(thread: ThreadRecord): ThreadLine {
  return { object: 'thread', id: thread.id, created_at: thread.createdAt, metadata: thread.metadata, tool_resources: thread.toolResources };
}

export function messageLine(message: MessageRecord): MessageLine {
  return {
    object: 'thread.message',
    id: message.id,
    thread_id: message.threadId,
    created_at: message.createdAt,
    role: message.role,
    content: message.content,
    attachments: message.attachments,
    assistant_id: message.assistantId,
    run_id: message.runId,
    status: message.status,
    incomplete_details: message.incompleteDetails,
    completed_at: message.completedAt,
    incomplete_at: message.incompleteAt,
    metadata: parsed(message.metadata),
  };
}

export class LineError extends Error {}

const UNKNOWN_OBJECT = "'object' is none of 'export', 'thread', 'thread.message', 'thread_end', 'file', 'file_chunk', 'file_end'";

/** The longest id the tables keep (a client may name up to 128 characters, which then name nothing stored). */
export const STORED_ID_MAX_LENGTH = 64;

/** The id in a line's `field`, when the store can keep it: well formed, and within the columns' length. */
function storedId(line: Record<string, unknown>, field: string): string {
  const id = line[field];
  if (!isWellFormedId(id) || id.length > STORED_ID_MAX_LENGTH) {
    throw new LineError(`'${field}' is not a well-formed id of at most ${STORED_ID_MAX_LENGTH} characters`);
  }
  return id;
}

const isTime = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;
const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

export type FileParts =
  | { kind: 'file'; file: FileRecord }
  | { kind: 'file_chunk'; fileId: string; offset: number; data: Buffer }
  | { kind: 'file_end'; fileId: string; sha256: string };

export type ParsedLine =
  | { kind: 'header'; format: number }
  | { kind: 'thread'; thread: ThreadRecord }
  | { kind: 'message'; message: MessageRecord }
  | { kind: 'thread_end'; threadId: string; messages: number }
  | FileParts;

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
/** Lowercase words joined by dashes or underscores, as OpenAI's purposes are; at most 32 characters, as the column. */
const PURPOSE = /^[a-z][a-z0-9_-]{0,31}$/;

function parseFileLine(value: Record<string, unknown>): FileParts {
  const id = storedId(value, value.object === 'file' ? 'id' : 'file_id');
  if (value.object === 'file_chunk') {
    if (!Number.isSafeInteger(value.offset) || (value.offset as number) < 0) throw new LineError("'offset' is not a byte offset");
    const data = value.data;
    if (typeof data !== 'string' || data.length % 4 !== 0 || !BASE64.test(data)) throw new LineError("'data' is not base64");
    if (data.length > (MAX_FILE_CHUNK_BYTES / 3) * 4) throw new LineError(`'data' holds more than ${MAX_FILE_CHUNK_BYTES} bytes`);
    const bytes = Buffer.from(data, 'base64');
    // Node's decoder skips what it cannot read: only a canonical encoding reads back the same.
    if (bytes.toString('base64') !== data) throw new LineError("'data' is not base64");
    return { kind: 'file_chunk', fileId: id, offset: value.offset as number, data: bytes };
  }
  if (value.object === 'file_end') {
    if (typeof value.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(value.sha256)) throw new LineError("'sha256' is not a SHA-256 in lowercase hex");
    return { kind: 'file_end', fileId: id, sha256: value.sha256 };
  }
  if (typeof value.filename !== 'string' || filenameProblem(value.filename)) throw new LineError("'filename' is not a file name");
  // The purposes of this service, and the others an endpoint may show (assistants_output, batch_output, fine-tune-results).
  if (typeof value.purpose !== 'string' || !PURPOSE.test(value.purpose)) throw new LineError("'purpose' is not a file purpose");
  if (!Number.isSafeInteger(value.bytes) || (value.bytes as number) < 0) throw new LineError("'bytes' is not a byte count");
  if (!isTime(value.created_at)) throw new LineError("'created_at' is not a Unix time");
  const expiresAt = value.expires_at ?? null;
  if (expiresAt !== null && !isTime(expiresAt)) throw new LineError("'expires_at' is not a Unix time");
  const contentType = value.content_type ?? 'application/octet-stream';
  if (typeof contentType !== 'string' || !MIME_TYPE.test(contentType)) throw new LineError("'content_type' is not a media type");
  return {
    kind: 'file',
    file: {
      id,
      filename: value.filename,
      purpose: value.purpose as FileRecord['purpose'],
      bytes: value.bytes as number,
      createdAt: value.created_at,
      expiresAt: expiresAt as number | null,
      contentType,
    },
  };
}

/** A parsed line as a thread, a message or a part of a file, or a LineError saying what is wrong with it. */
export function parseLine(text: string): ParsedLine {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new LineError('not a JSON object');
  }
  if (!isObject(value)) throw new LineError('not a JSON object');
  if (value.object === 'file' || value.object === 'file_chunk' || value.object === 'file_end') return parseFileLine(value);
  if (value.object === 'export') {
    if (value.format !== EXPORT_FORMAT) throw new LineError(`'format' is not ${EXPORT_FORMAT}, the format this version reads`);
    return { kind: 'header', format: EXPORT_FORMAT };
  }
  if (value.object === 'thread_end') {
    const threadId = storedId(value, 'thread_id');
    if (!Number.isSafeInteger(value.messages) || (value.messages as number) < 0) throw new LineError("'messages' is not a count");
    return { kind: 'thread_end', threadId, messages: value.messages as number };
  }
  if (value.object !== 'thread' && value.object !== 'thread.message') throw new LineError(UNKNOWN_OBJECT);
  const id = storedId(value, 'id');
  if (!isTime(value.created_at)) throw new LineError("'created_at' is not a Unix time");
  const metadata = value.metadata ?? {};
  const problem = metadataProblem(metadata, 'metadata');
  if (problem) throw new LineError(problem.message);
  if (value.object === 'thread') {
    if (!isObject(value.tool_resources ?? {})) throw new LineError("'tool_resources' is not an object");
    return {
      kind: 'thread',
      thread: {
        id,
        createdAt: value.created_at,
        metadata: metadata as Record<string, string>,
        toolResources: (value.tool_resources ?? {}) as ThreadRecord['toolResources'],
      },
    };
  }
  const threadId = storedId(value, 'thread_id');
  if (value.role !== 'user' && value.role !== 'assistant') throw new LineError("'role' is neither 'user' nor 'assistant'");
  if (!Array.isArray(value.content)) throw new LineError("'content' is not an array");
  if (!Array.isArray(value.attachments ?? [])) throw new LineError("'attachments' is not an array");
  const status = value.status ?? 'completed';
  if (status !== 'completed' && status !== 'in_progress' && status !== 'incomplete') throw new LineError("'status' is not a message status");
  const nullableTime = (name: string): number | null => {
    const time = value[name] ?? null;
    if (time !== null && !isTime(time)) throw new LineError(`'${name}' is not a Unix time`);
    return time as number | null;
  };
  const nullableId = (name: string): string | null => ((value[name] ?? null) === null ? null : storedId(value, name));
  const details = value.incomplete_details ?? null;
  if (details !== null && !isObject(details)) throw new LineError("'incomplete_details' is not an object");
  return {
    kind: 'message',
    message: {
      id,
      threadId,
      createdAt: value.created_at,
      role: value.role,
      content: value.content as MessageRecord['content'],
      attachments: (value.attachments ?? []) as MessageRecord['attachments'],
      assistantId: nullableId('assistant_id'),
      runId: nullableId('run_id'),
      status,
      incompleteDetails: details as MessageRecord['incompleteDetails'],
      completedAt: nullableTime('completed_at'),
      incompleteAt: nullableTime('incomplete_at'),
      metadata: metadata as Record<string, string>,
    },
  };
}
