import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsDefined, IsIn, IsNotEmpty, IsOptional, IsString, MaxLength, ValidateNested } from 'class-validator';
import { IsMetadata } from '../../common/metadata/is-metadata';
import { Metadata } from '../../threads/thread.entity';
import { MessageRole } from '../message.entity';
import { IsMessageContent } from './message-content.validator';

export const MAX_MESSAGE_FILES = 10;

const oneOf = (values: string[]) => (a: { property: string; value: unknown }) =>
  `Invalid value for '${a.property}': expected one of ${values.map((v) => `'${v}'`).join(' or ')}, but got '${String(a.value)}' instead.`;

export class AttachmentToolDto {
  @IsDefined()
  @IsIn(['code_interpreter', 'file_search'], { message: oneOf(['code_interpreter', 'file_search']) })
  type: 'code_interpreter' | 'file_search';
}

export class AttachmentDto {
  @IsDefined()
  @IsString()
  @IsNotEmpty()
  @MaxLength(128)
  file_id: string;

  @IsDefined()
  @IsArray()
  @ArrayMaxSize(2)
  @ValidateNested({ each: true })
  @Type(() => AttachmentToolDto)
  tools: AttachmentToolDto[];
}

/**
 * One body for both editions: v2 sends `attachments` and may send content parts, v1 sends
 * `file_ids` and string content. The service rejects the fields of the other edition.
 */
export class CreateMessageDto {
  @IsDefined()
  @IsIn(['user', 'assistant'], { message: oneOf(['user', 'assistant']) })
  role: MessageRole;

  @IsDefined()
  @IsMessageContent()
  content: unknown;

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_MESSAGE_FILES, {
    message: (a) => `Invalid 'attachments': array too long. Expected an array with maximum length ${MAX_MESSAGE_FILES}, but got an array with length ${(a.value as unknown[]).length} instead.`,
  })
  @ValidateNested({ each: true })
  @Type(() => AttachmentDto)
  attachments?: AttachmentDto[] | null;

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_MESSAGE_FILES, {
    message: (a) => `Invalid 'file_ids': array too long. Expected an array with maximum length ${MAX_MESSAGE_FILES}, but got an array with length ${(a.value as unknown[]).length} instead.`,
  })
  @IsString({ each: true })
  @IsNotEmpty({ each: true })
  @MaxLength(128, { each: true })
  file_ids?: string[];

  @IsMetadata()
  metadata?: Metadata | null;
}
