import { PickType } from '@nestjs/swagger';
import { CreateThreadDto } from './create-thread.dto';

/** The same rules as on create, for the fields a thread can change. */
export class ModifyThreadDto extends PickType(CreateThreadDto, ['tool_resources', 'metadata'] as const) {}
