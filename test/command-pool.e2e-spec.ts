import { commandPool } from '../src/cli/cli-support';
import { cloneTestDatabase, directUrlOf, testPool } from './support/test-database';

/**
 * The pool of a command (export, import, purge, keys): a connection the server closes while it is
 * idle does not stop the process (an 'error' event with no listener would), and the next statement
 * runs on a new connection.
 */
describe('a command pool', () => {
  it('outlives an idle connection the server closes, and carries on with a new one', async () => {
    const database = await cloneTestDatabase();
    const admin = testPool(database.url, 1);
    const pool = commandPool({ connectionString: directUrlOf(database.url), max: 1 });
    try {
      const client = await pool.connect();
      const pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
      client.release();
      const ended = new Promise((resolve) => client.once('end', resolve));
      expect((await admin.query('SELECT pg_terminate_backend($1) AS done', [pid])).rows[0].done).toBe(true);
      await ended;
      expect(pool.totalCount).toBe(0);
      const next = (await pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
      expect(next).not.toBe(pid);
    } finally {
      await pool.end();
      await admin.end();
      await database.drop();
    }
  });
});
