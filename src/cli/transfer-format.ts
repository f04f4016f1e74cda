import { isWellFormedId } from '../common/ids';
import { metadataProblem } from '../common/metadata/is-metadata';
import { MessageRecord } from '../messages/message.entity';
import { ThreadRecord } from '../threads/threads.repository';

/**
 * The export format, JSON Lines: each thread as one line, followed by its messages in their order,
 * one line each. Every field of the API objects (v2 shapes), times in Unix seconds:
 *
 *   {"object":"thread","id":"thread_...","created_at":1700000000,"metadata":{},"tool_resources":{}}
 *   {"object":"thread.message","id":"msg_...","thread_id":"thread_...","created_at":1700000000,"role":"user",
 *    "content":[...],"attachments":[],"assistant_id":null,"run_id":null,"status":"completed",
 *    "incomplete_details":null,"completed_at":1700000000,"incomplete_at":null,"metadata":{}}
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
    metadata: message.metadata,
  };
}

export class LineError extends Error {}

const isTime = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;
const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** A parsed line as a thread or a message record, or a LineError saying what is wrong with it. */
export function parseLine(text: string): { kind: 'thread'; thread: ThreadRecord } | { kind: 'message'; message: MessageRecord } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new LineError('not a JSON object');
  }
  if (!isObject(value)) throw new LineError('not a JSON object');
  if (!isWellFormedId(value.id)) throw new LineError("'id' is not a well-formed id");
  if (!isTime(value.created_at)) throw new LineError("'created_at' is not a Unix time");
  const metadata = value.metadata ?? {};
  const problem = metadataProblem(metadata, 'metadata');
  if (problem) throw new LineError(problem.message);
  if (value.object === 'thread') {
    if (!isObject(value.tool_resources ?? {})) throw new LineError("'tool_resources' is not an object");
    return {
      kind: 'thread',
      thread: {
        id: value.id,
        createdAt: value.created_at,
        metadata: metadata as Record<string, string>,
        toolResources: (value.tool_resources ?? {}) as ThreadRecord['toolResources'],
      },
    };
  }
  if (value.object !== 'thread.message') throw new LineError("'object' is neither 'thread' nor 'thread.message'");
  if (!isWellFormedId(value.thread_id)) throw new LineError("'thread_id' is not a well-formed id");
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
  const nullableId = (name: string): string | null => {
    const id = value[name] ?? null;
    if (id !== null && !isWellFormedId(id)) throw new LineError(`'${name}' is not a well-formed id`);
    return id as string | null;
  };
  const details = value.incomplete_details ?? null;
  if (details !== null && !isObject(details)) throw new LineError("'incomplete_details' is not an object");
  return {
    kind: 'message',
    message: {
      id: value.id,
      threadId: value.thread_id,
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
