import type { Readable } from 'node:stream';
import type { Queryable } from '../../database/sql';

/** Injection token of the configured FileStorage. */
export const FILE_STORAGE = Symbol('FILE_STORAGE');

/**
 * Where a file's bytes live. The file's row is written in a transaction (`tx`) around `write`:
 * bytes stored in the database commit or roll back with it; bytes stored elsewhere are removed
 * by `discard` when the transaction does not commit.
 */
export interface FileStorage {
  /** Stores the bytes of `source` under the file's id, in order; resolves to their count. */
  write(fileId: string, source: Readable, tx: Queryable): Promise<number>;
  /** The stored bytes, streamed. */
  read(fileId: string, bytes: number): Readable;
  /** Undoes a `write` whose transaction did not commit; never throws. */
  discard(fileId: string): Promise<void>;
  /** Removes the bytes of files whose rows were deleted. */
  remove(fileIds: readonly string[]): Promise<void>;
}
