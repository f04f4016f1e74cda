import { request as httpRequest } from 'node:http';
import { Client } from 'pg';
import { bearer, KEY_A, startTestApp, TestApp } from './support/test-app';
import { directUrlOf } from './support/test-database';

/** Uploads that do not finish: nothing of them is left behind. */
describe('interrupted uploads', () => {
  let t: TestApp & { url?: string };
  beforeAll(async () => {
    t = await startTestApp({ listen: true, files: { references: 'strict' } });
  });
  afterAll(() => t.close());

  const counts = async () => (await t.db.query('SELECT (SELECT count(*) FROM files)::int AS files, (SELECT count(*) FROM file_chunks)::int AS chunks')).rows[0];

  /** Polls the database (not a clock) until the server's upload transaction has written chunks, or has ended. */
  async function until(condition: string): Promise<void> {
    const client = new Client({ connectionString: directUrlOf(t.databaseUrl) });
    await client.connect();
    try {
      for (;;) {
        const { rows } = await client.query(condition);
        if (rows[0].ok) return;
        await new Promise((resolve) => setImmediate(resolve));
      }
    } finally {
      await client.end();
    }
  }

  it('a client that disconnects mid-upload leaves no row and no chunk', async () => {
    const boundary = 'abortboundary';
    const url = new URL('/v1/files', t.url);
    const request = httpRequest(url, {
      method: 'POST',
      headers: { ...bearer(KEY_A), 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(64 * 1024 * 1024) },
    });
    request.on('error', () => undefined);
    request.write(
      `--${boundary}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nassistants\r\n` +
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\n\r\n`,
    );
    // Three chunks' worth: the server has stored some of it in its (uncommitted) transaction.
    request.write(Buffer.alloc(3 * 1024 * 1024 + 10, 7));
    await until(
      `SELECT count(*) > 0 AS ok FROM pg_stat_activity WHERE datname = current_database() ` +
        `AND state = 'idle in transaction' AND query LIKE '%INSERT INTO file_chunks%'`,
    );
    request.destroy();
    await until(`SELECT count(*) = 0 AS ok FROM pg_stat_activity WHERE datname = current_database() AND state LIKE '%in transaction%'`);
    expect(await counts()).toEqual({ files: 0, chunks: 0 });
    // The service still answers.
    expect((await t.http.get('/v1/files').set(bearer(KEY_A))).body.data).toEqual([]);
  });
});
