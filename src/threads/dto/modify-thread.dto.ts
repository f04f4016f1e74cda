import { Type } from 'class-transformer';
import { IsOptional, ValidateNested } from 'class-validator';
import { IsMetadata } from '../../common/metadata/is-metadata';
import { Metadata } from '../thread.entity';
import { ToolResourcesDto } from './tool-resources.dto';

export class ModifyThreadDto {
  @IsOptional()
  @ValidateNested()
  @Type(() => ToolResourcesDto)
  tool_resources?: ToolResourcesDto | null;

  @IsMetadata()
  metadata?: Metadata | null;
}
