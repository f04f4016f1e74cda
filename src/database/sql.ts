import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { types, type CustomTypesConfig, type Pool, type PoolClient, type QueryConfig, type QueryResult, type Submittable } from 'pg';
import type { DbPoolMode } from '../config/app.config';
import { DATABASE_SETTINGS, DatabaseSettings } from './data-source';
import { Deadlines } from '../runtime/deadlines';
import { StatementQuery } from './statement-query';
import { TimedQuery, timeoutSetter } from './timed-query';

/**
 * A parameterised statement, prepared once per connection under a name derived from its text; or, with no
 * name, sent unnamed and planned for its parameters each time it runs (see `statement`).
 */
export interface Statement {
  name?: string;
  text: string;
  /** How its results are parsed, when not as pg parses them. */
  types?: CustomTypesConfig;
}

/** json columns read by `readJson` (from their text), every other type as pg parses it. */
const jsonReadBy = (readJson: (text: string) => unknown): CustomTypesConfig => ({
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === types.builtins.JSON ? readJson : types.getTypeParser(oid, format)) as CustomTypesConfig['getTypeParser'],
});

/** One connection (a transaction's): statements are sent through pg's callbacks (see Sql). */
export interface Queryable {
  query(config: QueryConfig | string, callback: (error: Error | null, result: QueryResult) => void): void;
  query<T extends Submittable>(submittable: T): T;
}

/** How a statement's answer (or its error) is handed over. */
type Done = (error: Error | null, result?: QueryResult) => void;
/** How a statement is started on a connection, its answer handed to `done`. */
type Send = (done: Done) => void;

/** pg's own words for a statement that got no answer in time (mapped to 504 by pg-errors.ts). */
const READ_TIMEOUT = 'Query read timeout';
/** How long after its statement timeout a statement's answer is given up on. */
const READ_MARGIN_MS = 500;

interface ReadDeadline {
  fail(): void;
}

const statements = new Map<string, Statement>();

/**
 * The statement of a text, built once. `planEachTime`: sent unnamed, so that PostgreSQL plans it for the
 * values it is given every time (a custom plan) instead of settling on a generic plan after five runs, for
 * the statements whose best plan depends on a value more than planning costs (a search: see
 * MessagesRepository). `readJson`: how its json columns are read from their text, instead of JSON.parse
 * (a response that passes them through keeps the text).
 */
export function statement(text: string, options: { planEachTime?: boolean; readJson?: (text: string) => unknown } = {}): Statement {
  let found = statements.get(text);
  if (!found) {
    found = options.planEachTime ? { text } : { name: `s_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`, text };
    if (options.readJson) found.types = jsonReadBy(options.readJson);
    statements.set(text, found);
  }
  return found;
}

/** Every statement defined so far (the text of each), for the checks of what the code sends. */
export function definedStatements(): string[] {
  return [...statements.keys()];
}

/**
 * The readiness probe. Not `SELECT 1`: a connection that answers is not enough. It reads (by key,
 * no row found) every table a request uses, on the same path as the requests' statements
 * (prepared or not, with the statement timeout of the pool mode), so a missing table, a missing
 * privilege or a pooler that breaks statements makes the service unready, as it makes its
 * requests fail.
 */
const PING = statement(`
  SELECT EXISTS (SELECT 1 FROM threads WHERE id = $1 AND tenant_id = $1)
    OR EXISTS (SELECT 1 FROM messages WHERE thread_id = $1 AND id = $1)
    OR EXISTS (SELECT 1 FROM idempotency_keys WHERE tenant_id = $1 AND key = $1)
    OR EXISTS (SELECT 1 FROM api_keys WHERE id = $1)
    OR EXISTS (SELECT 1 FROM files WHERE id = $1 AND tenant_id = $1)
    OR EXISTS (SELECT 1 FROM file_chunks WHERE file_id = $1 AND n = 0) AS found`);

/** The database's time in epoch seconds, as the API's `created_at` fields are: times come from the database. */
export const NOW_SECONDS = 'extract(epoch from now())::bigint';

/** Injection token of the pg pool (the TypeORM data source's), provided once by the database module. */
export const PG_POOL = Symbol('PG_POOL');

/**
 * The repositories' access to PostgreSQL: one parameterised statement, one round trip, on the
 * pool of the TypeORM data source (no query runner, no ORM hydration).
 *
 * How a statement travels depends on the pool mode:
 * - direct: a named prepared statement; statement_timeout was set at connection start.
 * - session (a pooler that keeps a server connection per client connection): a named prepared
 *   statement; statement_timeout is SET once on each new connection (the pooler refuses it as a
 *   startup parameter), which costs one round trip per connection, not per request.
 * - transaction (the server connection changes between transactions): an unnamed statement with
 *   its statement_timeout set for its own implicit transaction, in the same round trip
 *   (timed-query.ts); no session state is ever left on a server connection.
 *
 * In every mode a statement unanswered 500 ms after its statement timeout fails with pg's 'Query
 * read timeout' (a connection that stalls without failing), and its connection is not reused. Each
 * statement is answered through pg's callback, with its deadline in a list swept a few times a
 * second (runtime/deadlines.ts): through pg's promises, or with pg's own read timeout (a timer
 * per statement), a page of rows stayed reachable long enough under load to be promoted to the
 * old generation (9-10 % of what a list request allocates, against 0.1 %).
 */
@Injectable()
export class Sql implements OnApplicationShutdown {
  readonly mode: DbPoolMode;
  private readonly timeoutMs?: number;
  private readonly setter?: string;
  private readonly timedSessions = new WeakSet<PoolClient>();
  private readonly guarded = new WeakSet<PoolClient>();
  /** Statements in flight and when their answer is given up on (unset: no statement timeout). */
  private readonly reads?: Deadlines<ReadDeadline, ReadDeadline>;

  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(DATABASE_SETTINGS) settings: DatabaseSettings,
  ) {
    this.mode = settings.poolMode ?? 'direct';
    this.timeoutMs = settings.queryTimeoutMs;
    if (this.timeoutMs) {
      this.setter = timeoutSetter(this.timeoutMs);
      this.reads = new Deadlines<ReadDeadline, ReadDeadline>(this.timeoutMs + READ_MARGIN_MS, (read) => read.fail());
    }
  }

  /** The read deadlines' sweep stops once the app has stopped serving (a test process builds many apps). */
  onApplicationShutdown(): void {
    this.reads?.close();
  }

  /**
   * The rows of one statement, on `on` or on a connection of the pool released once it is answered
   * (with the error, as pg-pool's query() does: a connection whose statement failed is not reused).
   * Through callbacks up to this one promise: a request's statement is the path every request takes.
   */
  rows<T>(query: Statement, values: unknown[], on?: Queryable): Promise<T[]> {
    return new Promise<T[]>((resolve, reject) => {
      const done: Done = (error, result) => (error ? reject(error) : resolve((result as QueryResult).rows as T[]));
      if (on) this.submit(on, query, values, done);
      else this.pooled(query, values, done);
    });
  }

  /**
   * A `COPY ... TO STDOUT` on a connection of the pool, each CopyData message handed to `copyData` as it
   * arrives (valid only during the call); sent as a statement is in the pool mode, but never prepared
   * (its text names its values: COPY takes no parameters).
   */
  copyOut(text: string, copyData: (data: Buffer) => void): Promise<void> {
    return new Promise<void>((resolve, reject) => this.pooled({ text }, [], (error) => (error ? reject(error) : resolve()), copyData));
  }

  private pooled(query: Statement, values: unknown[], done: Done, copyData?: (data: Buffer) => void): void {
    this.pool.connect((checkOutError, client) => {
      if (checkOutError || !client) return done(checkOutError ?? new Error('no connection'));
      this.guard(client);
      const send = () =>
        this.submit(
          client,
          query,
          values,
          (error, result) => {
            client.release(error ?? undefined);
            done(error, result);
          },
          copyData,
        );
      if (!this.needsSession(client)) return send();
      this.startSession(client).then(send, (error: Error) => {
        client.release(error);
        done(error);
      });
    });
  }

  /** One round trip: can requests be served (every table they use read, as their statements are sent)? */
  async ping(): Promise<void> {
    await this.rows(PING, ['']);
  }

  /** Runs `work` in one transaction on one connection: committed if it resolves, rolled back if it throws. */
  async transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    const client = await this.checkOut();
    let broken: Error | undefined;
    // A connection lost while the transaction waits on something else (an upload's next bytes) is
    // reported by an 'error' event: answered as the lost connection it is (503) rather than as the
    // "not queryable" error of the next statement, and the connection is not reused.
    let lost: Error | undefined;
    const onError = (error: Error) => (lost ??= error);
    client.on('error', onError);
    try {
      await this.startSession(client);
      await this.command(client, 'BEGIN');
      const result = await work(client);
      await this.command(client, 'COMMIT');
      return result;
    } catch (error) {
      if (!lost) await this.command(client, 'ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
      throw lost ?? error;
    } finally {
      client.off('error', onError);
      client.release(lost ?? broken);
    }
  }

  /**
   * A connection of the pool, for several statements or a statement pg-pool's query() cannot
   * send. pg-pool listens for a connection's errors only while it is idle; a connection lost while
   * checked out (or after it was released with an error and is closing) would otherwise emit an
   * 'error' nobody handles and stop the process. Its statements fail with that error anyway.
   */
  private async checkOut(): Promise<PoolClient> {
    const client = await this.pool.connect();
    this.guard(client);
    return client;
  }

  private guard(client: PoolClient): void {
    if (!this.guarded.has(client)) {
      client.on('error', () => undefined);
      this.guarded.add(client);
    }
  }

  /** The statement as sent in the pool mode: prepared, or unnamed with its timeout set in the same round trip. */
  private queryOf(query: Statement, values: unknown[], done: Done): StatementQuery {
    if (this.mode !== 'transaction') return new StatementQuery(query, values, done);
    const setter = this.setter;
    if (setter) return new TimedQuery(query, values, setter, done);
    return new StatementQuery(query, values, done, false);
  }

  private command(on: Queryable, text: string): Promise<QueryResult> {
    return new Promise((resolve, reject) =>
      this.answer(
        (done) => on.query(text, done),
        (error, result) => (error ? reject(error) : resolve(result as QueryResult)),
      ),
    );
  }

  private submit(on: Queryable, query: Statement, values: unknown[], done: Done, copyData?: (data: Buffer) => void): void {
    this.answer((answered) => {
      const sent = this.queryOf(query, values, answered);
      if (copyData) sent.copyData = copyData;
      on.query(sent as unknown as Submittable);
    }, done);
  }

  /**
   * Hands `done` a statement's answer, or pg's read timeout once it is overdue, whichever comes first, and
   * nothing after (the caller releases its connection with the timeout's error).
   */
  private answer(send: Send, done: Done): void {
    const reads = this.reads;
    if (!reads) return send(done);
    let settled = false;
    const read: ReadDeadline = { fail: () => settle(new Error(READ_TIMEOUT)) };
    const settle: Done = (error, result) => {
      if (settled) return;
      settled = true;
      reads.end(read);
      done(error, result);
    };
    reads.start(read, read);
    send(settle);
  }

  private needsSession(client: PoolClient): boolean {
    return this.mode === 'session' && !!this.timeoutMs && !this.timedSessions.has(client);
  }

  /** Session mode: the statement timeout is set once on each connection, before its first statement. */
  private async startSession(client: PoolClient): Promise<void> {
    const timeoutMs = this.timeoutMs;
    if (!timeoutMs || !this.needsSession(client)) return;
    await this.command(client, `SET statement_timeout = ${Math.floor(timeoutMs)}`);
    this.timedSessions.add(client);
  }
}
