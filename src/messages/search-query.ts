import { ApiError } from '../common/errors/api-error';
import { invalidValue } from '../common/errors/wording';

export const SEARCH_QUERY_MAX_LENGTH = 1000;

/** A search as the two parameters of searchQueryExpression: web-search words, and prefix terms. */
export interface SearchTerms {
  words: string;
  prefixes: string;
}

const WORD = /[\p{L}\p{N}_]+/gu;
const HAS_WORD = /[\p{L}\p{N}]/u;

/**
 * Splits a search: `term*` is a prefix match (only its letters and digits are kept, so the text
 * handed to to_tsquery is always well formed); everything else is web-search syntax, which never
 * fails to parse. A search without a letter or digit is refused (400).
 */
export function searchTerms(query: string, param = 'query'): SearchTerms {
  if (!HAS_WORD.test(query)) throw ApiError.problem(invalidValue(param, 'expected words to search for (letters or digits).'));
  const prefixes: string[] = [];
  const words = query.replace(/(^|\s)(-?)([^\s"*]+)\*(?=\s|$)/gu, (_all, space: string, negated: string, term: string) => {
    const parts = term.match(WORD) ?? [];
    if (negated || parts.length === 0) return `${space}${negated}${term}`;
    prefixes.push(...parts.map((part) => `'${part.toLowerCase()}':*`));
    return space;
  });
  return { words: words.trim(), prefixes: prefixes.join(' & ') };
}
