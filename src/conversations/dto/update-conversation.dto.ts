import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ValidateBy } from 'class-validator';
import { missingParameter, Problem, reports } from '../../common/errors/wording';
import { Metadata, metadataProblem } from '../../common/metadata/is-metadata';

/** `metadata` is required here (null clears it), under the same rules as everywhere. */
const problem = (value: unknown, param: string): Problem | undefined =>
  value === undefined ? missingParameter(param) : value === null ? undefined : metadataProblem(value, param);

export class UpdateConversationDto {
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' }, nullable: true, description: 'Replaces the whole map; null clears it.' })
  // The map exactly as sent: class-transformer's copy drops keys named like Object members.
  @Transform(({ obj, key }) => (obj as Record<string, unknown>)[key])
  @ValidateBy(
    { name: 'isRequiredMetadata', validator: { validate: (value: unknown) => problem(value, 'metadata') === undefined } },
    reports((value, param) => problem(value, param) as Problem),
  )
  metadata: Metadata | null;
}
