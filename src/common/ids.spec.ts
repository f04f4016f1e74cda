import { newThreadId, randomBase62 } from './ids';

describe('randomBase62', () => {
  it('draws ids of the asked length from the 62 letters and digits, each its own string', () => {
    const ids = Array.from({ length: 2000 }, () => randomBase62(24));
    for (const id of ids) expect(id).toMatch(/^[0-9A-Za-z]{24}$/);
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(ids.join('')).size).toBe(62);
    expect(randomBase62(100)).toMatch(/^[0-9A-Za-z]{100}$/);
    expect(newThreadId()).toMatch(/^thread_[0-9A-Za-z]{24}$/);
  });
});
