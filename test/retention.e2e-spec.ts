import { Sql } from '../src/database/sql';
import { EXIT, runPurgeCommand } from '../src/cli/purge';
import { purgeExpired, RetentionService } from '../src/retention/retention.service';
import { ThreadsRepository } from '../src/threads/threads.repository';
import { startTestApp, TestApp } from './support/test-app';

/** Retention (RETENTION_DAYS) and `npm run purge`: what expires, batches, the lock, the metric, the command. */

const DAY = 86400;
const RETENTION_LOCK = 0x72657465;
let t: TestApp;
let threads: ThreadsRepository;
const now = () => Math.floor(Date.now() / 1000);

/** Threads of `tenant`: created `ageDays` ago, with messages `messageAges` days old. */
async function seed(tenant: string, id: string, ageDays: number, messageAges: number[] = []): Promise<void> {
  await t.db.query(`INSERT INTO threads (id, tenant_id, created_at, metadata, tool_resources) VALUES ($1, $2, $3, '{}', '{}')`, [
    id,
    tenant,
    now() - ageDays * DAY,
  ]);
  for (const [i, age] of messageAges.entries()) {
    await t.db.query(
      `INSERT INTO messages (thread_id, id, tenant_id, created_at, role, content) VALUES ` +
        `($1, $2, $3, $4, 'user', '[{"type":"text","text":{"value":"x","annotations":[]}}]')`,
      [id, `msg_${id}_${i}`, tenant, now() - age * DAY],
    );
  }
}

async function remaining(): Promise<string[]> {
  const { rows } = await t.db.query<{ id: string }>(`SELECT id FROM threads ORDER BY id`);
  return rows.map((r) => r.id);
}

beforeEach(async () => {
  t = await startTestApp();
  threads = new ThreadsRepository(new Sql(t.db, { url: t.databaseUrl, poolMode: 'transaction' }));
  await seed('alpha', 'thread_old_empty', 40);
  await seed('alpha', 'thread_old_quiet', 60, [59, 45]);
  await seed('alpha', 'thread_old_active', 60, [50, 2]);
  await seed('alpha', 'thread_new', 3, [1]);
  await seed('beta', 'thread_beta_old', 90, [80]);
});

afterEach(async () => {
  await t?.close();
});

describe('retention', () => {
  it('deletes the threads whose last message, or creation, is older than the cutoff, with their messages', async () => {
    const result = await purgeExpired(threads, { cutoff: now() - 30 * DAY, batchSize: 100 });
    expect(result).toEqual({ threads: 3, messages: 3, batches: 1, busy: false });
    expect(await remaining()).toEqual(['thread_new', 'thread_old_active']);
    const { rows } = await t.db.query(`SELECT count(*)::int AS n FROM messages`);
    expect(rows[0].n).toBe(3);
  });

  it('works in batches of the given size, one callback (log line and metric) per batch', async () => {
    for (let i = 0; i < 4; i++) await seed('alpha', `thread_more_${i}`, 100);
    const batches: number[] = [];
    const result = await purgeExpired(threads, { cutoff: now() - 30 * DAY, batchSize: 2 }, (batch) => batches.push(batch.threads));
    expect(batches).toEqual([2, 2, 2, 1]);
    expect(result).toMatchObject({ threads: 7, batches: 4, busy: false });
    expect(await remaining()).toEqual(['thread_new', 'thread_old_active']);
  });

  it('runs on one instance at a time: while another holds the lock, a batch does nothing', async () => {
    const other = await t.db.connect();
    try {
      await other.query('SELECT pg_advisory_lock($1)', [RETENTION_LOCK]);
      const result = await purgeExpired(threads, { cutoff: now() - 30 * DAY, batchSize: 100 });
      expect(result).toEqual({ threads: 0, messages: 0, batches: 0, busy: true });
      expect(await remaining()).toHaveLength(5);
    } finally {
      await other.query('SELECT pg_advisory_unlock($1)', [RETENTION_LOCK]);
      other.release();
    }
    expect((await purgeExpired(threads, { cutoff: now() - 30 * DAY, batchSize: 100 })).threads).toBe(3);
  });

  it('the RETENTION_DAYS job counts what it deleted in /metrics and keeps everything when unset', async () => {
    expect(await new RetentionService(threads, { days: undefined, intervalMs: 1000, batchSize: 10 }).runOnce()).toMatchObject({ threads: 0 });
    expect(await remaining()).toHaveLength(5);
    const before = await t.http.get('/metrics');
    const counted = (text: string) => Number(/^retention_deleted_threads_total (\d+)$/m.exec(text)?.[1] ?? 'NaN');
    const service = new RetentionService(threads, { days: 30, intervalMs: 1000, batchSize: 10 });
    expect(await service.runOnce()).toMatchObject({ threads: 3, busy: false });
    const after = await t.http.get('/metrics');
    expect(counted(after.text) - counted(before.text)).toBe(3);
  });
});

describe('npm run purge', () => {
  const run = async (args: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runPurgeCommand(args, { out: (text) => out.push(text), err: (text) => err.push(text) }, { DATABASE_URL: t.databaseUrl });
    return { code, out: out.join('\n'), err: err.join('\n') };
  };

  it('counts with --dry-run, then deletes only the tenant’s expired threads', async () => {
    const dry = await run(['--tenant', 'alpha', '--older-than', '30d', '--dry-run']);
    expect(dry).toMatchObject({ code: EXIT.ok, out: "Dry run: 2 thread(s) with 2 message(s) of tenant 'alpha' would be deleted." });
    expect(await remaining()).toHaveLength(5);
    const real = await run(['--tenant', 'alpha', '--older-than', '30d']);
    expect(real).toMatchObject({ code: EXIT.ok, out: "Deleted 2 thread(s) with 2 message(s) of tenant 'alpha' in 1 batch(es)." });
    expect(await remaining()).toEqual(['thread_beta_old', 'thread_new', 'thread_old_active']);
    const hours = await run(['--tenant', 'alpha', '--older-than', '36h']);
    expect(hours.code).toBe(EXIT.ok);
    expect(await remaining()).toEqual(['thread_beta_old', 'thread_new']);
  });

  it.each([
    [[]],
    [['--tenant', 'alpha']],
    [['--tenant', 'alpha', '--older-than', '30']],
    [['--tenant', 'alpha', '--older-than', '0d']],
    [['--tenant', 'a b', '--older-than', '1d']],
    [['--tenant', 'alpha', '--older-than', '1d', '--force']],
  ])('refuses bad arguments %j with exit code 2 and deletes nothing', async (args) => {
    const result = await run(args);
    expect(result.code).toBe(EXIT.usage);
    expect(result.err).toMatch(/^Error: .*\n\nUsage:/);
    expect(await remaining()).toHaveLength(5);
  });
});
