import { IsMetadata, Metadata } from '../../common/metadata/is-metadata';

export class ModifyMessageDto {
  @IsMetadata()
  metadata?: Metadata | null;
}
