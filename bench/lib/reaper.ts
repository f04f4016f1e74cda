/**
 * The reaper: a detached helper that outlives the benchmark only if the benchmark dies without cleaning up
 * (SIGKILL, a forced second Ctrl-C). It learns over IPC what to clean (temp dirs holding an embedded
 * PostgreSQL cluster, a bench database on a server); when the IPC channel closes without a `done` message it
 * stops the embedded PostgreSQL (postmaster.pid), removes the dirs and drops the database, then exits.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';

type ReaperMessage = { dir: string } | { database: { adminUrl: string; name: string } } | { done: true };

const dirs: string[] = [];
const databases: { adminUrl: string; name: string }[] = [];
let done = false;

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function stopPostgres(dir: string): Promise<void> {
  const pidFile = join(dir, 'pg', 'pg', 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 1 || !alive(pid)) return;
  process.kill(pid, 'SIGINT');
  for (let i = 0; i < 100 && alive(pid); i++) await new Promise((resolveWait) => setTimeout(resolveWait, 100));
  if (alive(pid)) process.kill(pid, 'SIGKILL');
}

async function reap(): Promise<void> {
  for (const database of databases) {
    const client = new Client({ connectionString: database.adminUrl, application_name: 'bench-reaper' });
    try {
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(database.name)} WITH (FORCE)`);
    } catch {
      // best effort
    } finally {
      await client.end().catch(() => undefined);
    }
  }
  for (const dir of dirs) {
    await stopPostgres(dir).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

if (typeof process.send === 'function') {
  process.on('message', (message: ReaperMessage) => {
    if ('dir' in message) dirs.push(message.dir);
    if ('database' in message) databases.push(message.database);
    if ('done' in message) done = true;
  });
  process.once('disconnect', () => {
    if (done) process.exit(0);
    const timer = setTimeout(() => process.exit(1), 60_000);
    void reap().finally(() => {
      clearTimeout(timer);
      process.exit(0);
    });
  });
}
