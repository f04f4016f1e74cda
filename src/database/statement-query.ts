import { Query, type CustomTypesConfig, type QueryResult } from 'pg';

/** A column of a result as pg-protocol describes it. */
interface Field {
  name: string;
  dataTypeID: number;
  format: string;
}

/** The parts of pg's Query and Result (pg 8) this file builds on; not in pg's published types. */
interface PgResult {
  fields: Field[];
  _types?: CustomTypesConfig;
  _parsers?: unknown[];
  _prebuiltEmptyResultObject: object | null;
}
interface QueryInternals {
  name?: string;
  values?: unknown[];
  queryMode?: 'extended';
  callback?: StatementCallback;
  _result: PgResult;
  _accumulateRows: boolean;
  _checkForMultirow(): void;
  handleRowDescription(message: { fields: Field[] }): void;
}
const PgQuery = Query as unknown as new (text: string) => QueryInternals;

export type StatementCallback = (error: Error | null, result: QueryResult) => void;

/** What a statement needs to be sent (see sql.ts's `Statement`). */
export interface StatementText {
  name?: string;
  text: string;
  types?: CustomTypesConfig;
}

/** How a statement's rows were last described: its columns, their parsers, the empty row pg copies for each row. */
interface RowShape {
  fields: Field[];
  parsers: unknown[];
  empty: object | null;
}

const shapes = new WeakMap<StatementText, RowShape>();

function sameFields(a: Field[], b: Field[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    if (a[i].name !== b[i].name || a[i].dataTypeID !== b[i].dataTypeID || a[i].format !== b[i].format) return false;
  }
  return true;
}

/**
 * A statement's query, as pg's own but for two per-statement costs it spares (measured under load: 3-4 %
 * and 1-4 % of a request's CPU): pg copies a query's config through its property descriptors, and, for
 * every result, builds the parsers of its columns and the empty row it copies for each row, from a
 * null-prototype object. Here the config is never built, and the parsers and empty row are those of the
 * statement's last result whose columns were the same (the same names, types and formats; else pg builds
 * them again). The pool's clients have no type parsers of their own, so a statement's parsers are the same
 * on every connection.
 */
export class StatementQuery extends PgQuery {
  /** Where the data of a `COPY ... TO STDOUT` goes, a CopyData message at a time (pointing into pg's read buffer: copied or dropped at once). */
  copyData?: (data: Buffer) => void;

  /** `named`: false sends the statement unnamed, parsed again each time (a pooler in transaction mode). */
  constructor(
    private readonly statement: StatementText,
    values: unknown[],
    callback: StatementCallback,
    named = true,
  ) {
    super(statement.text);
    this.name = named ? statement.name : undefined;
    this.values = values;
    this.callback = callback;
    if (statement.types) this._result._types = statement.types;
  }

  handleRowDescription(message: { fields: Field[] }): void {
    const known = shapes.get(this.statement);
    if (!known || !sameFields(known.fields, message.fields)) {
      super.handleRowDescription(message);
      const result = this._result;
      shapes.set(this.statement, { fields: message.fields, parsers: result._parsers ?? [], empty: result._prebuiltEmptyResultObject });
      return;
    }
    this._checkForMultirow();
    const result = this._result;
    result.fields = message.fields;
    result._parsers = known.parsers;
    result._prebuiltEmptyResultObject = known.empty;
    // As pg decides for a query answered through a callback.
    this._accumulateRows = true;
  }

  handleCopyData(message: { chunk: Buffer }): void {
    this.copyData?.(message.chunk);
  }
}
