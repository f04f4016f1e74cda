import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Client } from 'pg';
import type { EmbeddedPostgres as EmbeddedPostgresClass } from '../../src/database/embedded-postgres';
import { onCleanup, registerDatabase } from './processes';

export interface BenchDatabase {
  /** URL of the fresh `bench_<random>` database the service, the floor and the seeding use. */
  url: string;
  name: string;
  kind: 'embedded' | 'DATABASE_URL';
  serverVersion: string;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

async function withClient<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url, application_name: 'bench' });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * A fresh database: on the server of DATABASE_URL when it is set (created as `bench_<random>` and dropped at
 * the end), else in a fresh embedded PostgreSQL cluster in `tempDir` (the service's own EmbeddedPostgres
 * from dist/, deleted at the end).
 */
export async function provisionDatabase(root: string, tempDir: string): Promise<BenchDatabase> {
  const name = `bench_${randomBytes(6).toString('hex')}`;
  let adminUrl = process.env.DATABASE_URL;
  let kind: BenchDatabase['kind'] = 'DATABASE_URL';
  if (adminUrl) {
    const host = new URL(adminUrl).hostname;
    if (!LOOPBACK.has(host)) throw new Error(`DATABASE_URL must point at 127.0.0.1 (the benchmark runs on loopback only), got host '${host}'`);
  } else {
    kind = 'embedded';
    const modulePath = join(root, 'dist', 'database', 'embedded-postgres.js');
    const { EmbeddedPostgres } = (await import(modulePath)) as { EmbeddedPostgres: typeof EmbeddedPostgresClass };
    const embedded = new EmbeddedPostgres({ dataDir: join(tempDir, 'pg'), ephemeral: true });
    onCleanup('embedded PostgreSQL', () => embedded.stop());
    adminUrl = await embedded.start();
  }
  const admin = adminUrl;
  const serverVersion = await withClient(admin, async (client) => {
    await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
    return String((await client.query<{ server_version: string }>('SHOW server_version')).rows[0].server_version);
  });
  if (kind === 'DATABASE_URL') {
    registerDatabase(admin, name);
    onCleanup(`drop database ${name}`, () =>
      withClient(admin, (client) => client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(name)} WITH (FORCE)`)).then(() => undefined),
    );
  }
  return { url: withDatabase(admin, name), name, kind, serverVersion };
}

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** The service's message id: `msg_` and 24 uniform base62 characters from crypto (src/common/ids.ts). */
export function messageId(): string {
  let out = '';
  while (out.length < 24) {
    for (const byte of randomBytes(48)) {
      if (byte < 248 && out.length < 24) out += ALPHABET[byte % 62];
    }
  }
  return `msg_${out}`;
}

/**
 * Inserts `count` user text messages into a thread exactly as the service's MessagesRepository.insert
 * does (same columns and values: created_at = completed_at = now in epoch seconds, content as stored text
 * parts, attachments [] and metadata {}, the tenant taken from the thread), in batches in key order.
 */
export async function insertMessagesSql(url: string, threadId: string, count: number, text: (i: number) => string): Promise<void> {
  await withClient(url, async (client) => {
    const batch = 5000;
    for (let start = 0; start < count; start += batch) {
      const size = Math.min(batch, count - start);
      const ids: string[] = [];
      const contents: string[] = [];
      for (let i = 0; i < size; i++) {
        ids.push(messageId());
        contents.push(JSON.stringify([{ type: 'text', text: { value: text(start + i), annotations: [] } }]));
      }
      const result = await client.query(
        `INSERT INTO messages (thread_id, id, tenant_id, created_at, completed_at, role, content, attachments, metadata)
         SELECT t.id, m.id, t.tenant_id, extract(epoch from now())::bigint, extract(epoch from now())::bigint,
                'user', m.content::json, '[]'::json, '{}'::json
         FROM threads t, unnest($2::text[], $3::text[]) WITH ORDINALITY AS m(id, content, ord)
         WHERE t.id = $1
         ORDER BY m.ord`,
        [threadId, ids, contents],
      );
      if (result.rowCount !== size) throw new Error(`inserted ${result.rowCount} of ${size} messages into ${threadId}`);
    }
  });
}

export function countMessages(url: string, threadId: string): Promise<number> {
  return withClient(url, async (client) => {
    const { rows } = await client.query<{ n: string }>('SELECT count(*) AS n FROM messages WHERE thread_id = $1', [threadId]);
    return Number(rows[0].n);
  });
}

/** Ids of the messages at the given 0-based positions of the thread in key (creation) order. */
export function messageIdsAt(url: string, threadId: string, positions: number[]): Promise<string[]> {
  return withClient(url, async (client) => {
    const { rows } = await client.query<{ id: string }>(
      `SELECT id FROM (SELECT id, row_number() OVER (ORDER BY seq) - 1 AS position FROM messages WHERE thread_id = $1) m
       WHERE position = ANY($2::bigint[]) ORDER BY position`,
      [threadId, positions],
    );
    return rows.map((row) => row.id);
  });
}

/** Statistics and visibility map up to date after seeding, as a settled production table would be. */
export function vacuumAnalyze(url: string): Promise<void> {
  return withClient(url, (client) => client.query('VACUUM (ANALYZE) threads, messages')).then(() => undefined);
}
