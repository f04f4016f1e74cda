import { bearer, KEY_A, startTestApp, TestApp } from './support/test-app';

/** /readyz reports whether requests can be served, not only whether a connection can be made. */
describe('/readyz', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  it.each(['messages', 'threads', 'idempotency_keys', 'api_keys', 'files', 'file_chunks'])(
    'is 503 while queries on %s fail, though connections succeed, and 200 again once they work',
    async (table) => {
      await t.http.get('/readyz').expect(200);
      await t.db.query(`ALTER TABLE ${table} RENAME TO ${table}_away`);
      try {
        const response = await t.http.get('/readyz');
        expect(response.status).toBe(503);
        expect(response.body.error).toBeDefined();
        // A connection is still made: the database answers queries that do not touch the table.
        expect((await t.db.query('SELECT 1 AS ok')).rows[0].ok).toBe(1);
      } finally {
        await t.db.query(`ALTER TABLE ${table}_away RENAME TO ${table}`);
      }
      await t.http.get('/readyz').expect(200);
      await t.http.post('/v1/threads').set(bearer(KEY_A)).send({}).expect(200);
    },
  );
});
