import { Readable } from 'node:stream';
import type { Queryable } from '../../database/sql';
import type { FilesRepository } from '../files.repository';
import { nextPart, type ChunkPart, type PartPosition } from '../part-copy';
import { transferred } from '../../runtime/transfer-collections';
import type { FileStorage } from './file-storage';

/**
 * One chunk per row: 1 MiB keeps an upload's round trips well above the per-statement cost and the
 * memory of a transfer at a few chunks, whatever the file's size (a download reads a chunk in parts).
 */
export const CHUNK_BYTES = 1024 * 1024;

/**
 * The bytes of `source` in chunks of CHUNK_BYTES (the last one shorter), each filled into the buffer
 * `bufferFor()` gives (CHUNK_BYTES long), once the chunk before it has been taken.
 */
export async function* chunksOf(source: AsyncIterable<Buffer>, bufferFor: () => Buffer): AsyncGenerator<Buffer> {
  let chunk = bufferFor();
  let filled = 0;
  for await (const piece of source) {
    let offset = 0;
    while (offset < piece.length) {
      const copied = piece.copy(chunk, filled, offset);
      filled += copied;
      offset += copied;
      if (filled === CHUNK_BYTES) {
        yield chunk;
        chunk = bufferFor();
        filled = 0;
      }
    }
  }
  if (filled > 0) yield chunk.subarray(0, filled);
}

/**
 * A file's bytes in order, a part at a time from `read`, until its `bytes` are out (no read past the
 * last part), the next part read while the last one is consumed. A part read ahead settles quietly
 * when nobody waits for it any more (the consumer stopped, or failed); one that is awaited throws.
 */
export async function* partsInOrder(fileId: string, bytes: number, read: (at: PartPosition) => Promise<ChunkPart | undefined>): AsyncGenerator<Buffer> {
  const readAhead = (at: PartPosition) => {
    const part = read(at);
    part.catch(() => undefined);
    return part;
  };
  let sent = 0;
  let at: PartPosition = { n: 0, offset: 0 };
  let next = bytes > 0 ? readAhead(at) : undefined;
  while (next) {
    const part = await next;
    if (part === undefined)
      throw new Error(`File ${fileId}: chunk ${at.n} is missing${at.offset > 0 ? ` from byte ${at.offset}` : ''}, ${bytes - sent} bytes short`);
    sent += part.data.length;
    at = nextPart(at, part);
    next = sent < bytes ? readAhead(at) : undefined;
    yield part.data;
  }
}

/**
 * The chunk buffers of finished uploads, for the next ones. An upload fills its buffer for as long as
 * its client takes to send a chunk, long enough for V8 to move it to the old generation: dropped after
 * each upload, they piled up there until a full collection.
 */
const spareChunks: Buffer[] = [];
const MAX_SPARE_CHUNKS = 16;

/** Bytes in `file_chunks`, in the transaction of the file's row: any number of instances sharing the database see them, a backup holds them. */
export class PostgresFileStorage implements FileStorage {
  constructor(private readonly files: FilesRepository) {}

  /**
   * Each chunk is inserted while the next one is filled from the upload, in two buffers taken in turn
   * (the second only once the first is full): a buffer is filled again only after its insert was answered.
   */
  async write(fileId: string, source: Readable, tx: Queryable): Promise<number> {
    const buffers: Buffer[] = [];
    let taken = 0;
    const bufferFor = () => (buffers[taken++ % 2] ??= spareChunks.pop() ?? Buffer.allocUnsafe(CHUNK_BYTES));
    let n = 0;
    let total = 0;
    let inserting: Promise<void> | undefined;
    try {
      for await (const data of chunksOf(source as AsyncIterable<Buffer>, bufferFor)) {
        total += data.length;
        transferred(data.length);
        await inserting;
        inserting = this.files.insertChunk(fileId, n++, data, tx);
        // Awaited before the next insert or at the end; a failure meanwhile must not go unhandled.
        inserting.catch(() => undefined);
      }
      await inserting;
      return total;
    } finally {
      await inserting?.catch(() => undefined);
      for (const buffer of buffers) if (spareChunks.length < MAX_SPARE_CHUNKS) spareChunks.push(buffer);
    }
  }

  /** The file's bytes, a part at a time (`partsInOrder`). */
  read(fileId: string, bytes: number): Readable {
    return Readable.from(
      partsInOrder(fileId, bytes, async (at) => {
        const part = await this.files.readPart(fileId, at);
        if (part) transferred(part.data.length);
        return part;
      }),
      { objectMode: false, highWaterMark: 1 },
    );
  }

  /** The transaction's rollback took the chunks with it. */
  async discard(): Promise<void> {}

  /** Deleting a file's row deletes its chunks (ON DELETE CASCADE). */
  async remove(): Promise<void> {}
}
