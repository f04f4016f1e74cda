import { contentProblem, MAX_CONTENT_LENGTH } from './message-content.validator';

describe('contentProblem (a message content: a string or content parts)', () => {
  it('accepts a string and each kind of part', () => {
    expect(contentProblem('hello')).toBeUndefined();
    expect(
      contentProblem([
        { type: 'text', text: 'a' },
        { type: 'image_url', image_url: { url: 'https://example.com/a.png', detail: 'low' } },
        { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
        { type: 'image_file', image_file: { file_id: 'file-1' } },
      ]),
    ).toBeUndefined();
  });

  it.each([
    ['', 'content', 'invalid_value', "Invalid 'content': string too short. Expected a string with minimum length 1, but got an empty string instead."],
    [
      'x'.repeat(MAX_CONTENT_LENGTH + 1),
      'content',
      'invalid_value',
      `Invalid 'content': string too long. Expected a string with maximum length 256000, but got a string with length 256001 instead.`,
    ],
    [5, 'content', 'invalid_type', "Invalid type for 'content': expected a string or an array of content parts, but got an integer instead."],
    [[], 'content', 'invalid_value', "Invalid 'content': empty array. Expected an array with minimum length 1, but got an empty array instead."],
    [['a'], 'content[0]', 'invalid_type', "Invalid type for 'content[0]': expected an object, but got a string instead."],
    [[{ text: 'a' }], 'content[0].type', 'missing_required_parameter', "Missing required parameter: 'content[0].type'."],
    [
      [{ type: 'video' }],
      'content[0].type',
      'invalid_value',
      "Invalid value for 'content[0].type': expected one of 'text', 'image_url' or 'image_file', but got 'video' instead.",
    ],
    [[{ type: 'text', text: 'a', extra: 1 }], 'content[0].extra', 'unknown_parameter', "Unknown parameter: 'content[0].extra'."],
    [
      [
        { type: 'text', text: 'a' },
        { type: 'text', text: null },
      ],
      'content[1].text',
      'invalid_type',
      "Invalid type for 'content[1].text': expected a string, but got null instead.",
    ],
    [
      [{ type: 'image_url', image_url: { url: 'ftp://x' } }],
      'content[0].image_url.url',
      'invalid_value',
      "Invalid 'content[0].image_url.url': expected a valid http(s) URL or a base64 data URL of an image.",
    ],
    [
      [{ type: 'image_url', image_url: { url: 'https://x', detail: 'max' } }],
      'content[0].image_url.detail',
      'invalid_value',
      "Invalid value for 'content[0].image_url.detail': expected one of 'auto', 'low' or 'high', but got 'max' instead.",
    ],
    [
      [{ type: 'image_file', image_file: {} }],
      'content[0].image_file.file_id',
      'missing_required_parameter',
      "Missing required parameter: 'content[0].image_file.file_id'.",
    ],
    [
      [{ type: 'image_file', image_file: { file_id: 'f'.repeat(129) } }],
      'content[0].image_file.file_id',
      'invalid_value',
      "Invalid 'content[0].image_file.file_id': expected a file ID of at most 128 characters.",
    ],
  ])('%#: names %s (%s)', (content, param, code, message) => {
    expect(contentProblem(content)).toEqual({ param, code, message });
  });

  it('names the parameter by the path it is given', () => {
    expect(contentProblem([{ type: 'text' }], 'messages[2].content')?.param).toBe('messages[2].content[0].text');
  });
});

describe('contentProblem: bounds on a message', () => {
  const text = (length: number) => ({ type: 'text', text: 'x'.repeat(length) });

  it('takes at most 100 parts', () => {
    expect(contentProblem(Array.from({ length: 100 }, () => text(1)))).toBeUndefined();
    expect(contentProblem(Array.from({ length: 300_000 }, () => text(1)))).toEqual({
      param: 'content',
      code: 'invalid_value',
      message: "Invalid 'content': array too long. Expected an array with maximum length 100, but got an array with length 300000 instead.",
    });
  });

  it('takes at most 256,000 characters in all, image URLs included', () => {
    expect(contentProblem(Array.from({ length: 100 }, () => text(2_560)))).toBeUndefined();
    expect(contentProblem([...Array.from({ length: 99 }, () => text(2_560)), text(2_561)])).toMatchObject({
      param: 'content',
      message: "Invalid 'content': content too long. Expected content parts with at most 256000 characters in all, but got 256001 characters instead.",
    });
    expect(contentProblem([text(255_000), { type: 'image_url', image_url: { url: 'data:image/png;base64,' + 'A'.repeat(2_000) } }])).toMatchObject({
      param: 'content',
    });
  });
});
