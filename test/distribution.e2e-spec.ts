import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Pool } from 'pg';
import { planKeyset } from '../src/common/pagination/keyset';
import { definedStatements } from '../src/database/sql';
import { listMessagesQuery } from '../src/messages/messages.repository';
import { cloneTestDatabase, testPool } from './support/test-database';

/**
 * What keeps the schema distributable on the thread key (docs/scaling.md): on a distributed
 * engine such as Citus, a table distributed by thread_id can only enforce a primary key or a
 * unique constraint that includes thread_id, and a statement reaches one shard only when every
 * use of a distributed table is pinned to one thread_id.
 */

interface UniqueIndex {
  table: string;
  index: string;
  primary: boolean;
  columns: string[];
}

/** Every primary key and unique index (constraints are backed by one) of the public schema, with its key columns. */
async function uniqueIndexes(db: Pool): Promise<UniqueIndex[]> {
  const { rows } = await db.query<UniqueIndex>(`
    SELECT c.relname AS "table", i.relname AS "index", ix.indisprimary AS "primary",
      array(SELECT a.attname::text FROM generate_series(0, ix.indnkeyatts - 1) AS pos
            JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = ix.indkey[pos] ORDER BY pos) AS columns
    FROM pg_index ix
    JOIN pg_class c ON c.oid = ix.indrelid
    JOIN pg_class i ON i.oid = ix.indexrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND ix.indisunique`);
  return rows;
}

/** Tables holding rows of one thread: those with a thread_id column. */
async function threadScopedTables(db: Pool): Promise<string[]> {
  const { rows } = await db.query<{ table: string }>(`
    SELECT table_name AS "table" FROM information_schema.columns
    WHERE table_schema = 'public' AND column_name = 'thread_id' ORDER BY table_name`);
  return rows.map((row) => row.table);
}

/** The problems of the catalog: a thread-scoped table whose primary key or unique index leaves out thread_id, or that has no primary key. */
function catalogProblems(indexes: UniqueIndex[], scoped: string[]): string[] {
  const problems: string[] = [];
  for (const table of scoped) {
    const own = indexes.filter((index) => index.table === table);
    if (!own.some((index) => index.primary)) problems.push(`${table}: no primary key`);
    for (const index of own) {
      if (!index.columns.includes('thread_id'))
        problems.push(`${table}: ${index.primary ? 'primary key' : 'unique index'} ${index.index} (${index.columns.join(', ')}) leaves out thread_id`);
    }
  }
  for (const index of indexes.filter((i) => i.table === 'threads')) {
    if (!index.columns.includes('id')) problems.push(`threads: unique index ${index.index} (${index.columns.join(', ')}) leaves out id, the thread key`);
  }
  return problems;
}

const KEYWORDS = new Set(['where', 'set', 'on', 'using', 'left', 'right', 'inner', 'join', 'group', 'order', 'limit', 'returning', 'values', 'select']);

/** The references to `messages` in a statement that are not pinned to a thread by a thread_id condition. */
function unpinnedMessageReferences(text: string): string[] {
  const problems: string[] = [];
  const reference = /\b(FROM|JOIN|UPDATE|INTO)\s+messages\b(?:\s+(?:AS\s+)?([A-Za-z_][A-Za-z0-9_]*))?/gi;
  for (const match of text.matchAll(reference)) {
    if (match[1].toUpperCase() === 'INTO') {
      const columns = /^INTO\s+messages\s*\(([^)]*)\)/i.exec(text.slice(match.index));
      if (!columns || !/\bthread_id\b/.test(columns[1])) problems.push(`${match[0]}: the insert names no thread_id`);
      continue;
    }
    const alias = match[2] && !KEYWORDS.has(match[2].toLowerCase()) ? match[2] : undefined;
    const condition = alias ? new RegExp(`\\b${alias}\\.thread_id\\s*=`) : /(?<![.\w])(?:messages\.)?thread_id\s*=/;
    if (!condition.test(text)) problems.push(`${match[0].trim()}: no ${alias ? `${alias}.` : ''}thread_id condition`);
  }
  return problems;
}

/** Loads every source file that defines statements, and builds every variant of the message list query. */
function everyStatement(): string[] {
  const src = join(__dirname, '..', 'src');
  for (const file of readdirSync(src, { recursive: true }) as string[]) {
    if (!file.endsWith('.ts') || file.endsWith('.spec.ts') || file.endsWith('.d.ts')) continue;
    const path = join(src, file);
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loads each file for the statements it defines
    if (/\bstatement\(/.test(readFileSync(path, 'utf8')) && !file.endsWith('main.ts')) require(path);
  }
  const texts = new Set(definedStatements());
  for (const order of ['asc', 'desc'] as const) {
    for (const cursor of ['after', 'before', 'none'] as const) {
      for (const both of [false, true]) {
        for (const runId of [undefined, 'run_x']) {
          const after = cursor === 'after' || both ? 'msg_a' : undefined;
          const before = cursor === 'before' || both ? 'msg_b' : undefined;
          texts.add(listMessagesQuery({ order, plan: planKeyset(order, cursor, 20), threadId: 't', tenant: 'x', after, before, runId }).statement.text);
        }
      }
    }
  }
  return [...texts];
}

describe('the schema and the statements stay distributable on the thread key', () => {
  let database: Awaited<ReturnType<typeof cloneTestDatabase>>;
  let db: Pool;
  beforeAll(async () => {
    database = await cloneTestDatabase();
    db = testPool(database.directUrl);
  });
  afterAll(async () => {
    await db?.end();
    await database?.drop();
  });

  it('every primary key and unique constraint of a thread-scoped table includes thread_id (migrated catalog)', async () => {
    const scoped = await threadScopedTables(db);
    expect(scoped).toContain('messages');
    const indexes = await uniqueIndexes(db);
    expect(indexes.filter((index) => scoped.includes(index.table)).length).toBeGreaterThanOrEqual(2);
    expect(catalogProblems(indexes, scoped)).toEqual([]);
  });

  it('the catalog check finds a key that leaves out thread_id', async () => {
    await db.query(`CREATE TABLE scoped_probe (thread_id varchar(64) NOT NULL, id varchar(64) PRIMARY KEY, n int, UNIQUE (thread_id, n))`);
    await db.query(`CREATE UNIQUE INDEX scoped_probe_n_key ON scoped_probe (n) INCLUDE (thread_id)`);
    try {
      const scoped = await threadScopedTables(db);
      expect(catalogProblems(await uniqueIndexes(db), scoped)).toEqual([
        expect.stringMatching(/^scoped_probe: primary key scoped_probe_pkey \(id\) leaves out thread_id$/),
        expect.stringMatching(/^scoped_probe: unique index scoped_probe_n_key \(n\) leaves out thread_id$/),
      ]);
    } finally {
      await db.query(`DROP TABLE scoped_probe`);
    }
  });

  it('every statement the code defines that touches messages carries a thread_id condition', () => {
    const touching = everyStatement().filter((text) => /\bmessages\b/i.test(text));
    // The message routes' statements, the list variants and the readiness probe at least.
    expect(touching.length).toBeGreaterThanOrEqual(10);
    const problems = touching.flatMap((text) => unpinnedMessageReferences(text).map((problem) => `${problem} in: ${text.replace(/\s+/g, ' ').trim()}`));
    expect(problems).toEqual([]);
  });

  it.each([
    'SELECT * FROM messages m WHERE m.id = $1',
    'UPDATE messages SET metadata = $2 WHERE id = $1',
    'DELETE FROM messages WHERE tenant_id = $1',
    'SELECT count(*) FROM messages',
    'INSERT INTO messages (id, tenant_id, role) VALUES ($1, $2, $3)',
    'SELECT t.id FROM threads t JOIN messages m ON m.id = $2 WHERE t.id = $1',
  ])('the statement check finds a statement on messages without thread_id: %s', (text) => {
    expect(unpinnedMessageReferences(text)).not.toEqual([]);
  });
});
