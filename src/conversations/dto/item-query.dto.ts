import { ApiHideProperty, ApiPropertyOptional, IntersectionType, PickType } from '@nestjs/swagger';
import { IsOptional, IsString, ValidateBy } from 'class-validator';
import { invalidType, notOneOf, Problem, reports } from '../../common/errors/wording';
import { ListQueryDto } from '../../common/pagination/list-query.dto';

/** The `include` values of the spec: accepted, and answered by what the items already carry (nothing more is kept). */
export const INCLUDABLE = [
  'file_search_call.results',
  'web_search_call.results',
  'web_search_call.action.sources',
  'message.input_image.image_url',
  'computer_call_output.output.image_url',
  'code_interpreter_call.outputs',
  'reasoning.encrypted_content',
  'message.output_text.logprobs',
] as const;

function includeProblem(value: unknown, param: string): Problem | undefined {
  const values = Array.isArray(value) ? value : [value];
  for (let i = 0; i < values.length; i++) {
    if (typeof values[i] !== 'string') return invalidType(param, 'a string or an array of strings', value);
    if (!(INCLUDABLE as readonly string[]).includes(values[i])) return notOneOf(param, INCLUDABLE, values[i]);
  }
  return undefined;
}

/** `include`, as `include=a&include=b` or as the SDK spells it, `include[]=a&include[]=b`. */
function IsInclude(): PropertyDecorator {
  return ValidateBy(
    { name: 'isInclude', validator: { validate: (value: unknown) => value === undefined || includeProblem(value, 'include') === undefined } },
    reports((value, param) => includeProblem(value, param.replace('[]', '')) as Problem),
  );
}

export class ItemQueryDto {
  @ApiPropertyOptional({ type: [String], enum: INCLUDABLE, description: 'Accepted; the items carry what they have.' })
  @IsInclude()
  include?: string | string[];

  @ApiHideProperty()
  @IsInclude()
  'include[]'?: string | string[];

  @ApiHideProperty()
  @IsOptional()
  @IsString()
  'api-version'?: string;
}

/** The list's paging parameters are the Assistants lists' (no `before`: the Conversations API has none). */
export class ListItemsQueryDto extends IntersectionType(PickType(ListQueryDto, ['limit', 'order', 'after'] as const), ItemQueryDto) {}
