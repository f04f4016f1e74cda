import { searchConfig } from '../config/data.config';

/**
 * The text of a message that search reads: every text part's value (`content` is a JSON array of
 * parts), as a tsvector in the configuration of SEARCH_CONFIG. The generated column
 * `messages.search_vector` stores it; the migration and the entity share this expression.
 */
export function searchVectorExpression(config: string = searchConfig()): string {
  return `to_tsvector('${config}'::regconfig, jsonb_path_query_array("content"::jsonb, '$[*].text.value'))`;
}
