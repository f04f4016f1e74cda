import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsObject, IsOptional, ValidateNested } from 'class-validator';
import { tooManyItems } from '../../common/errors/wording';
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
  @ArrayMaxSize(MAX_THREAD_MESSAGES, tooManyItems(MAX_THREAD_MESSAGES))
  @ValidateNested({ each: true })
  @Type(() => CreateMessageDto)
  messages?: CreateMessageDto[];

  @ApiPropertyOptional({ type: () => ToolResourcesDto, nullable: true, description: 'v2 only' })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => ToolResourcesDto)
  tool_resources?: ToolResourcesDto | null;

  @IsMetadata()
  metadata?: Metadata | null;
}
