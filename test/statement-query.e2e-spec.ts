import { Client, type QueryResult, type Submittable } from 'pg';
import { StatementQuery, type StatementText } from '../src/database/statement-query';
import { statement } from '../src/database/sql';
import { cloneTestDatabase } from './support/test-database';

/**
 * StatementQuery reuses a statement's column parsers and empty row from one result to the next: the
 * rows must stay what pg would have made of each result, whatever ran before on the connection.
 */
describe('StatementQuery', () => {
  let database: Awaited<ReturnType<typeof cloneTestDatabase>>;
  let client: Client;

  beforeAll(async () => {
    database = await cloneTestDatabase();
    client = new Client({ connectionString: database.directUrl });
    await client.connect();
    await client.query('CREATE TABLE shapes (id int PRIMARY KEY, body json, note text)');
    await client.query(`INSERT INTO shapes VALUES (1, '{"a":1}', 'one'), (2, NULL, 'two')`);
  });
  afterAll(async () => {
    await client.end();
    await database.drop();
  });

  const run = (query: StatementText, values: unknown[] = [], named = true) =>
    new Promise<QueryResult>((resolve, reject) => {
      client.query(new StatementQuery(query, values, (error, result) => (error ? reject(error) : resolve(result)), named) as unknown as Submittable);
    });

  it("gives each run the rows pg would, with the statement's own json reader", async () => {
    const read = statement('SELECT id, body, note FROM shapes WHERE id = ANY($1) ORDER BY id', { readJson: (text) => ({ text }) });
    for (let i = 0; i < 3; i++) {
      const result = await run(read, [[1, 2]]);
      expect(result.rows).toEqual([
        { id: 1, body: { text: '{"a":1}' }, note: 'one' },
        { id: 2, body: null, note: 'two' },
      ]);
      expect(result.rowCount).toBe(2);
      expect(result.fields.map((field) => field.name)).toEqual(['id', 'body', 'note']);
      // A row changed by its reader changes nothing of the next run's rows.
      (result.rows[0] as Record<string, unknown>).added = true;
    }
  });

  it('keeps the columns of each statement apart on one connection', async () => {
    const ids = statement('SELECT id FROM shapes ORDER BY id');
    const notes = statement('SELECT note AS id, id AS note FROM shapes ORDER BY id');
    for (let i = 0; i < 2; i++) {
      expect((await run(ids)).rows).toEqual([{ id: 1 }, { id: 2 }]);
      expect((await run(notes)).rows).toEqual([
        { id: 'one', note: 1 },
        { id: 'two', note: 2 },
      ]);
    }
  });

  it('describes the rows again when the columns change under an unnamed statement', async () => {
    const all: StatementText = { text: 'SELECT * FROM shapes WHERE id = $1' };
    expect((await run(all, [1], false)).rows).toEqual([{ id: 1, body: { a: 1 }, note: 'one' }]);
    await client.query('ALTER TABLE shapes ADD COLUMN size bigint DEFAULT 7, ALTER COLUMN note TYPE int USING id');
    expect((await run(all, [1], false)).rows).toEqual([{ id: 1, body: { a: 1 }, note: 1, size: '7' }]);
  });

  it('answers a failed statement through its callback, and the connection serves the next', async () => {
    await expect(run(statement('SELECT id / 0 AS broken FROM shapes'))).rejects.toThrow('division by zero');
    expect((await run(statement('SELECT count(*)::int AS n FROM shapes'))).rows).toEqual([{ n: 2 }]);
  });
});
