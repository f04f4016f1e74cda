import { Sql, Statement, statement } from '../database/sql';
import { MESSAGE_TEXT, searchQueryExpression, textSearchConfig } from '../database/text-search';
import { MessageRecord } from './message.entity';
import { messageColumns } from './message-columns';
import { SearchTerms } from './search-query';

/**
 * How many matches are ranked together. The tenant-wide search ranks the newest RANK_WINDOW matches
 * best first, then the RANK_WINDOW before them, and so on: a search costs about what ranking
 * RANK_WINDOW matches does, whether the words are in a hundred messages or in every one (ranking
 * every match reads every matching row, seconds for a word in most of a million messages).
 */
export const RANK_WINDOW = 500;

/**
 * Where a hit stands: its window (the matches with `oldest <= seq < newest`; `newest` null for the
 * first window, which new messages join; `oldest` 0 for the last one), and its rank and order key
 * within it.
 */
export interface HitPosition {
  rank: string;
  seq: number;
  oldest: number;
  newest: number | null;
}

/** A hit of a tenant-wide search: the message, where it stands (rank as the database prints it), and the snippet. */
export interface SearchHitRecord {
  message: MessageRecord;
  position: HitPosition;
  snippet: string;
}

export interface SearchMessagesInput {
  tenant: string;
  search: SearchTerms;
  limit: number;
  /** The last hit of the previous page. */
  after?: HitPosition;
}

type SearchRow = MessageRecord & { hitRank: string; hitSeq: number; hitOldest: number; hitNewest: number | null; snippet: string };

const SNIPPET_OPTIONS = 'StartSel=<mark>, StopSel=</mark>, MaxWords=30, MinWords=10, MaxFragments=2, FragmentDelimiter=" … "';

const TSQUERY = searchQueryExpression('$2', '$3');
/** The tenant's messages that the Assistants API shows and that match: on `messages_tenant_seq_idx` or the GIN index. */
const MATCHES = `m.tenant_id = $1 AND m.item IS NULL AND m.search_vector @@ ${TSQUERY}`;
const RANK = `ts_rank(m.search_vector, ${TSQUERY})`;

/**
 * A page: the rest of the previous hit's window after it (when there is a previous hit), then the
 * best of the next window (when there is one), `limit + 1` hits in all. Parameters: $1 tenant, $2 words,
 * $3 prefixes, $4 limit + 1; after a hit, its rank, seq, oldest and (unless null) newest; then, when
 * a next window is read, RANK_WINDOW.
 *
 * The next window is the newest RANK_WINDOW matches below the current one, walked on
 * (tenant_id, seq) newest first for a common word (it stops at the RANK_WINDOW-th match) or taken
 * from the GIN index and sorted for a rare one: the statement is planned for its words each time,
 * which PostgreSQL chooses between by the column's statistics. Its oldest match bounds it in the
 * cursor, so that it stays the same set of messages while newer ones are added.
 */
function searchSql(after: boolean, newest: boolean, more: boolean): string {
  const [rank, seq, oldest, top] = ['$5', '$6', '$7', '$8'];
  const window = `$${after ? (newest ? 9 : 8) : 5}`;
  const parts: string[] = [];
  if (after) {
    parts.push(`(
      SELECT 0 AS part, m.thread_id, m.seq, ${RANK} AS rank, ${oldest}::bigint AS oldest, ${newest ? `${top}::bigint` : 'NULL::bigint'} AS newest
      FROM messages m
      WHERE ${MATCHES} AND m.seq >= ${oldest} ${newest ? `AND m.seq < ${top}` : ''} AND (${RANK}, m.seq) < (${rank}::real, ${seq}::bigint)
      ORDER BY rank DESC, m.seq DESC
      LIMIT $4)`);
  }
  if (more) {
    parts.push(`(
      SELECT 1 AS part, w.thread_id, w.seq, w.rank, CASE WHEN count(*) OVER () = ${window} THEN min(w.seq) OVER () ELSE 0 END AS oldest,
        ${after ? `${oldest}::bigint` : 'NULL::bigint'} AS newest
      FROM (
        SELECT m.thread_id, m.seq, ${RANK} AS rank
        FROM messages m
        WHERE ${MATCHES} ${after ? `AND m.seq < ${oldest}` : ''}
        ORDER BY m.seq DESC
        LIMIT ${window}::int
      ) w
      ORDER BY w.rank DESC, w.seq DESC
      LIMIT $4)`);
  }
  return `
    WITH hit AS (${parts.map((part, i) => `SELECT * FROM ${part} p${i}`).join(' UNION ALL ')} LIMIT $4)
    SELECT hit.rank::text AS "hitRank", hit.seq AS "hitSeq", hit.oldest AS "hitOldest", hit.newest AS "hitNewest",
      ts_headline('${textSearchConfig()}'::regconfig, ${MESSAGE_TEXT('m')}, ${TSQUERY}, '${SNIPPET_OPTIONS}') AS snippet,
      ${messageColumns('m')}
    FROM hit JOIN messages m ON m.thread_id = hit.thread_id AND m.seq = hit.seq
    ORDER BY hit.part, hit.rank DESC, hit.seq DESC`;
}

const statements = new Map<string, Statement>();

/** The tenant-wide search's statement (the first page, or the page after a hit) and its parameters. */
export function searchMessagesQuery(input: SearchMessagesInput): { statement: Statement; params: unknown[] } {
  const { after } = input;
  const newest = after !== undefined && after.newest !== null;
  const more = after === undefined || after.oldest > 0;
  const key = `${after !== undefined} ${newest} ${more}`;
  let query = statements.get(key);
  if (!query) {
    query = statement(searchSql(after !== undefined, newest, more), { planEachTime: true });
    statements.set(key, query);
  }
  const params: unknown[] = [input.tenant, input.search.words, input.search.prefixes, input.limit + 1];
  if (after) params.push(after.rank, after.seq, after.oldest, ...(newest ? [after.newest] : []));
  if (more) params.push(RANK_WINDOW);
  return { statement: query, params };
}

export async function searchMessages(sql: Sql, input: SearchMessagesInput): Promise<{ hits: SearchHitRecord[]; hasMore: boolean }> {
  const { statement: query, params } = searchMessagesQuery(input);
  const rows = await sql.rows<SearchRow>(query, params);
  const hasMore = rows.length > input.limit;
  const hits = rows.slice(0, input.limit).map(({ hitRank, hitSeq, hitOldest, hitNewest, snippet, ...message }) => ({
    message,
    position: { rank: hitRank, seq: hitSeq, oldest: hitOldest, newest: hitNewest },
    snippet,
  }));
  return { hits, hasMore };
}
