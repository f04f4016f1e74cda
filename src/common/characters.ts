/**
 * A string's length in characters as the API's limits count them: Unicode code points, so that an
 * emoji (a surrogate pair in JavaScript's UTF-16) is one character, not two.
 */
export function characters(text: string): number {
  let count = text.length;
  for (let i = 0; i < text.length - 1; i++) {
    const high = text.charCodeAt(i);
    if (high < 0xd800 || high > 0xdbff) continue;
    const low = text.charCodeAt(i + 1);
    if (low >= 0xdc00 && low <= 0xdfff) {
      count--;
      i++;
    }
  }
  return count;
}

/** Whether `text` has more than `max` characters (counted only when its UTF-16 length says it might). */
export const longerThan = (text: string, max: number): boolean => text.length > max && characters(text) > max;
