import 'reflect-metadata';
import { newSecretKey, hashKey } from '../auth/api-keys';
import { ApiKeysRepository } from '../auth/api-keys.repository';
import { randomBase62 } from '../common/ids';
import { ConfigError, loadConfig } from '../config/app.config';
import { runMigrations } from '../database/data-source';
import { openDatabase } from '../database/embedded-database';
import { Sql } from '../database/sql';
import { commandPool } from './cli-support';

/** Exit codes scripts can rely on. */
export const EXIT = { ok: 0, failure: 1, usage: 2, notFound: 3 } as const;

const USAGE = `Usage:
  npm run keys -- create --tenant NAME [--name LABEL]   create a key; prints its secret once
  npm run keys -- list [--json]                         id, tenant, name, created, last used, revoked
  npm run keys -- revoke ID|SECRET                      revoke a key by the id list shows, or by its secret
  npm run keys -- revoke - < secret.txt                 the same, the id or secret read from standard input

Works on the configured database: DATABASE_DIRECT_URL, else DATABASE_URL, else the embedded one
under DATA_DIR (the running service's, if it is running), after applying its pending migrations.
Exit codes: 0 done, 1 failure, 2 bad arguments, 3 no such key.`;

const TENANT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

class UsageError extends Error {}
class NotFound extends Error {}

interface Output {
  out(text: string): void;
  err(text: string): void;
}

function options(args: string[], allowed: string[]): { values: Record<string, string | true>; rest: string[] } {
  const values: Record<string, string | true> = {};
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (!arg.startsWith('--')) {
      rest.push(arg);
      continue;
    }
    const name = arg.slice(2);
    if (!allowed.includes(name)) throw new UsageError(`unknown option ${arg}`);
    if (name === 'json') values.json = true;
    else {
      const value = args[++i];
      if (value === undefined || value.startsWith('--')) throw new UsageError(`${arg} needs a value`);
      values[name] = value;
    }
  }
  return { values, rest };
}

type Command = (args: string[]) => (keys: ApiKeysRepository, io: Output) => Promise<void>;

/** Each command checks its arguments first, and only then is given the database. */
const create: Command = (args) => {
  const { values, rest } = options(args, ['tenant', 'name']);
  if (rest.length > 0) throw new UsageError(`unexpected argument ${rest[0]}`);
  const tenant = values.tenant;
  if (typeof tenant !== 'string' || !TENANT.test(tenant)) {
    throw new UsageError('--tenant NAME is required: 1 to 128 letters, digits, dots, dashes or underscores');
  }
  const name = typeof values.name === 'string' ? values.name : null;
  if (name !== null && (name.length === 0 || name.length > 128)) throw new UsageError('--name takes 1 to 128 characters');
  return async (keys, io) => {
    const secret = newSecretKey();
    const id = `key_${randomBase62(20)}`;
    await keys.create({ id, tenantId: tenant, name, hash: hashKey(secret).toString('hex') });
    io.out(secret);
    io.err(`Created key ${id} for tenant '${tenant}'. The secret above is shown once: store it now.`);
  };
};

const iso = (date: Date | null): string => (date ? date.toISOString() : '-');

const list: Command = (args) => {
  const { values, rest } = options(args, ['json']);
  if (rest.length > 0) throw new UsageError(`unexpected argument ${rest[0]}`);
  return async (keys, io) => {
    const rows = await keys.list();
    if (values.json) {
      io.out(
        JSON.stringify(
          rows.map((row) => ({
            ...row,
            created: iso(row.created),
            last_used: row.last_used && iso(row.last_used),
            revoked: row.revoked && iso(row.revoked),
          })),
        ),
      );
      return;
    }
    const table = [['ID', 'TENANT', 'NAME', 'CREATED', 'LAST USED', 'REVOKED']];
    for (const row of rows) table.push([row.id, row.tenant, row.name ?? '-', iso(row.created), iso(row.last_used), iso(row.revoked)]);
    const widths = table[0].map((_, column) => Math.max(...table.map((line) => line[column].length)));
    for (const line of table)
      io.out(
        line
          .map((cell, column) => cell.padEnd(widths[column]))
          .join('  ')
          .trimEnd(),
      );
  };
};

/** The secret read from standard input (`revoke -`): not visible in `ps` or the shell's history. */
async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').trim();
}

const revoke: Command = (args) => {
  const { rest } = options(args, []);
  if (rest.length !== 1) throw new UsageError('revoke takes one key id (as list shows it) or the secret itself, or - to read it from standard input');
  const fromStdin = rest[0] === '-';
  return async (keys, io) => {
    const target = fromStdin ? await readStdin() : rest[0];
    if (target === '') throw new UsageError('revoke: standard input held no key id or secret');
    const row = await keys.revoke(target, hashKey(target).toString('hex'));
    if (!row) throw new NotFound(`no key with the id or secret given`);
    io.out(`${row.already ? 'Already revoked' : 'Revoked'}: key ${row.id} of tenant '${row.tenant}'.`);
  };
};

const COMMANDS: Record<string, Command> = { create, list, revoke };

export async function runKeysCommand(argv: string[], io: Output): Promise<number> {
  const [command, ...args] = argv;
  if (!command || command === '--help' || command === 'help') {
    (command ? io.out : io.err)(USAGE);
    return command ? EXIT.ok : EXIT.usage;
  }
  const parse = COMMANDS[command];
  if (!parse) {
    io.err(`Unknown command '${command}'.\n\n${USAGE}`);
    return EXIT.usage;
  }
  let database: Awaited<ReturnType<typeof openDatabase>> | undefined;
  try {
    const run = parse(args);
    const config = loadConfig();
    database = await openDatabase(config, { attach: true });
    const url = config.databaseDirectUrl ?? database.url;
    const applied = await runMigrations(url);
    if (applied.length > 0) io.err(`Applied ${applied.length} pending database migration(s): ${applied.join(', ')}.`);
    const pool = commandPool({ connectionString: url, max: 1 });
    try {
      // Unnamed statements, whatever DB_POOL_MODE says: a one-off command gains nothing from preparing
      // them, and so it works through a pooler in transaction mode even when run with DATABASE_URL alone.
      await run(new ApiKeysRepository(new Sql(pool, { url, poolMode: 'transaction' })), io);
    } finally {
      await pool.end();
    }
    return EXIT.ok;
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`Error: ${error.message}\n\n${USAGE}`);
      return EXIT.usage;
    }
    if (error instanceof NotFound) {
      io.err(`Error: ${error.message}`);
      return EXIT.notFound;
    }
    io.err(`Error: ${error instanceof ConfigError ? error.message : error instanceof Error ? error.message : String(error)}`);
    return EXIT.failure;
  } finally {
    await database?.embedded?.stop();
  }
}

if (require.main === module) {
  void runKeysCommand(process.argv.slice(2), {
    out: (text) => process.stdout.write(text + '\n'),
    err: (text) => process.stderr.write(text + '\n'),
  }).then((code) => process.exit(code));
}
