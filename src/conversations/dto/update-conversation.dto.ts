import { IsDefined } from 'class-validator';
import { IsMetadata, Metadata } from '../../common/metadata/is-metadata';

export class UpdateConversationDto {
  @IsDefined()
  @IsMetadata()
  metadata: Metadata | null;
}
