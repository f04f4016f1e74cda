import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsOptional, ValidateBy } from 'class-validator';
import { emptyArray, Problem, reports } from '../../common/errors/wording';
import { IsMetadata, Metadata } from '../../common/metadata/is-metadata';
import { ITEM_TYPES, itemsProblem, MAX_ITEMS } from '../conversation-item';

/** A list of input items (up to 20), checked item by item; `nonEmpty` for the items route. */
export function IsInputItems(options: { nonEmpty?: boolean } = {}): PropertyDecorator {
  const problem = (value: unknown, param: string): Problem | undefined =>
    options.nonEmpty && Array.isArray(value) && value.length === 0 ? emptyArray(param) : itemsProblem(value, param);
  return applyDecorators(
    ApiPropertyOptional({
      type: 'array',
      maxItems: MAX_ITEMS,
      items: { type: 'object', required: ['type'], properties: { type: { type: 'string', enum: [...ITEM_TYPES] } }, additionalProperties: true },
      description: `Up to ${MAX_ITEMS} items: messages (\`type\` may be left out when \`role\` is given) and the Responses API's other item types.`,
    }),
    // The items exactly as sent: they are stored as they are.
    Transform(({ obj, key }) => (obj as Record<string, unknown>)[key]),
    ValidateBy(
      { name: 'isInputItems', validator: { validate: (value: unknown) => problem(value, 'items') === undefined } },
      reports((value, param) => problem(value, param) as Problem),
    ),
  );
}

export class CreateConversationDto {
  @IsMetadata()
  metadata?: Metadata | null;

  @IsOptional()
  @IsInputItems()
  items?: Record<string, unknown>[] | null;
}
