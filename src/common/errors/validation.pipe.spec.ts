import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsInt, IsOptional, IsString, ValidateBy, ValidateNested } from 'class-validator';
import { ApiError } from './api-error';
import { ApiValidationPipe } from './validation.pipe';
import { invalidValue, Problem, reports, tooManyItems } from './wording';

/** A custom validator as the features write them: a typed problem, worded for the path it is given. */
const notAllowed = (value: unknown, param: string): Problem | undefined => (value === 'bad' ? invalidValue(`${param}.inner`, 'not allowed.') : undefined);

class Item {
  @ValidateBy(
    { name: 'isAllowed', validator: { validate: (value: unknown) => notAllowed(value, 'x') === undefined } },
    reports((value, param) => notAllowed(value, param) as Problem),
  )
  word: unknown;

  @IsOptional()
  @IsInt()
  count?: number;
}

class Body {
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(2, tooManyItems(2))
  @ValidateNested({ each: true })
  @Type(() => Item)
  items?: Item[];

  @IsOptional()
  @IsString({ each: true })
  names?: string[];
}

async function errorOf(body: unknown): Promise<ApiError['body']> {
  try {
    await new ApiValidationPipe().transform(body, { type: 'body', metatype: Body });
  } catch (error) {
    if (error instanceof ApiError) return error.body;
    throw error;
  }
  throw new Error('no error');
}

describe('ApiValidationPipe (class-validator failures as OpenAI errors)', () => {
  it("takes a custom validator's typed problem, named by the field's full path", async () => {
    expect(await errorOf({ items: [{ word: 'ok' }, { word: 'bad' }] })).toEqual({
      message: "Invalid 'items[1].word.inner': not allowed.",
      type: 'invalid_request_error',
      param: 'items[1].word.inner',
      code: 'invalid_value',
    });
  });

  it('words a built-in validator given a problem, and the type checks', async () => {
    expect(await errorOf({ items: [{}, {}, {}] })).toMatchObject({
      param: 'items',
      code: 'invalid_value',
      message: expect.stringMatching(/^Invalid 'items': array too long\. .* length 3 instead\.$/),
    });
    expect(await errorOf({ items: [{ count: 'x' }] })).toMatchObject({
      param: 'items[0].count',
      code: 'invalid_type',
      message: "Invalid type for 'items[0].count': expected an integer, but got a string instead.",
    });
    expect(await errorOf({ names: ['a', 3] })).toMatchObject({
      param: 'names',
      code: 'invalid_type',
      message: "Invalid type for 'names': expected an array of strings, but got an array instead.",
    });
  });

  it('rejects unknown fields, also those named like Object members, and a body that is not an object', async () => {
    expect(await errorOf({ other: 1 })).toMatchObject({ param: 'other', code: 'unknown_parameter', message: "Unknown parameter: 'other'." });
    expect(await errorOf(JSON.parse('{"items":[{"word":"ok","toString":"x"}]}'))).toMatchObject({ param: 'items[0].toString', code: 'unknown_parameter' });
    expect(await errorOf([1])).toMatchObject({ param: null, code: 'invalid_type', message: 'Invalid request body: expected a JSON object.' });
  });
});
