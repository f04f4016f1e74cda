import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsObject, IsOptional, ValidateNested } from 'class-validator';
import { IsMetadata, Metadata } from '../../common/metadata/is-metadata';
import { CreateMessageDto } from '../../messages/dto/create-message.dto';
import { ToolResourcesDto } from './tool-resources.dto';

/** How many messages one thread-create request may carry. */
export const MAX_THREAD_MESSAGES = 100;

export class CreateThreadDto {
  @ApiPropertyOptional({ type: () => [CreateMessageDto], maxItems: MAX_THREAD_MESSAGES })
  @IsOptional()
  @IsArray()
  @IsObject({ each: true })
  @ArrayMaxSize(MAX_THREAD_MESSAGES, {
    message: (a) => `Invalid 'messages': array too long. Expected an array with maximum length ${MAX_THREAD_MESSAGES}, but got an array with length ${(a.value as unknown[]).length} instead.`,
  })
  @ValidateNested({ each: true })
  @Type(() => CreateMessageDto)
  messages?: CreateMessageDto[];

  @ApiPropertyOptional({ type: () => ToolResourcesDto, nullable: true, description: 'v2 only' })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => ToolResourcesDto)
  tool_resources?: ToolResourcesDto | null;

  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string', maxLength: 512 }, maxProperties: 16, nullable: true, description: 'At most 16 keys of at most 64 characters; string values of at most 512 characters.' })
  @IsMetadata()
  metadata?: Metadata | null;
}
