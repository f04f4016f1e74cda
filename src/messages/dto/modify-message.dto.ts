import { IsMetadata } from '../../common/metadata/is-metadata';
import { Metadata } from '../../threads/thread.entity';

export class ModifyMessageDto {
  @IsMetadata()
  metadata?: Metadata | null;
}
