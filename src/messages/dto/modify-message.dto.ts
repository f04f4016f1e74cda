import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsMetadata, Metadata } from '../../common/metadata/is-metadata';

export class ModifyMessageDto {
  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string', maxLength: 512 }, maxProperties: 16, nullable: true, description: 'At most 16 keys of at most 64 characters; string values of at most 512 characters.' })
  @IsMetadata()
  metadata?: Metadata | null;
}
