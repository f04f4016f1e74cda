import { Shape } from '../common/api-version/api-request';
import { parsed, Stored } from '../common/http/raw-json';
import { Metadata } from '../common/metadata/is-metadata';
import { MessageAttachment, MessageContentPart, MessageRecord, MessageRole, MessageStatus } from './message.entity';

export interface MessageObjectV2 {
  id: string;
  object: 'thread.message';
  created_at: number;
  thread_id: string;
  status: MessageStatus;
  incomplete_details: Stored<{ reason: string } | null>;
  completed_at: number | null;
  incomplete_at: number | null;
  role: MessageRole;
  content: Stored<MessageContentPart[]>;
  assistant_id: string | null;
  run_id: string | null;
  attachments: Stored<MessageAttachment[]>;
  metadata: Stored<Metadata>;
}

/** The v1 edition's message: `file_ids` instead of `attachments`. */
export type MessageObjectV1 = Omit<MessageObjectV2, 'attachments'> & { file_ids: string[] };

export interface MessageFileObject {
  id: string;
  object: 'thread.message.file';
  created_at: number;
  message_id: string;
}

/** v1 has text and image_file parts only: an image_url part (written through v2) cannot be expressed. */
const isV1Part = (part: MessageContentPart): boolean => part.type !== 'image_url';

export function presentMessage(message: MessageRecord, shape: Shape): MessageObjectV1 | MessageObjectV2 {
  const v1 = shape === 'v1';
  const object = {
    id: message.id,
    object: 'thread.message',
    created_at: message.createdAt,
    thread_id: message.threadId,
    status: message.status,
    incomplete_details: message.incompleteDetails,
    completed_at: message.completedAt,
    incomplete_at: message.incompleteAt,
    role: message.role,
    content: v1 ? parsed(message.content).filter(isV1Part) : message.content,
    assistant_id: message.assistantId,
    run_id: message.runId,
  } as MessageObjectV1 & MessageObjectV2;
  if (v1) object.file_ids = parsed(message.attachments).map((a) => a.file_id);
  else object.attachments = message.attachments;
  object.metadata = message.metadata;
  return object;
}

export function presentMessageFiles(message: MessageRecord): MessageFileObject[] {
  return parsed(message.attachments).map((a) => ({
    id: a.file_id,
    object: 'thread.message.file',
    created_at: message.createdAt,
    message_id: message.id,
  }));
}

export function presentMessageDeleted(id: string) {
  return { id, object: 'thread.message.deleted' as const, deleted: true as const };
}
