import { characters, longerThan } from './characters';

describe('characters', () => {
  it.each([
    ['', 0],
    ['abc', 3],
    ['é', 1],
    ['😀', 1],
    ['a😀b', 3],
    ['😀'.repeat(40), 40],
    ['\ud800', 1],
    ['\udc00\ud800', 2],
    ['\ud800a', 2],
  ])('%j has %i characters', (text, count) => {
    expect(characters(text)).toBe(count);
    expect([...text].length).toBe(count);
  });

  it('longerThan counts code points', () => {
    expect(longerThan('😀'.repeat(64), 64)).toBe(false);
    expect(longerThan('😀'.repeat(65), 64)).toBe(true);
    expect(longerThan('a'.repeat(65), 64)).toBe(true);
    expect(longerThan('a'.repeat(64), 64)).toBe(false);
  });
});
