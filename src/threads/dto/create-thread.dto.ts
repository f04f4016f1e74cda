import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsOptional, ValidateNested } from 'class-validator';
import { IsMetadata } from '../../common/metadata/is-metadata';
import { Metadata } from '../thread.entity';
import { CreateMessageDto } from '../../messages/dto/create-message.dto';
import { ToolResourcesDto } from './tool-resources.dto';

/** How many messages one thread-create request may carry. */
export const MAX_THREAD_MESSAGES = 100;

export class CreateThreadDto {
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_THREAD_MESSAGES, {
    message: (a) => `Invalid 'messages': array too long. Expected an array with maximum length ${MAX_THREAD_MESSAGES}, but got an array with length ${(a.value as unknown[]).length} instead.`,
  })
  @ValidateNested({ each: true })
  @Type(() => CreateMessageDto)
  messages?: CreateMessageDto[];

  @IsOptional()
  @ValidateNested()
  @Type(() => ToolResourcesDto)
  tool_resources?: ToolResourcesDto | null;

  @IsMetadata()
  metadata?: Metadata | null;
}
