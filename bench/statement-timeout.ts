/**
 * What each way of applying the statement timeout costs behind PgBouncer in transaction mode,
 * per statement (one indexed read by key, the shape of most requests' statements), against the
 * direct connection the service uses by default.
 *
 *   npx tsc -p bench/tsconfig.json && node bench/results/.build/bench/statement-timeout.js
 *
 * BENCH_DATABASE_URL: a server to create a scratch database on (default: the local server).
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Client, Pool, PoolClient, QueryResult } from 'pg';
import { timedQuery, timeoutSetter } from '../src/database/timed-query';
import { startPgBouncer } from '../test/support/pgbouncer';

const SERVER = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const STATEMENTS = Number(process.env.BENCH_STATEMENTS ?? 8000);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 8);
const TIMEOUT_MS = 24000;
const TEXT = 'SELECT id, tenant_id, created_at, metadata FROM threads WHERE id = $1 AND tenant_id = $2';
const NAME = 's_bench_read';

type Run = (client: PoolClient, values: unknown[]) => Promise<QueryResult>;

interface Option {
  name: string;
  pooled: boolean;
  startupTimeout?: boolean;
  run: Run;
}

const setter = timeoutSetter(TIMEOUT_MS);
const options: Option[] = [
  {
    name: 'direct: named prepared statement, timeout as a startup parameter (the default mode)',
    pooled: false,
    startupTimeout: true,
    run: (c, v) => c.query({ name: NAME, text: TEXT, values: v }),
  },
  { name: 'pooler: unnamed statement, no timeout (the floor)', pooled: true, run: (c, v) => c.query({ text: TEXT, values: v }) },
  {
    name: 'pooler: unnamed statement + set_config(..., true) in the same round trip (transaction mode)',
    pooled: true,
    run: (c, v) => timedQuery(c, { text: TEXT, values: v }, setter),
  },
  {
    name: 'pooler: BEGIN; SET LOCAL statement_timeout / statement / COMMIT (3 round trips)',
    pooled: true,
    run: async (c, v) => {
      await c.query(`BEGIN; SET LOCAL statement_timeout = ${TIMEOUT_MS}`);
      try {
        const result = await c.query({ text: TEXT, values: v });
        await c.query('COMMIT');
        return result;
      } catch (error) {
        await c.query('ROLLBACK');
        throw error;
      }
    },
  },
  {
    name: 'pooler: unnamed statement + a client-side timer that would send a cancel request',
    pooled: true,
    run: async (c, v) => {
      const timer = setTimeout(() => undefined, TIMEOUT_MS);
      try {
        return await c.query({ text: TEXT, values: v });
      } finally {
        clearTimeout(timer);
      }
    },
  },
];

async function measure(url: string, option: Option, clients: number): Promise<{ perSecond: number; p50: number; p99: number }> {
  const pool = new Pool({ connectionString: url, max: clients, ...(option.startupTimeout ? { statement_timeout: TIMEOUT_MS } : {}) });
  const latencies: number[] = [];
  const worker = async (n: number) => {
    const client = await pool.connect();
    try {
      for (let i = n; i < STATEMENTS; i += clients) {
        const started = performance.now();
        const { rows } = await option.run(client, [`thread_${i % 1000}`, 'bench']);
        latencies.push(performance.now() - started);
        if (rows.length !== 1) throw new Error(`${option.name}: expected one row`);
      }
    } finally {
      client.release();
    }
  };
  // Warm up (connections, prepared statements), then measure.
  await Promise.all(Array.from({ length: clients }, (_, n) => worker(n)));
  latencies.length = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: clients }, (_, n) => worker(n)));
  const seconds = (performance.now() - started) / 1000;
  await pool.end();
  latencies.sort((a, b) => a - b);
  return { perSecond: STATEMENTS / seconds, p50: latencies[Math.floor(latencies.length * 0.5)], p99: latencies[Math.floor(latencies.length * 0.99)] };
}

async function main(): Promise<void> {
  const database = `bench_timeout_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: SERVER });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  const directUrl = new URL(SERVER);
  directUrl.pathname = `/${database}`;
  const bouncer = await startPgBouncer({
    upstreamUrl: SERVER,
    poolMode: 'transaction',
    settings: { default_pool_size: String(CLIENTS), max_client_conn: '200' },
  });
  try {
    const setup = new Client({ connectionString: directUrl.toString() });
    await setup.connect();
    await setup.query(
      `CREATE TABLE threads (id varchar(64) PRIMARY KEY, tenant_id varchar(128) NOT NULL, created_at bigint NOT NULL, metadata json NOT NULL DEFAULT '{}')`,
    );
    await setup.query(`INSERT INTO threads SELECT 'thread_' || i, 'bench', 1700000000 + i, '{"k":"v"}' FROM generate_series(0, 999) i`);
    await setup.query('VACUUM ANALYZE threads');
    await setup.end();
    console.log(`${STATEMENTS} statements per run, PgBouncer in transaction mode, timeout ${TIMEOUT_MS} ms\n`);
    console.log('| option | 1 client: statements/s | p50 ms | p99 ms | ' + `${CLIENTS} clients: statements/s | p50 ms | p99 ms |`);
    console.log('|---|---:|---:|---:|---:|---:|---:|');
    for (const option of options) {
      const url = option.pooled ? bouncer.url(database) : directUrl.toString();
      const one = await measure(url, option, 1);
      const many = await measure(url, option, CLIENTS);
      const f = (n: number, digits = 3) => n.toFixed(digits);
      console.log(`| ${option.name} | ${f(one.perSecond, 0)} | ${f(one.p50)} | ${f(one.p99)} | ${f(many.perSecond, 0)} | ${f(many.p50)} | ${f(many.p99)} |`);
    }
  } finally {
    await bouncer.stop();
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
