import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsObject, IsOptional, ValidateNested } from 'class-validator';
import { IsMetadata } from '../../common/metadata/is-metadata';
import { Metadata } from '../thread.entity';
import { ToolResourcesDto } from './tool-resources.dto';

export class ModifyThreadDto {
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
