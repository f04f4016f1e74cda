import { Readable } from 'node:stream';
import type { Queryable } from '../../database/sql';
import { FilesRepository } from '../files.repository';
import type { FileStorage } from './file-storage';

/**
 * One chunk per row: 1 MiB keeps a row's round trip well above the per-statement cost and the
 * memory of a transfer at a few chunks, whatever the file's size.
 */
export const CHUNK_BYTES = 1024 * 1024;

/** Bytes in `file_chunks`, in the transaction of the file's row: any number of instances sharing the database see them, a backup holds them. */
export class PostgresFileStorage implements FileStorage {
  constructor(private readonly files: FilesRepository) {}

  async write(fileId: string, source: Readable, tx: Queryable): Promise<number> {
    let chunk = Buffer.allocUnsafe(CHUNK_BYTES);
    let filled = 0;
    let n = 0;
    let total = 0;
    for await (const piece of source as AsyncIterable<Buffer>) {
      total += piece.length;
      let offset = 0;
      while (offset < piece.length) {
        const copied = piece.copy(chunk, filled, offset);
        filled += copied;
        offset += copied;
        if (filled === CHUNK_BYTES) {
          await this.files.insertChunk(fileId, n++, chunk, tx);
          // pg has written the buffer to its socket once the statement is answered: it can be reused.
          filled = 0;
        }
      }
    }
    if (filled > 0) await this.files.insertChunk(fileId, n, chunk.subarray(0, filled), tx);
    chunk = Buffer.alloc(0);
    return total;
  }

  /**
   * The file's chunks in order until its `bytes` are out (no statement past the last chunk), the next
   * chunk read while the last one is being written out.
   */
  read(fileId: string, bytes: number): Readable {
    const files = this.files;
    const readChunk = (n: number) => {
      const data = files.readChunk(fileId, n);
      // Settled while the stream waits, or after it was destroyed: its failure is seen when it is awaited.
      data.catch(() => undefined);
      return data;
    };
    async function* chunks(): AsyncGenerator<Buffer> {
      let sent = 0;
      let next = bytes > 0 ? readChunk(0) : undefined;
      for (let n = 1; next; n++) {
        const data = await next;
        if (data === undefined) throw new Error(`File ${fileId}: chunk ${n - 1} is missing, ${bytes - sent} bytes short`);
        sent += data.length;
        next = sent < bytes ? readChunk(n) : undefined;
        yield data;
      }
    }
    return Readable.from(chunks(), { objectMode: false, highWaterMark: 1 });
  }

  /** The transaction's rollback took the chunks with it. */
  async discard(): Promise<void> {}

  /** Deleting a file's row deletes its chunks (ON DELETE CASCADE). */
  async remove(): Promise<void> {}
}
