import { parsed, RawJson, responseJson } from './raw-json';

/** A deterministic generator of JSON-like values (fixed seed): what responseJson must write as JSON.stringify does. */
function* values(seed: number, count: number): Generator<unknown> {
  let state = seed;
  const next = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const strings = ['', 'plain', 'quote " and \\ backslash', 'line\nbreak\ttab', '\u0000nul', 'é ünïcödé 漢字 😀', '\ud800 lone', '</script>'];
  const keys = ['id', 'object', 'a b', 'quo"te', '', '__proto__x', '1', '0', 'ünï', 'tab\tkey', 'metadata'];
  const make = (depth: number): unknown => {
    const pick = Math.floor(next() * (depth > 3 ? 6 : 10));
    switch (pick) {
      case 0:
        return null;
      case 1:
        return next() < 0.5;
      case 2:
        return [0, -0, 1.5, -3, 1e21, 1e-7, Number.MAX_SAFE_INTEGER, NaN, Infinity][Math.floor(next() * 9)];
      case 3:
      case 4:
        return strings[Math.floor(next() * strings.length)];
      case 5:
        return undefined;
      case 6:
        return Array.from({ length: Math.floor(next() * 4) }, () => make(depth + 1));
      case 7:
        return new RawJson(JSON.stringify(make(depth + 1)) ?? 'null');
      case 8:
        return new Date(Math.floor(next() * 1e12));
      default:
        return Object.fromEntries(Array.from({ length: Math.floor(next() * 5) }, () => [keys[Math.floor(next() * keys.length)], make(depth + 1)]));
    }
  };
  for (let i = 0; i < count; i++) yield make(0);
}

describe('responseJson', () => {
  it('writes what JSON.stringify writes, with the text of each RawJson spliced in', () => {
    const message = {
      id: 'msg_1',
      object: 'thread.message',
      created_at: 1700000000,
      incomplete_details: null,
      content: new RawJson('[{"type":"text","text":{"value":"hi \\u0000 \\"there\\"","annotations":[]}}]'),
      attachments: new RawJson('[]'),
      metadata: new RawJson('{"k": "v"}'),
      skipped: undefined,
    };
    const body = { object: 'list', data: [message], first_id: 'msg_1', has_more: false };
    // The raw text is kept as stored (its spacing included), which JSON.stringify would normalise.
    expect(responseJson(body)).toBe(
      '{"object":"list","data":[{"id":"msg_1","object":"thread.message","created_at":1700000000,"incomplete_details":null,' +
        '"content":[{"type":"text","text":{"value":"hi \\u0000 \\"there\\"","annotations":[]}}],"attachments":[],"metadata":{"k": "v"}}],' +
        '"first_id":"msg_1","has_more":false}',
    );
    expect(JSON.parse(responseJson(body))).toEqual(JSON.parse(JSON.stringify(body)));
  });

  it('agrees with JSON.stringify on generated values (fixed seed)', () => {
    for (const value of values(20261205, 3000)) {
      // RawJson texts here are JSON.stringify's own output, so the two must agree character for character.
      expect(responseJson(value)).toBe(JSON.stringify(value));
    }
  });

  it('leaves other objects to JSON.stringify (their toJSON), and parses a RawJson for whoever reads it', () => {
    const raw = new RawJson<{ a: number[] }>('{"a":[1,2]}');
    expect(parsed(raw)).toEqual({ a: [1, 2] });
    expect(parsed({ a: [3] })).toEqual({ a: [3] });
    expect(JSON.stringify({ raw })).toBe('{"raw":{"a":[1,2]}}');
    const withToJson = { toJSON: () => ({ replaced: true }) };
    expect(responseJson({ x: withToJson })).toBe('{"x":{"replaced":true}}');
    expect(responseJson([undefined, () => 1])).toBe('[null,null]');
  });
});
