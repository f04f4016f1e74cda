import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { messageId } from './database';
import { PHRASES, SYLLABLES, WORDS } from './words';

/**
 * The search corpus: `threads` threads with `messages` messages between them (a message to each thread in
 * turn, so that a thread's rows lie spread over the table as they would after months of traffic), inserted
 * with SQL in the form the service writes them (MessagesRepository.insert: the same columns, `created_at` =
 * `completed_at` = now in epoch seconds, one text part with empty annotations, `[]` attachments, `{}`
 * metadata, the thread's tenant, ids of `msg_` + 24 base62 characters from crypto), so that the generated
 * `search_vector` and the GIN index are built by PostgreSQL as for the service's own writes.
 *
 * Text: words drawn from a fixed list (bench/lib/words.ts) with a Zipf-like skew (word k of n with
 * probability about 1/(k ln n)); user turns of 4 to 30 words, assistant turns of 10 to 60, a sentence end
 * now and then; 3 % of the messages hold one of a few fixed phrases and 8 % one of 4,096 made-up names (three
 * syllables), the rare words. Deterministic: random() is seeded per batch.
 */
export interface CorpusOptions {
  tenant: string;
  threads: number;
  messages: number;
  /** Rows per INSERT statement. */
  batch?: number;
  log?: (message: string) => void;
}

export interface CorpusInfo {
  threads: number;
  messages: number;
  seconds: number;
  /** Seconds spent building the GIN index after the rows (it is dropped while they are inserted). */
  indexSeconds: number;
  tableMiB: number;
  indexMiB: number;
  threadIds: string[];
}

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

function threadId(): string {
  let out = '';
  while (out.length < 24) for (const byte of randomBytes(48)) if (byte < 248 && out.length < 24) out += ALPHABET[byte % 62];
  return `thread_${out}`;
}

const NOW = 'extract(epoch from now())::bigint';

/**
 * One batch: rows `$2 .. $2 + n - 1` of the corpus, ids given. Row g goes to thread `g % threads`; its
 * length comes from g (so that the words' subquery is evaluated per row), its words from random().
 */
const INSERT_BATCH = `
  INSERT INTO messages (thread_id, id, tenant_id, created_at, completed_at, role, content, attachments, metadata)
  SELECT t.id, b.id, t.tenant_id, ${NOW}, ${NOW}, b.role,
         ('[{"type":"text","text":{"value":' || to_json(w.text)::text || ',"annotations":[]}}]')::json, '[]'::json, '{}'::json
  FROM (
    SELECT m.id, $2::bigint + m.ord - 1 AS g, CASE WHEN ($2::bigint + m.ord) % 2 = 0 THEN 'user' ELSE 'assistant' END AS role
    FROM unnest($1::text[]) WITH ORDINALITY AS m(id, ord)
  ) b
  JOIN threads t ON t.id = ($3::text[])[1 + (b.g % array_length($3::text[], 1))]
  CROSS JOIN LATERAL (
    SELECT string_agg(($4::text[])[floor(power(array_length($4::text[], 1) + 1, random()))::int]
                      || CASE WHEN random() < 0.08 THEN '.' ELSE '' END, ' ')
           || CASE WHEN random() < 0.03 THEN ' ' || ($5::text[])[1 + floor(random() * array_length($5::text[], 1))::int] ELSE '' END
           || CASE WHEN random() < 0.08
                THEN ' ' || ($6::text[])[1 + floor(random() * 16)::int] || ($6::text[])[1 + floor(random() * 16)::int]
                         || ($6::text[])[1 + floor(random() * 16)::int]
                ELSE '' END AS text
    FROM generate_series(1, CASE WHEN b.role = 'user' THEN 4 + abs(hashint8(b.g)) % 27 ELSE 10 + abs(hashint8(b.g)) % 51 END)
  ) w
  ORDER BY b.g`;

export const SEARCH_INDEX = 'messages_search_idx';

export async function seedSearchCorpus(url: string, options: CorpusOptions): Promise<CorpusInfo> {
  const batch = options.batch ?? 20_000;
  const log = options.log ?? (() => undefined);
  const began = Date.now();
  const client = new Client({ connectionString: url, application_name: 'bench-search-seed' });
  await client.connect();
  try {
    const threadIds = Array.from({ length: options.threads }, threadId);
    await client.query(
      `INSERT INTO threads (id, tenant_id, created_at, metadata, tool_resources)
       SELECT id, $2, ${NOW}, '{"bench":"search"}'::json, '{}'::json FROM unnest($1::text[]) AS id`,
      [threadIds, options.tenant],
    );
    // The index is built once after the rows (far faster than a million insertions into it); its definition is read first and kept.
    const { rows } = await client.query<{ def: string }>(`SELECT pg_get_indexdef($1::regclass) AS def`, [SEARCH_INDEX]);
    const definition = rows[0].def;
    await client.query(`DROP INDEX ${SEARCH_INDEX}`);
    for (let start = 0; start < options.messages; start += batch) {
      const size = Math.min(batch, options.messages - start);
      const ids = Array.from({ length: size }, messageId);
      await client.query('SELECT setseed($1)', [((start / batch) % 1000) / 1000]);
      const result = await client.query(INSERT_BATCH, [ids, start, threadIds, WORDS, PHRASES, SYLLABLES]);
      if (result.rowCount !== size) throw new Error(`inserted ${result.rowCount} of ${size} corpus messages`);
      if ((start / batch) % 10 === 9) log(`search corpus: ${start + size} of ${options.messages} messages`);
    }
    const indexBegan = Date.now();
    await client.query(`SET maintenance_work_mem = '256MB'`);
    await client.query(definition);
    const indexSeconds = (Date.now() - indexBegan) / 1000;
    const sizes = await client.query<{ table: string; index: string }>(
      `SELECT pg_total_relation_size('messages') AS table, pg_relation_size($1::regclass) AS index`,
      [SEARCH_INDEX],
    );
    return {
      threads: options.threads,
      messages: options.messages,
      seconds: Math.round((Date.now() - began) / 100) / 10,
      indexSeconds: Math.round(indexSeconds * 10) / 10,
      tableMiB: Math.round(Number(sizes.rows[0].table) / 1048576),
      indexMiB: Math.round(Number(sizes.rows[0].index) / 1048576),
      threadIds,
    };
  } finally {
    await client.end();
  }
}
