import { Inject, Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import type { Pool, QueryConfig, QueryResult } from 'pg';

/** A parameterised statement, prepared once per connection under a name derived from its text. */
export interface Statement {
  name: string;
  text: string;
}

/** The pool, or one connection inside a transaction. */
export interface Queryable {
  query(config: QueryConfig): Promise<QueryResult>;
}

const statements = new Map<string, Statement>();

export function statement(text: string): Statement {
  let found = statements.get(text);
  if (!found) {
    found = { name: `s_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`, text };
    statements.set(text, found);
  }
  return found;
}

const PING = statement('SELECT 1');

/** The database's time in epoch seconds, as the API's `created_at` fields are: times come from the database. */
export const NOW_SECONDS = 'extract(epoch from now())::bigint';

/** Injection token of the pg pool (the TypeORM data source's), provided once by the database module. */
export const PG_POOL = Symbol('PG_POOL');

/**
 * The repositories' access to PostgreSQL: one parameterised statement, one round trip, on the
 * pool of the TypeORM data source (no query runner, no ORM hydration).
 */
@Injectable()
export class Sql {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  async rows<T>(query: Statement, values: unknown[], on: Queryable = this.pool): Promise<T[]> {
    const result = await on.query({ name: query.name, text: query.text, values });
    return result.rows as T[];
  }

  /** One round trip that needs no table: is the database reachable? */
  async ping(): Promise<void> {
    await this.rows(PING, []);
  }

  /** Runs `work` in one transaction on one connection: committed if it resolves, rolled back if it throws. */
  async transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    // A connection lost while the transaction waits on something else (an upload's next bytes) is
    // reported by an 'error' event: heard here (unheard, it would end the process), and answered
    // as the lost connection it is rather than as the "not queryable" error of the next statement.
    let lost: Error | undefined;
    const onError = (error: Error) => (lost ??= error);
    client.on('error', onError);
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      if (!lost) await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
      throw lost ?? error;
    } finally {
      client.off('error', onError);
      client.release(lost ?? broken);
    }
  }
}
