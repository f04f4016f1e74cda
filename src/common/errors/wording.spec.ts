import { arrayTooLong, describe as describeValue, notOneOf, quotedChoices } from './wording';

describe('wording', () => {
  it('names values as OpenAI does', () => {
    expect([null, [], {}, 3, 1.5, 'x', true].map(describeValue)).toEqual(['null', 'an array', 'an object', 'an integer', 'a number', 'a string', 'a boolean']);
  });

  it('lists choices with a final "or"', () => {
    expect(quotedChoices(['a'])).toBe("'a'");
    expect(quotedChoices(['a', 'b'])).toBe("'a' or 'b'");
    expect(quotedChoices(['a', 'b', 'c'])).toBe("'a', 'b' or 'c'");
  });

  it('words a problem for the parameter it names, with its code', () => {
    expect(arrayTooLong('messages', 100, 101)).toEqual({
      message: "Invalid 'messages': array too long. Expected an array with maximum length 100, but got an array with length 101 instead.",
      param: 'messages',
      code: 'invalid_value',
    });
    expect(notOneOf('role', ['user', 'assistant'], 'robot')).toEqual({
      message: "Invalid value for 'role': expected one of 'user' or 'assistant', but got 'robot' instead.",
      param: 'role',
      code: 'invalid_value',
    });
  });
});
