import { Client } from 'pg';
import { searchQueryExpression } from '../../src/database/text-search';
import { searchTerms } from '../../src/messages/search-query';
import { Api, ThreadObject } from './api';
import { LoadPlan, LoadRun, LoadStats, combineRuns, runLoad } from './load';
import { cpuMs } from './processes';
import { CorpusInfo, SEARCH_INDEX, seedSearchCorpus } from './search-corpus';

/** The indexes search adds: the GIN index of the text, and the tenant's messages newest first (its windows of matches). */
const SEARCH_INDEXES = [SEARCH_INDEX, 'messages_tenant_seq_idx'];

/**
 * `npm run bench -- --search`: search on a corpus of a million messages (bench/lib/search-corpus.ts)
 * under a tenant of its own, then what the search column and its indexes cost the writes.
 */

/** The p99 the search should stay under on the benchmark machine, and the create throughput it may cost at most. */
export const SEARCH_P99_TARGET_MS = 50;
export const WRITE_RATIO_TARGET = 0.9;

/** The searches, from the most selective to the least; the mix cycles through all of them. */
export const SEARCH_QUERIES: readonly { label: string; query: string }[] = [
  { label: 'rare word', query: 'zidofa' },
  { label: 'phrase', query: '"reset my password"' },
  { label: 'prefix', query: 'conf*' },
  { label: 'common word', query: 'error' },
  { label: 'very common word', query: 'the' },
];

export interface SearchOptions {
  messages: number;
  threads: number;
  connections: number;
  /** Measured seconds per query and route. */
  duration: number;
  warmup: number;
  /** with/without alternations of the write measurement. */
  rounds: number;
  /** Connections of the write measurement (scenario 1's). */
  writeConnections: number;
}

export interface SearchTarget {
  /** The service process, for its CPU time. */
  pid: number;
  api: Api;
}

export interface SearchRow {
  route: 'tenant' | 'thread';
  label: string;
  query: string;
  /** Matching messages: in the tenant, or on average per thread searched. */
  matches: number;
  stats: LoadStats;
  cpuMsPerRequest: number;
  problem?: string;
}

export type WriteState = 'with indexes' | 'without the indexes' | 'without column and indexes';

export interface WriteRow {
  state: WriteState;
  rounds: number;
  stats: LoadStats;
  cpuMsPerRequest: number;
}

export interface SearchResults {
  corpus: Omit<CorpusInfo, 'threadIds'>;
  connections: number;
  rows: SearchRow[];
  write: WriteRow[];
  /** Create throughput without the index (or without column and index) over with it: 1 = free. */
  writeRatio: { withoutIndex?: number; withoutColumn?: number };
  p99TargetMs: number;
  writeRatioTarget: number;
}

type Log = (message: string) => void;
const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;

async function withClient<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url, application_name: 'bench-search' });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** How many of the tenant's messages match a search, and how many in each of the threads. */
async function countMatches(url: string, tenant: string, query: string, threadIds: string[]): Promise<{ tenant: number; perThread: number }> {
  const terms = searchTerms(query);
  return withClient(url, async (client) => {
    const expression = searchQueryExpression('$2', '$3');
    const all = await client.query<{ n: string }>(
      `SELECT count(*) AS n FROM messages WHERE tenant_id = $1 AND item IS NULL AND search_vector @@ ${expression}`,
      [tenant, terms.words, terms.prefixes],
    );
    const some = await client.query<{ n: string }>(
      `SELECT count(*) AS n FROM messages WHERE thread_id = ANY($1::text[]) AND item IS NULL AND search_vector @@ ${expression}`,
      [threadIds, terms.words, terms.prefixes],
    );
    return { tenant: Number(all.rows[0].n), perThread: round(Number(some.rows[0].n) / threadIds.length, 1) };
  });
}

async function check(api: Api, path: string, route: SearchRow['route']): Promise<string | undefined> {
  const { status, text } = await api.raw('GET', path);
  if (status !== 200) return `${path} answered ${status}: ${text.slice(0, 200)}`;
  const body = JSON.parse(text) as { object?: string; data?: { object?: string }[] };
  const object = route === 'tenant' ? 'thread.message.search_result' : 'thread.message';
  if (body.object !== 'list' || !Array.isArray(body.data) || body.data.some((hit) => hit.object !== object)) return `${path} answered ${text.slice(0, 200)}`;
  return undefined;
}

async function measure(target: SearchTarget, plan: LoadPlan, connections: number, warmup: number, seconds: number): Promise<{ run: LoadRun; cpu: number }> {
  const urls = [target.api.baseUrl];
  if (warmup > 0) await runLoad(urls, plan, connections, { seconds: warmup });
  const before = cpuMs(target.pid);
  const run = await runLoad(urls, plan, connections, { seconds });
  return { run, cpu: cpuMs(target.pid) - before };
}

const perRequest = (cpu: number, stats: LoadStats) => (stats.responses > 0 ? round(cpu / stats.responses, 3) : 0);

export async function runSearchBench(
  url: string,
  tenant: string,
  target: SearchTarget,
  options: SearchOptions,
  createBody: string,
  log: Log,
): Promise<SearchResults> {
  log(`search: seeding ${options.messages} messages over ${options.threads} threads with SQL (tenant '${tenant}')`);
  const corpus = await seedSearchCorpus(url, { tenant, threads: options.threads, messages: options.messages, log });
  log(`search: seeded in ${corpus.seconds} s (GIN index built in ${corpus.indexSeconds} s; table ${corpus.tableMiB} MiB, index ${corpus.indexMiB} MiB)`);
  await withClient(url, (client) => client.query('VACUUM (ANALYZE) threads, messages'));
  const { threadIds, ...corpusInfo } = corpus;

  // The in-thread search cycles through 100 threads spread over the corpus.
  const step = Math.max(1, Math.floor(threadIds.length / 100));
  const threads = threadIds.filter((_, i) => i % step === 0).slice(0, 100);
  const headers = { authorization: target.api.headers.authorization };
  const paths = (route: SearchRow['route'], query: string) =>
    route === 'tenant'
      ? [`/v1/messages/search?query=${encodeURIComponent(query)}`]
      : threads.map((thread) => `/v1/threads/${thread}/messages?query=${encodeURIComponent(query)}`);

  const rows: SearchRow[] = [];
  const matches = new Map<string, { tenant: number; perThread: number }>();
  for (const { query } of SEARCH_QUERIES) matches.set(query, await countMatches(url, tenant, query, threads));
  for (const route of ['tenant', 'thread'] as const) {
    const cases = [
      ...SEARCH_QUERIES.map((q) => ({ ...q, paths: paths(route, q.query) })),
      // The mix: every query in turn (in-thread: every query on every thread).
      { label: 'mix of the above', query: '*', paths: SEARCH_QUERIES.flatMap((q) => paths(route, q.query)) },
    ];
    for (const entry of cases) {
      const counted =
        entry.query === '*'
          ? [...matches.values()].reduce((total, m) => total + (route === 'tenant' ? m.tenant : m.perThread), 0) / SEARCH_QUERIES.length
          : route === 'tenant'
            ? (matches.get(entry.query)?.tenant ?? 0)
            : (matches.get(entry.query)?.perThread ?? 0);
      const problem = await check(target.api, entry.paths[0], route);
      const plan: LoadPlan = { requests: entry.paths.map((path) => ({ method: 'GET', path })), headers };
      if (problem) {
        log(`search ${route} ${entry.label}: skipped: ${problem}`);
        rows.push({ route, label: entry.label, query: entry.query, matches: round(counted, 1), stats: emptyStats(), cpuMsPerRequest: 0, problem });
        continue;
      }
      const { run, cpu } = await measure(target, plan, options.connections, options.warmup, options.duration);
      const row = { route, label: entry.label, query: entry.query, matches: round(counted, 1), stats: run.stats, cpuMsPerRequest: perRequest(cpu, run.stats) };
      rows.push(row);
      log(
        `search ${route === 'tenant' ? 'tenant-wide' : 'in-thread'} ${entry.label} (${entry.query}): ${run.stats.requestsPerSecond} req/s, ` +
          `p50 ${run.stats.latencyMs.p50} ms, p99 ${run.stats.latencyMs.p99} ms, non-2xx ${run.stats.non2xx}`,
      );
    }
  }

  const write = await writeCost(url, target, options, createBody, log);
  const withIndex = write.find((w) => w.state === 'with indexes');
  const ratio = (state: WriteState) => {
    const other = write.find((w) => w.state === state);
    return withIndex && other && other.stats.requestsPerSecond > 0 ? round(withIndex.stats.requestsPerSecond / other.stats.requestsPerSecond) : undefined;
  };
  return {
    corpus: corpusInfo,
    connections: options.connections,
    rows,
    write,
    writeRatio: { withoutIndex: ratio('without the indexes'), withoutColumn: ratio('without column and indexes') },
    p99TargetMs: SEARCH_P99_TARGET_MS,
    writeRatioTarget: WRITE_RATIO_TARGET,
  };
}

function emptyStats(): LoadStats {
  return {
    seconds: 0,
    responses: 0,
    requestsPerSecond: 0,
    latencyMs: { p50: 0, p90: 0, p99: 0, max: 0, mean: 0 },
    non2xx: 0,
    errors: 0,
    timeouts: 0,
    statusCodes: {},
    errorSamples: [],
  };
}

/**
 * Creates as scenario 1 does (every connection on one thread of the search tenant), on the corpus's table, in
 * three states per round: with the search column and its indexes, with the indexes dropped, and with the column
 * dropped too. Between rounds the column is added back (PostgreSQL computes it for every row) and the indexes
 * rebuilt, so that each state is measured as often, in the same order, and drift on a busy machine weighs on all.
 */
async function writeCost(url: string, target: SearchTarget, options: SearchOptions, createBody: string, log: Log): Promise<WriteRow[]> {
  const thread = await target.api.call<ThreadObject>('POST', '/v1/threads', { metadata: { bench: 'search-write' } });
  const plan: LoadPlan = { requests: [{ method: 'POST', path: `/v1/threads/${thread.id}/messages`, body: createBody }], headers: target.api.headers };
  const schema = await withClient(url, async (client) => {
    const indexes = await client.query<{ def: string }>(`SELECT pg_get_indexdef(i::regclass) AS def FROM unnest($1::text[]) i`, [SEARCH_INDEXES]);
    const column = await client.query<{ expression: string }>(
      `SELECT pg_get_expr(d.adbin, d.adrelid) AS expression FROM pg_attrdef d
       JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum
       WHERE d.adrelid = 'messages'::regclass AND a.attname = 'search_vector'`,
    );
    return { indexes: indexes.rows.map((row) => row.def), column: column.rows[0].expression };
  });
  const seconds = options.duration / options.rounds;
  const parts = new Map<WriteState, { run: LoadRun; cpu: number }[]>();
  const measureState = async (state: WriteState) => {
    const part = await measure(target, plan, options.writeConnections, options.warmup, seconds);
    parts.set(state, [...(parts.get(state) ?? []), part]);
    log(`search write cost, ${state}: ${part.run.stats.requestsPerSecond} req/s, p99 ${part.run.stats.latencyMs.p99} ms`);
  };
  const sql = (...texts: string[]) =>
    withClient(url, async (client) => {
      for (const text of texts) await client.query(text);
    });
  for (let i = 0; i < options.rounds; i++) {
    if (i > 0) {
      const began = Date.now();
      await sql(
        `SET maintenance_work_mem = '256MB'`,
        `ALTER TABLE messages ADD search_vector tsvector GENERATED ALWAYS AS (${schema.column}) STORED`,
        ...schema.indexes,
        'VACUUM (ANALYZE) messages',
      );
      log(`search write cost: column and indexes rebuilt in ${round((Date.now() - began) / 1000, 1)} s`);
    }
    await measureState('with indexes');
    await sql(`DROP INDEX ${SEARCH_INDEXES.join(', ')}`);
    await measureState('without the indexes');
    await sql('ALTER TABLE messages DROP COLUMN search_vector');
    await measureState('without column and indexes');
  }
  return [...parts.entries()].map(([state, runs]) => {
    const stats = combineRuns(runs.map((r) => r.run)).stats;
    return {
      state,
      rounds: runs.length,
      stats,
      cpuMsPerRequest: perRequest(
        runs.reduce((total, r) => total + r.cpu, 0),
        stats,
      ),
    };
  });
}
