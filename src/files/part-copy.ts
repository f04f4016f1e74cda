import { escapeLiteral, type Pool, type Submittable } from 'pg';
import { StatementQuery } from '../database/statement-query';

/** Where a read starts: chunk `n`, from byte `offset` (a whole number of slices). */
export interface PartPosition {
  n: number;
  offset: number;
}

export interface ChunkPart {
  data: Buffer;
  /** The size of the whole chunk the part is of. */
  chunkBytes: number;
}

/** Where the read after `part`, read at `at`, starts: further into the chunk, or at the next one. */
export function nextPart(at: PartPosition, part: ChunkPart): PartPosition {
  const end = at.offset + part.data.length;
  return end < part.chunkBytes ? { n: at.n, offset: end } : { n: at.n + 1, offset: 0 };
}

/**
 * A chunk's bytes per row read: each row a CopyData message of its own, well under the 64 KiB pg
 * reads off its socket at a time, so that pg never gathers a message into a larger buffer.
 */
const READ_SLICE_BYTES = 32 * 1024;
/**
 * Slices per read: a download holds 256 KiB between two reads, not a whole chunk. What a download
 * holds lives as long as the client takes to receive it; held long enough, V8 moves it to the old
 * generation, where only a full collection frees it, once tens of MiB have piled up.
 */
const READ_PART_SLICES = 8;

/**
 * The statement that reads a part of a chunk: its slices from the position on, in order, each with the
 * chunk's size, in COPY's binary format. pg hands over the bytes of a COPY as they came; a selected
 * value it decodes into a string (a bytea as hex or base64 text, allocated and decoded again for every
 * slice: 1.4 bytes of young generation for every byte sent, which made V8 collect often enough to move
 * each download's objects to the old generation). COPY takes no parameters: the id is a quoted literal
 * and the numbers are checked integers. PostgreSQL serves each slice from the TOAST chunks of its range
 * (the column is stored uncompressed).
 */
export function partCopy(fileId: string, at: PartPosition): string {
  const first = at.offset / READ_SLICE_BYTES;
  if (!Number.isSafeInteger(at.n) || at.n < 0 || !Number.isSafeInteger(first) || first < 0) throw new Error(`not a part's position: ${JSON.stringify(at)}`);
  return `COPY (
    SELECT substring(c.data FROM s.k * ${READ_SLICE_BYTES} + 1 FOR ${READ_SLICE_BYTES}), octet_length(c.data)::int4
    FROM file_chunks c
      CROSS JOIN LATERAL generate_series(${first}, least(${first + READ_PART_SLICES - 1}, (octet_length(c.data) - 1) / ${READ_SLICE_BYTES})) AS s(k)
    WHERE c.file_id = ${escapeLiteral(fileId)} AND c.n = ${at.n}
    ORDER BY s.k
  ) TO STDOUT (FORMAT binary)`;
}

/** COPY's binary header: a signature, the flags (int32), the length of an extension area (int32). */
const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
const HEADER_BYTES = SIGNATURE.length + 8;
/** A row: its field count (int16), the slice (length int32, bytes), the chunk's size (length int32, int32). */
const ROW_BYTES = 2 + 4 + READ_SLICE_BYTES + 4 + 4;
/** The most a part's COPY sends: the header, every slice whole, the trailer (int16 -1). */
const MOST_COPY_BYTES = HEADER_BYTES + READ_PART_SLICES * ROW_BYTES + 2;

/**
 * The bytes of a part's COPY, gathered as they arrive (`take`, handed each CopyData message, which
 * points into pg's read buffer and is copied at once), then read in place: the slices are moved to
 * the front of the same buffer, which becomes the part's data.
 */
export class PartCopyReader {
  private readonly raw = Buffer.allocUnsafe(MOST_COPY_BYTES);
  private length = 0;
  private overflow = false;

  readonly take = (data: Buffer): void => {
    if (this.overflow || this.length + data.length > this.raw.length) {
      this.overflow = true;
      return;
    }
    this.length += data.copy(this.raw, this.length);
  };

  /** The part, or undefined when the chunk has nothing there (past the file's last). */
  part(): ChunkPart | undefined {
    const raw = this.raw;
    const end = this.length;
    const malformed = (what: string) => new Error(`a part's COPY data: ${what}`);
    if (this.overflow) throw malformed(`more than the ${MOST_COPY_BYTES} bytes of ${READ_PART_SLICES} slices`);
    if (end < HEADER_BYTES + 2 || !raw.subarray(0, SIGNATURE.length).equals(SIGNATURE)) throw malformed('no binary header');
    let at = HEADER_BYTES + raw.readInt32BE(SIGNATURE.length + 4);
    let filled = 0;
    let chunkBytes = 0;
    let rows = 0;
    for (; ; rows++) {
      if (at + 2 > end) throw malformed('cut short');
      const fields = raw.readInt16BE(at);
      at += 2;
      if (fields === -1) break;
      if (fields !== 2 || at + 4 > end) throw malformed(`a row of ${fields} fields`);
      const sliceBytes = raw.readInt32BE(at);
      at += 4;
      if (sliceBytes < 0 || at + sliceBytes + 8 > end || raw.readInt32BE(at + sliceBytes) !== 4) throw malformed('a row cut short or null');
      raw.copyWithin(filled, at, at + sliceBytes);
      filled += sliceBytes;
      chunkBytes = raw.readInt32BE(at + sliceBytes + 4);
      at += sliceBytes + 8;
    }
    if (at !== end) throw malformed('bytes past the trailer');
    return rows === 0 ? undefined : { data: raw.subarray(0, filled), chunkBytes };
  }
}

/** How a `COPY ... TO STDOUT` is run: each CopyData message handed to `copyData` as it arrives. */
export type CopyOut = (text: string, copyData: (data: Buffer) => void) => Promise<void>;

/** A part of a file's chunk, or undefined past its last: its COPY run by `copyOut`, its data read in place. */
export async function readPart(copyOut: CopyOut, fileId: string, at: PartPosition): Promise<ChunkPart | undefined> {
  const reader = new PartCopyReader();
  await copyOut(partCopy(fileId, at), reader.take);
  return reader.part();
}

/** A part read on a connection of `pool`, as the service reads it (the benchmark's floor, the tests). */
export async function readPartOn(pool: Pool, fileId: string, at: PartPosition): Promise<ChunkPart | undefined> {
  const client = await pool.connect();
  try {
    return await readPart(
      (text, copyData) =>
        new Promise<void>((resolve, reject) => {
          const query = new StatementQuery({ text }, [], (error) => (error ? reject(error) : resolve()), false);
          query.copyData = copyData;
          client.query(query as unknown as Submittable);
        }),
      fileId,
      at,
    );
  } finally {
    client.release();
  }
}
