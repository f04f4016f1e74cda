import { searchConfig } from '../config/data.config';

/**
 * The text of a message that search reads: every text part's value (`content` is a JSON array of
 * parts), as a tsvector in the configuration of SEARCH_CONFIG. The generated column
 * `messages.search_vector` stores it; the migration and the entity share this expression.
 */
export function searchVectorExpression(config: string = searchConfig()): string {
  return `to_tsvector('${config}'::regconfig, jsonb_path_query_array(${asJsonb('"content"')}, '$[*].text.value'))`;
}

/**
 * A json column as jsonb, for its path functions. jsonb cannot hold the escape \u0000, which json
 * text (and so a message) may: each becomes \u0020, a space, in the searched text. (In an escaped
 * backslash followed by `u0000`, only the letters change: still valid JSON, and only in the search's view.)
 */
function asJsonb(column: string): string {
  return `replace(${column}::text, '\\u0000', '\\u0020')::jsonb`;
}

/**
 * A user's search as a tsquery expression over two parameters: `$words` in web-search syntax
 * (words, "exact phrases", OR, -excluded) and `$prefixes`, the words given with a trailing `*`
 * as prefix matches (`'hel':* & 'wor':*`). Either may be empty; together they must all match.
 */
export function searchQueryExpression(words: string, prefixes: string, config: string = searchConfig()): string {
  return `(websearch_to_tsquery('${config}'::regconfig, ${words}) && to_tsquery('${config}'::regconfig, ${prefixes}))`;
}

/** A message's text, for its highlighted snippet: the text parts' values, one after the other. */
export const MESSAGE_TEXT = (alias: string): string =>
  `array_to_string(ARRAY(SELECT jsonb_path_query(${asJsonb(`${alias}.content`)}, '$[*].text.value') #>> '{}'), ' ')`;

export const textSearchConfig = (): string => searchConfig();
