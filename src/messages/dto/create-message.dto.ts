import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsDefined, IsIn, IsNotEmpty, IsObject, IsOptional, IsString, MaxLength, ValidateNested } from 'class-validator';
import { emptyArray, oneOf, reports, tooManyItems } from '../../common/errors/wording';
import { IsObjectId } from '../../common/ids';
import { IsMetadata, Metadata } from '../../common/metadata/is-metadata';
import { MessageRole } from '../message.entity';
import { IsMessageContent, MAX_CONTENT_LENGTH } from './message-content.validator';

export const MAX_MESSAGE_FILES = 10;

const DETAIL: SchemaObject = { type: 'string', enum: ['auto', 'low', 'high'] };
const CONTENT_SCHEMA: SchemaObject[] = [
  { type: 'string', minLength: 1, maxLength: MAX_CONTENT_LENGTH },
  {
    type: 'array',
    minItems: 1,
    items: {
      oneOf: [
        { type: 'object', required: ['type', 'text'], properties: { type: { enum: ['text'] }, text: { type: 'string' } } },
        {
          type: 'object',
          required: ['type', 'image_url'],
          properties: {
            type: { enum: ['image_url'] },
            image_url: { type: 'object', required: ['url'], properties: { url: { type: 'string' }, detail: DETAIL } },
          },
        },
        {
          type: 'object',
          required: ['type', 'image_file'],
          properties: {
            type: { enum: ['image_file'] },
            image_file: { type: 'object', required: ['file_id'], properties: { file_id: { type: 'string' }, detail: DETAIL } },
          },
        },
      ],
    },
  },
];

export class AttachmentToolDto {
  @ApiProperty({ enum: ['code_interpreter', 'file_search'] })
  @IsDefined()
  @IsIn(['code_interpreter', 'file_search'], oneOf(['code_interpreter', 'file_search']))
  type: 'code_interpreter' | 'file_search';
}

export class AttachmentDto {
  @ApiProperty({ maxLength: 128 })
  @IsDefined()
  @IsString()
  @IsNotEmpty()
  @MaxLength(128)
  @IsObjectId()
  file_id: string;

  @ApiProperty({ type: () => [AttachmentToolDto] })
  @IsDefined()
  @IsArray()
  @IsObject({ each: true })
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
  @ApiProperty({ enum: ['user', 'assistant'] })
  @IsDefined()
  @IsIn(['user', 'assistant'], oneOf(['user', 'assistant']))
  role: MessageRole;

  @ApiProperty({ oneOf: CONTENT_SCHEMA, description: 'v1: a string only' })
  @IsDefined()
  @IsMessageContent()
  content: unknown;

  @ApiPropertyOptional({ type: () => [AttachmentDto], maxItems: MAX_MESSAGE_FILES, nullable: true, description: 'v2 only' })
  @IsOptional()
  @IsArray()
  @IsObject({ each: true })
  @ArrayMaxSize(MAX_MESSAGE_FILES, tooManyItems(MAX_MESSAGE_FILES))
  @ValidateNested({ each: true })
  @Type(() => AttachmentDto)
  attachments?: AttachmentDto[] | null;

  @ApiPropertyOptional({ type: [String], maxItems: MAX_MESSAGE_FILES, description: 'v1 only' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_MESSAGE_FILES, tooManyItems(MAX_MESSAGE_FILES))
  @ArrayMinSize(1, reports((_value, param) => emptyArray(param)))
  @IsString({ each: true })
  @IsNotEmpty({ each: true })
  @MaxLength(128, { each: true })
  @IsObjectId({ list: true })
  file_ids?: string[];

  @IsMetadata()
  metadata?: Metadata | null;
}
