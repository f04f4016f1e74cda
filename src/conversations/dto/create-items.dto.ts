import { IsDefined } from 'class-validator';
import { IsInputItems } from './create-conversation.dto';

export class CreateItemsDto {
  @IsDefined()
  @IsInputItems({ nonEmpty: true })
  items: Record<string, unknown>[];
}
