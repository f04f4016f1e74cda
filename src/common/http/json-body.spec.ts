import { ApiError } from '../errors/api-error';
import { jsonStructureProblem, MAX_JSON_DEPTH, parseJsonBody } from './json-body';

const paramOf = (problem: ApiError | undefined) => (problem?.body as { param?: string | null } | undefined)?.param;

describe('the structure walk of a JSON body', () => {
  it('names the path of the problem it reports', () => {
    expect(paramOf(jsonStructureProblem(JSON.parse('{"a":[1,{"b":["x","\\ud800"]}]}'), MAX_JSON_DEPTH))).toBe('a[1].b[1]');
    expect(paramOf(jsonStructureProblem(JSON.parse('{"a":{"b":[{"__proto__":1}]}}'), MAX_JSON_DEPTH))).toBe('a.b[0].__proto__');
    expect(paramOf(jsonStructureProblem(JSON.parse('[0,[1,"\\udfff"]]'), MAX_JSON_DEPTH))).toBe('[1][1]');
    expect(jsonStructureProblem(JSON.parse('{"a":[' + '['.repeat(40) + ']'.repeat(40) + ']}'), MAX_JSON_DEPTH)?.body).toMatchObject({ code: 'json_too_deep' });
  });

  it('walks a large array without an entry or a path per element', () => {
    const body = Buffer.from(`{"x":[${'0,'.repeat(1_000_000)}"${'y'.repeat(10)}"]}`);
    const entries = jest.spyOn(Object, 'entries');
    try {
      expect(parseJsonBody(body)).toEqual({ x: expect.any(Array) });
      expect(entries).not.toHaveBeenCalled();
    } finally {
      entries.mockRestore();
    }
  });
});
