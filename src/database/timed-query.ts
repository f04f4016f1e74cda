import type { QueryResult } from 'pg';
import { StatementCallback, StatementQuery, StatementText } from './statement-query';

/** The parts of pg's Connection and Query (pg 8) this file builds on; not in pg's published types. */
interface Connection {
  parse(config: { text: string; name: string; types: unknown[] }): void;
  bind(config: { portal: string; statement: string; values: unknown[]; valueMapper: (value: unknown) => unknown }): void;
  execute(config: { portal: string; rows: number }): void;
}
interface QueryInternals {
  prepare(connection: Connection): void;
  handleDataRow(message: unknown): void;
  handleCommandComplete(message: unknown, connection: Connection): void;
}
const TimedBase = StatementQuery as unknown as new (
  statement: StatementText,
  values: unknown[],
  callback: StatementCallback,
  named: boolean,
) => StatementQuery & QueryInternals;

/** The statement that sets the timeout for the current transaction only: it ends at the Sync, so nothing outlives the statement. */
export function timeoutSetter(timeoutMs: number): string {
  return `SELECT set_config('statement_timeout', '${Math.floor(timeoutMs)}', true)`;
}

/**
 * One statement with its own statement_timeout, for a pooler in transaction mode, where neither
 * the startup parameter (PgBouncer refuses it) nor a session-level SET (the server connection is
 * shared) can carry it. The extended protocol runs everything up to a Sync in one implicit
 * transaction, so `set_config(..., true)` is written just before the statement, in the same
 * network write and the same round trip: Parse/Bind/Execute(setter), Parse/Bind/Describe/Execute
 * (statement), Sync. The setter's row and completion are not part of the result. The statement is
 * unnamed (parsed every time): a named one would be prepared on one server connection and looked
 * for on another. Measured cost: README, "Production database".
 */
export class TimedQuery extends TimedBase {
  private settingTimeout = true;

  constructor(
    statement: StatementText,
    values: unknown[],
    private readonly setter: string,
    callback: StatementCallback,
  ) {
    super(statement, values, callback, false);
    this.queryMode = 'extended';
  }

  prepare(connection: Connection): void {
    this.settingTimeout = true;
    connection.parse({ text: this.setter, name: '', types: [] });
    connection.bind({ portal: '', statement: '', values: [], valueMapper: (value) => value });
    connection.execute({ portal: '', rows: 0 });
    super.prepare(connection);
  }

  handleDataRow(message: unknown): void {
    if (!this.settingTimeout) super.handleDataRow(message);
  }

  handleCommandComplete(message: unknown, connection: Connection): void {
    if (this.settingTimeout) {
      this.settingTimeout = false;
      return;
    }
    super.handleCommandComplete(message, connection);
  }
}

/** Runs a TimedQuery on a client, answered as a promise (the benchmark of the ways to apply a timeout). */
export function timedQuery(on: { query(query: unknown): unknown }, config: { text: string; values: unknown[] }, setter: string): Promise<QueryResult> {
  return new Promise((resolve, reject) => {
    on.query(new TimedQuery(config, config.values, setter, (error, result) => (error ? reject(error) : resolve(result))));
  });
}
