import { createReadStream } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { Pool, types, type PoolConfig } from 'pg';
import { isWellFormedId } from '../common/ids';
import { loadConfig } from '../config/app.config';
import { runMigrations } from '../database/data-source';
import { openDatabase } from '../database/embedded-database';
import { Sql } from '../database/sql';

export class UsageError extends Error {}

/** The exit code of a command that failed: a usage error prints the usage (2), anything else its message (1). */
export function failedWith(error: unknown, usage: string, io: Output): 1 | 2 {
  if (error instanceof UsageError) {
    io.err(`Error: ${error.message}\n\n${usage}`);
    return 2;
  }
  io.err(`Error: ${error instanceof Error ? error.message : String(error)}`);
  return 1;
}

/** Runs a command as the process: its lines on stdout and stderr, its result as the exit code. */
export function runAsMain(command: (args: string[], io: Output) => Promise<number>): void {
  void command(process.argv.slice(2), {
    out: (text) => process.stdout.write(text + '\n'),
    err: (text) => process.stderr.write(text + '\n'),
    // On a terminal: one line rewritten in place (carriage return, then erase the line).
    status: process.stderr.isTTY ? (text) => process.stderr.write(`\r\x1b[2K${text}`) : undefined,
  }).then((code) => process.exit(code));
}

export interface Output {
  out(text: string): void;
  err(text: string): void;
  /** Where stderr is a terminal: replaces the status line (a progress bar) at the bottom of it; '' erases it. */
  status?(text: string): void;
}

export const TENANT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** `--name value` options (and `flags` without a value); anything else is a usage error. */
export function parseOptions(args: string[], valued: string[], flags: string[] = []): Record<string, string | true> {
  const values: Record<string, string | true> = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const name = arg.startsWith('--') ? arg.slice(2) : undefined;
    if (name !== undefined && flags.includes(name)) values[name] = true;
    else if (name !== undefined && valued.includes(name)) {
      const value = args[++i];
      if (value === undefined || value.startsWith('--')) throw new UsageError(`${arg} needs a value`);
      values[name] = value;
    } else throw new UsageError(name !== undefined ? `unknown option ${arg}` : `unexpected argument ${arg}`);
  }
  return values;
}

/** An integer option from `min` to `max`, or `fallback` when it is not given. */
export function integerOption(values: Record<string, string | true>, name: string, min: number, max: number, fallback: number): number {
  const value = values[name];
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !/^\d+$/.test(value) || Number(value) < min || Number(value) > max)
    throw new UsageError(`--${name} takes an integer from ${min} to ${max}`);
  return Number(value);
}

/**
 * The lines of a file (LF or CRLF), read as they are asked for. Not readline: its iterator reads
 * up to 1,024 lines ahead of its reader, which with lines of file chunks (about 350 KB each) would
 * hold hundreds of megabytes while the database catches up.
 */
export async function* linesOf(file: string): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  let pieces: string[] = [];
  const line = (last: string) => {
    pieces.push(last);
    const text = pieces.join('');
    pieces = [];
    return text.endsWith('\r') ? text.slice(0, -1) : text;
  };
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    const text = decoder.write(chunk);
    let start = 0;
    for (let end = text.indexOf('\n'); end !== -1; end = text.indexOf('\n', start)) {
      yield line(text.slice(start, end));
      start = end + 1;
    }
    if (start < text.length) pieces.push(text.slice(start));
  }
  const rest = decoder.end();
  if (rest !== '' || pieces.length > 0) yield line(rest);
}

/** The thread ids a file lists, one a line (blank lines skipped); a line that cannot be an id is a usage error. */
export async function* threadIdsIn(file: string): AsyncGenerator<string> {
  for await (const raw of linesOf(file)) {
    const id = raw.trim();
    if (id === '') continue;
    if (!isWellFormedId(id)) throw new UsageError(`${file}: '${raw.trim().slice(0, 80)}' is not a thread id`);
    yield id;
  }
}

export function tenantOption(values: Record<string, string | true>): string {
  const tenant = values.tenant;
  if (typeof tenant !== 'string' || !TENANT.test(tenant))
    throw new UsageError('--tenant NAME is required: 1 to 128 letters, digits, dots, dashes or underscores');
  return tenant;
}

/**
 * A command's pool. An idle connection the server closes (a restart, or the database dropped just as
 * the command ends) is an 'error' event of the pool, which would stop the process unheard: the next
 * statement takes a new connection, and a statement's own failure is reported where it runs.
 */
export function commandPool(config: PoolConfig): Pool {
  const pool = new Pool(config);
  pool.on('error', () => undefined);
  return pool;
}

/** The configured database (DATABASE_URL, else the embedded one, the running service's if it runs), migrated, as one Sql. */
export async function withDatabase<T>(env: NodeJS.ProcessEnv, io: Output, work: (sql: Sql) => Promise<T>, connections = 2): Promise<T> {
  const database = await openDatabase(loadConfig(env), { attach: true });
  try {
    const applied = await runMigrations(database.url);
    if (applied.length > 0) io.err(`Applied ${applied.length} pending database migration(s): ${applied.join(', ')}.`);
    // bigint columns (times, order keys) as numbers, as the service reads them (parseInt8).
    const getTypeParser = ((oid: number, format?: 'text' | 'binary') =>
      oid === types.builtins.INT8 ? (value: string) => Number(value) : types.getTypeParser(oid, format)) as typeof types.getTypeParser;
    const pool = commandPool({ connectionString: database.url, max: connections, types: { getTypeParser } });
    try {
      return await work(new Sql(pool, { url: database.url, poolMode: 'transaction' }));
    } finally {
      await pool.end();
    }
  } finally {
    await database.embedded?.stop();
  }
}
