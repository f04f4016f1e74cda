import { Shape } from '../common/api-version/api-request';
import { ApiError } from '../common/errors/api-error';
import { newMessageId } from '../common/ids';
import { Metadata } from '../common/metadata/is-metadata';
import { FileReference } from '../files/file-references';
import { CreateMessageDto } from './dto/create-message.dto';
import { MessageAttachment, MessageContentPart, MessageRecord, MessageRole } from './message.entity';

/** A validated message ready to insert, in the stored (edition-neutral) form. */
export interface NewMessage {
  id: string;
  role: MessageRole;
  content: MessageContentPart[];
  attachments: MessageAttachment[];
  metadata: Metadata;
}

/** A message just inserted, as it is stored: the insert returns only the database's time. */
export function insertedMessage(message: Omit<NewMessage, 'role'> & { role: string }, threadId: string, createdAt: number): MessageRecord {
  return {
    id: message.id,
    threadId,
    createdAt,
    role: message.role as MessageRole,
    content: message.content,
    attachments: message.attachments,
    assistantId: null,
    runId: null,
    status: 'completed',
    incompleteDetails: null,
    completedAt: createdAt,
    incompleteAt: null,
    metadata: message.metadata,
  };
}

type RequestPart =
  | { type: 'text'; text: string }
  | { type: 'image_url'; image_url: { url: string; detail?: string } }
  | { type: 'image_file'; image_file: { file_id: string; detail?: string } };

function storedPart(part: RequestPart): MessageContentPart {
  switch (part.type) {
    case 'text':
      return { type: 'text', text: { value: part.text, annotations: [] } };
    case 'image_url':
      return { type: 'image_url', image_url: { url: part.image_url.url, detail: part.image_url.detail ?? 'auto' } };
    case 'image_file':
      return { type: 'image_file', image_file: { file_id: part.image_file.file_id, detail: part.image_file.detail ?? 'auto' } };
  }
}

/** Checks the fields that belong to one edition only, then converts to the stored form. */
export function toNewMessage(dto: CreateMessageDto, shape: Shape, prefix = ''): NewMessage {
  if (shape === 'v1') {
    if (dto.attachments !== undefined) throw ApiError.unknownParameter(`${prefix}attachments`);
    if (typeof dto.content !== 'string') {
      throw ApiError.badRequest(`Invalid type for '${prefix}content': expected a string.`, `${prefix}content`, 'invalid_type');
    }
  } else if (dto.file_ids !== undefined) {
    throw ApiError.unknownParameter(`${prefix}file_ids`, " Since assistants=v2, files are attached through 'attachments'.");
  }
  const content = typeof dto.content === 'string' ? [storedPart({ type: 'text', text: dto.content })] : (dto.content as RequestPart[]).map(storedPart);
  const attachments: MessageAttachment[] =
    shape === 'v1'
      ? (dto.file_ids ?? []).map((file_id) => ({ file_id, tools: [] }))
      : (dto.attachments ?? []).map((a) => ({ file_id: a.file_id, tools: a.tools.map((tool) => ({ type: tool.type })) }));
  return { id: newMessageId(), role: dto.role, content, attachments, metadata: dto.metadata ?? {} };
}

/** The file ids a message names, each with the field that names it as the client sent it (`attachments[1].file_id`, v1 `file_ids[0]`). */
export function fileReferencesOf(message: NewMessage, shape: Shape, prefix = ''): FileReference[] {
  const references: FileReference[] = [];
  message.content.forEach((part, i) => {
    if (part.type === 'image_file') references.push({ fileId: part.image_file.file_id, param: `${prefix}content[${i}].image_file.file_id` });
  });
  message.attachments.forEach((attachment, i) => {
    references.push({ fileId: attachment.file_id, param: shape === 'v1' ? `${prefix}file_ids[${i}]` : `${prefix}attachments[${i}].file_id` });
  });
  return references;
}
