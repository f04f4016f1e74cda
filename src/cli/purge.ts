import 'reflect-metadata';
import { loadConfig } from '../config/app.config';
import { loadDataConfig } from '../config/data.config';
import { runMigrations } from '../database/data-source';
import { openDatabase } from '../database/embedded-database';
import { Sql } from '../database/sql';
import { purgeExpired } from '../retention/retention.service';
import { ThreadsRepository } from '../threads/threads.repository';
import { commandPool, failedWith, Output, runAsMain, TENANT, UsageError } from './cli-support';

/** Exit codes scripts can rely on. */
export const EXIT = { ok: 0, failure: 1, usage: 2, busy: 3 } as const;

const USAGE = `Usage:
  npm run purge -- --tenant NAME --older-than AGE [--dry-run]

Deletes the tenant's threads (with their messages) whose last message, or creation when they have
none, is older than AGE: a number of days (30d), hours (12h), minutes (90m) or seconds (3600s).
--dry-run counts them and deletes nothing. Deletes in batches of RETENTION_BATCH_SIZE (default 100),
under the retention lock that RETENTION_DAYS's job also takes.

Works on the configured database: DATABASE_URL, else the embedded one under DATA_DIR (the running
service's, if it is running), after applying its pending migrations. Exit codes: 0 done, 1 failure,
2 bad arguments, 3 another instance holds the retention lock (run it again).`;

const UNITS: Record<string, number> = { d: 86400, h: 3600, m: 60, s: 1 };

export interface PurgeArguments {
  tenant: string;
  olderThanSeconds: number;
  dryRun: boolean;
}

export function parsePurgeArguments(args: string[]): PurgeArguments {
  let tenant: string | undefined;
  let age: string | undefined;
  let dryRun = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--dry-run') dryRun = true;
    else if (arg === '--tenant' || arg === '--older-than') {
      const value = args[++i];
      if (value === undefined || value.startsWith('--')) throw new UsageError(`${arg} needs a value`);
      if (arg === '--tenant') tenant = value;
      else age = value;
    } else throw new UsageError(arg.startsWith('--') ? `unknown option ${arg}` : `unexpected argument ${arg}`);
  }
  if (tenant === undefined || !TENANT.test(tenant)) throw new UsageError('--tenant NAME is required: 1 to 128 letters, digits, dots, dashes or underscores');
  const match = /^(\d{1,7})([dhms])$/.exec(age ?? '');
  if (!match || Number(match[1]) < 1) throw new UsageError('--older-than AGE is required: a positive number of days, hours, minutes or seconds, such as 30d');
  return { tenant, olderThanSeconds: Number(match[1]) * UNITS[match[2]], dryRun };
}

export async function runPurgeCommand(argv: string[], io: Output, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  if (argv[0] === '--help' || argv[0] === 'help') {
    io.out(USAGE);
    return EXIT.ok;
  }
  let database: Awaited<ReturnType<typeof openDatabase>> | undefined;
  try {
    const args = parsePurgeArguments(argv);
    const data = loadDataConfig(env);
    database = await openDatabase(loadConfig(env), { attach: true });
    const applied = await runMigrations(database.url);
    if (applied.length > 0) io.err(`Applied ${applied.length} pending database migration(s): ${applied.join(', ')}.`);
    const pool = commandPool({ connectionString: database.url, max: 1 });
    try {
      const threads = new ThreadsRepository(new Sql(pool, { url: database.url, poolMode: 'transaction' }));
      const cutoff = Math.floor(Date.now() / 1000) - args.olderThanSeconds;
      if (args.dryRun) {
        const found = await threads.expire({ cutoff, limit: 0, tenant: args.tenant, dryRun: true });
        io.out(`Dry run: ${found.threads} thread(s) with ${found.messages} message(s) of tenant '${args.tenant}' would be deleted.`);
        return EXIT.ok;
      }
      const result = await purgeExpired(threads, { cutoff, batchSize: data.retentionBatchSize, tenant: args.tenant }, (batch) =>
        io.err(`Deleted a batch: ${batch.threads} thread(s), ${batch.messages} message(s).`),
      );
      io.out(`Deleted ${result.threads} thread(s) with ${result.messages} message(s) of tenant '${args.tenant}' in ${result.batches} batch(es).`);
      if (result.busy) {
        io.err('Stopped: another instance holds the retention lock. Run the command again.');
        return EXIT.busy;
      }
      return EXIT.ok;
    } finally {
      await pool.end();
    }
  } catch (error) {
    return failedWith(error, USAGE, io);
  } finally {
    await database?.embedded?.stop();
  }
}

if (require.main === module) runAsMain(runPurgeCommand);
