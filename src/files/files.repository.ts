import { Injectable } from '@nestjs/common';
import { SortOrder } from '../common/pagination/list-query.dto';
import { NOW_SECONDS as NOW, Queryable, Sql, Statement, statement } from '../database/sql';
import { FilePurpose, FileRecord } from './file.entity';
import { ChunkPart, PartPosition, readPart } from './part-copy';

/** A file that has not expired: every statement that reads or names a file applies it. */
export const liveFile = (alias: string): string => `(${alias}.expires_at IS NULL OR ${alias}.expires_at > ${NOW})`;

/**
 * SQL for a CTE of other features' statements (messages, threads): the position (1-based) of the
 * first id of the array `ids` that names no live file of the tenant `tenant`; no row when all do.
 * Another tenant's file is a missing one.
 */
export function firstMissingFile(ids: string, tenant: string): string {
  return `SELECT r.ord FROM unnest(${ids}::varchar[]) WITH ORDINALITY AS r(id, ord)
    WHERE NOT EXISTS (SELECT 1 FROM files f WHERE f.id = r.id AND f.tenant_id = ${tenant} AND ${liveFile('f')})
    ORDER BY r.ord LIMIT 1`;
}

/** The columns of a FileRecord, for the statements of other features that select files (the export's). */
export const FILE_COLUMNS = (alias: string) =>
  [
    `${alias}.id`,
    `${alias}.bytes`,
    `${alias}.created_at AS "createdAt"`,
    `${alias}.expires_at AS "expiresAt"`,
    `${alias}.filename`,
    `${alias}.purpose`,
    `${alias}.content_type AS "contentType"`,
  ].join(', ');

/** Inserted before its bytes, in the same transaction; `bytes` is set when they are all stored. */
const INSERT = statement(`
  INSERT INTO files (id, tenant_id, bytes, created_at, expires_at, filename, purpose, content_type)
  VALUES ($1, $2, 0, ${NOW}, ${NOW} + $3::bigint, $4, $5, $6)
  RETURNING ${FILE_COLUMNS('files')}`);
const COMPLETE = statement(
  `UPDATE files SET bytes = $2, filename = $3, purpose = $4, expires_at = created_at + $5::bigint WHERE id = $1 RETURNING ${FILE_COLUMNS('files')}`,
);
const FIND = statement(`SELECT ${FILE_COLUMNS('f')} FROM files f WHERE f.id = $1 AND f.tenant_id = $2 AND ${liveFile('f')}`);
const DELETE = statement(`DELETE FROM files f WHERE f.id = $1 AND f.tenant_id = $2 AND ${liveFile('f')} RETURNING f.id`);
/** A bounded batch, so that one purge never holds locks on every expired file at once. */
const DELETE_EXPIRED = statement(`
  DELETE FROM files WHERE id IN (SELECT id FROM files WHERE expires_at <= ${NOW} ORDER BY expires_at LIMIT $1) RETURNING id`);
const INSERT_CHUNK = statement(`INSERT INTO file_chunks (file_id, n, data) VALUES ($1, $2, $3)`);
/** The statements of an upload and a download (its parts are read by `readPart`), for the benchmark's floor to run as they are. */
export const FILE_TRANSFER_STATEMENTS = { insert: INSERT, complete: COMPLETE, find: FIND, insertChunk: INSERT_CHUNK };

/** The tenant's live files in their order from an order key: the export's walk on (tenant_id, seq). */
const EXPORT_FROM = statement(`
  SELECT f.seq, ${FILE_COLUMNS('f')} FROM files f
  WHERE f.tenant_id = $1 AND f.seq > $2 AND ${liveFile('f')} ORDER BY f.tenant_id, f.seq LIMIT $3`);
/** A file as given (id, times, size): the import's; bytes follow in the same transaction. */
const INSERT_AS_GIVEN = statement(`
  INSERT INTO files (id, tenant_id, bytes, created_at, expires_at, filename, purpose, content_type)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING RETURNING id`);
const OWNER = statement(`SELECT tenant_id AS "tenantId" FROM files WHERE id = $1`);
/** Expired or not: an import compares what it would write with what is there. */
const FIND_STORED = statement(`SELECT ${FILE_COLUMNS('f')} FROM files f WHERE f.id = $1 AND f.tenant_id = $2`);

export type FilePage = { kind: 'no-cursor' } | { kind: 'page'; files: FileRecord[]; hasMore: boolean };

export interface ListFilesInput {
  tenant: string;
  order: SortOrder;
  limit: number;
  after?: string;
  purpose?: string;
}

export interface NewFile {
  id: string;
  tenant: string;
  filename: string;
  purpose: FilePurpose;
  contentType: string;
  /** Seconds from creation to expiry, or null. */
  expiresAfter: number | null;
}

type ListRow = { afterSeq: number | null } & (FileRecord | { [K in keyof FileRecord]: null });

/** Every statement on `files` and `file_chunks`: each one parameterised, prepared, and scoped by tenant where a client names a file. */
@Injectable()
export class FilesRepository {
  constructor(private readonly sql: Sql) {}

  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.sql.transaction(work);
  }

  async insert(file: NewFile, tx: Queryable): Promise<FileRecord> {
    const params = [file.id, file.tenant, file.expiresAfter, file.filename, file.purpose, file.contentType];
    return (await this.sql.rows<FileRecord>(INSERT, params, tx))[0];
  }

  /** Once the bytes are stored: their count, and the form fields that may have come after the file part. */
  async complete(id: string, bytes: number, fields: Pick<NewFile, 'filename' | 'purpose' | 'expiresAfter'>, tx: Queryable): Promise<FileRecord> {
    return (await this.sql.rows<FileRecord>(COMPLETE, [id, bytes, fields.filename, fields.purpose, fields.expiresAfter], tx))[0];
  }

  async find(tenant: string, id: string): Promise<FileRecord | undefined> {
    return (await this.sql.rows<FileRecord>(FIND, [id, tenant]))[0];
  }

  /** Up to `limit` live files of the tenant after the order key `afterSeq`, in upload order. */
  async exportFrom(tenant: string, afterSeq: number, limit: number): Promise<(FileRecord & { seq: number })[]> {
    return this.sql.rows<FileRecord & { seq: number }>(EXPORT_FROM, [tenant, afterSeq, limit]);
  }

  /** Stores a file's row as given: 'inserted'; 'exists' (the tenant's already); 'taken' (another tenant's id). */
  async insertAsGiven(tenant: string, file: FileRecord, tx: Queryable): Promise<'inserted' | 'exists' | 'taken'> {
    const params = [file.id, tenant, file.bytes, file.createdAt, file.expiresAt, file.filename, file.purpose, file.contentType];
    if ((await this.sql.rows(INSERT_AS_GIVEN, params, tx)).length > 0) return 'inserted';
    const owner = (await this.sql.rows<{ tenantId: string }>(OWNER, [file.id], tx))[0];
    return owner?.tenantId === tenant ? 'exists' : 'taken';
  }

  /** The tenant's file, expired or not. */
  async findStored(tenant: string, id: string, on?: Queryable): Promise<FileRecord | undefined> {
    return (await this.sql.rows<FileRecord>(FIND_STORED, [id, tenant], on))[0];
  }

  /** True when the file was deleted (its chunks go with it). */
  async delete(tenant: string, id: string): Promise<boolean> {
    return (await this.sql.rows<{ id: string }>(DELETE, [id, tenant])).length > 0;
  }

  /** Deletes up to `batch` expired files; their ids, so that their bytes can be removed wherever they are. */
  async deleteExpired(batch: number): Promise<string[]> {
    return (await this.sql.rows<{ id: string }>(DELETE_EXPIRED, [batch])).map((row) => row.id);
  }

  async insertChunk(fileId: string, n: number, data: Buffer, tx: Queryable): Promise<void> {
    await this.sql.rows(INSERT_CHUNK, [fileId, n, data], tx);
  }

  /** A part of a file's chunk, or undefined past its last. */
  async readPart(fileId: string, at: PartPosition): Promise<ChunkPart | undefined> {
    return readPart((text, copyData) => this.sql.copyOut(text, copyData), fileId, at);
  }

  /** A page of `limit` files (`limit + 1` are fetched: the extra one only says that more lie beyond), the cursor resolved in the same statement. */
  async list(input: ListFilesInput): Promise<FilePage> {
    const params: unknown[] = [input.tenant];
    if (input.after !== undefined) params.push(input.after);
    if (input.purpose !== undefined) params.push(input.purpose);
    params.push(input.limit + 1);
    const rows = await this.sql.rows<ListRow>(listStatement(input.order, input.after !== undefined, input.purpose !== undefined), params);
    if (input.after !== undefined && rows[0].afterSeq === null) return { kind: 'no-cursor' };
    const files = rows.filter((row): row is ListRow & FileRecord => row.id !== null);
    const hasMore = files.length > input.limit;
    return { kind: 'page', files: hasMore ? files.slice(0, input.limit) : files, hasMore };
  }
}

const variants = new Map<string, Statement>();

/** One row at least: the cursor's order key (null when `after` names no live file of the tenant) and the page, if any. */
function listStatement(order: SortOrder, after: boolean, purpose: boolean): Statement {
  const key = `${order} ${after} ${purpose}`;
  let found = variants.get(key);
  if (found) return found;
  let next = 2;
  const where = ['f.tenant_id = $1', liveFile('f')];
  let cursor = 'SELECT NULL::bigint AS seq';
  if (after) {
    cursor = `SELECT c.seq FROM files c WHERE c.id = $${next++} AND c.tenant_id = $1 AND ${liveFile('c')}`;
    where.push(`f.seq ${order === 'asc' ? '>' : '<'} (SELECT seq FROM cursor)`);
  }
  if (purpose) where.push(`f.purpose = $${next++}`);
  const direction = order === 'asc' ? 'ASC' : 'DESC';
  found = statement(`
    WITH cursor AS (${cursor})
    SELECT (SELECT seq FROM cursor) AS "afterSeq", page.*
    FROM (SELECT 1) one
    LEFT JOIN LATERAL (
      SELECT ${FILE_COLUMNS('f')} FROM files f
      WHERE ${where.join(' AND ')}
      ORDER BY f.tenant_id ${direction}, f.seq ${direction}
      LIMIT $${next}
    ) page ON true`);
  variants.set(key, found);
  return found;
}
