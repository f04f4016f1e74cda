import { Readable } from 'node:stream';
import { transferred } from '../../runtime/transfer-collections';
import type { FilesRepository } from '../files.repository';
import type { ChunkPart, PartPosition } from '../part-copy';
import { CHUNK_BYTES, PostgresFileStorage } from './postgres.storage';

jest.mock('../../runtime/transfer-collections', () => ({ transferred: jest.fn() }));

/** A repository whose part reads wait until the test answers them, in the order they were asked for. */
function chunkSource() {
  const asked: { at: PartPosition; answer: (part: ChunkPart | undefined) => void; fail: (error: Error) => void }[] = [];
  const files = {
    readPart: (_fileId: string, at: PartPosition) => new Promise<ChunkPart | undefined>((answer, fail) => asked.push({ at, answer, fail })),
  } as unknown as FilesRepository;
  return { storage: new PostgresFileStorage(files), asked };
}

/** A part of `size` bytes of `fill`, of a chunk of `chunkBytes`. */
const part = (size: number, fill: number, chunkBytes = CHUNK_BYTES): ChunkPart => ({ data: Buffer.alloc(size, fill), chunkBytes });
const HALF = CHUNK_BYTES / 2;

/** Lets the stream and the generator behind it run until they wait again. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

function collect(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  return new Promise((resolve, reject) => {
    stream.on('data', (part: Buffer) => parts.push(part));
    stream.on('end', () => resolve(Buffer.concat(parts)));
    stream.on('error', reject);
  });
}

describe('PostgresFileStorage.read', () => {
  it('reads the next part while the last is consumed, on into the next chunk, and nothing past the file size', async () => {
    const { storage, asked } = chunkSource();
    const bytes = CHUNK_BYTES + 10;
    const stream = storage.read('file-a', bytes);
    const askedAtEachPart: number[] = [];
    stream.on('data', () => askedAtEachPart.push(asked.length));
    const body = collect(stream);
    await settle();
    expect(asked.map((a) => a.at)).toEqual([{ n: 0, offset: 0 }]);
    asked[0].answer(part(HALF, 1));
    await settle();
    expect(asked.map((a) => a.at)).toEqual([
      { n: 0, offset: 0 },
      { n: 0, offset: HALF },
    ]);
    asked[1].answer(part(HALF, 2));
    await settle();
    expect(asked[2].at).toEqual({ n: 1, offset: 0 });
    asked[2].answer(part(10, 3, 10));
    const content = await body;
    expect(content.length).toBe(bytes);
    expect([content[0], content[HALF], content[bytes - 1]]).toEqual([1, 2, 3]);
    await settle();
    expect(asked).toHaveLength(3);
    // Each part but the last reached the reader with the next one already asked for.
    expect(askedAtEachPart).toEqual([2, 3, 3]);
  });

  it('reads nothing for an empty file', async () => {
    const { storage, asked } = chunkSource();
    expect((await collect(storage.read('file-a', 0))).length).toBe(0);
    expect(asked).toHaveLength(0);
  });

  it('fails the stream when a chunk the size calls for is missing, rather than ending short', async () => {
    const { storage, asked } = chunkSource();
    const body = collect(storage.read('file-a', CHUNK_BYTES + 1));
    await settle();
    asked[0].answer(part(CHUNK_BYTES, 0));
    await settle();
    asked[1].answer(undefined);
    await expect(body).rejects.toThrow('chunk 1 is missing, 1 bytes short');
  });

  it('fails the stream when the rest of a chunk is missing', async () => {
    const { storage, asked } = chunkSource();
    const body = collect(storage.read('file-a', CHUNK_BYTES));
    await settle();
    asked[0].answer(part(HALF, 0));
    await settle();
    asked[1].answer(undefined);
    await expect(body).rejects.toThrow(`chunk 0 is missing from byte ${HALF}, ${HALF} bytes short`);
  });

  it('fails the stream with the error of a part read ahead, once it is reached', async () => {
    const { storage, asked } = chunkSource();
    const stream = storage.read('file-a', 2 * CHUNK_BYTES);
    const parts: Buffer[] = [];
    stream.on('data', (part: Buffer) => {
      parts.push(part);
      stream.pause();
    });
    const failed = new Promise<Error>((resolve) => stream.on('error', resolve));
    await settle();
    asked[0].answer(part(CHUNK_BYTES, 0));
    await settle();
    // Paused after the first part: the part read ahead fails while nobody waits on it.
    asked[1].fail(new Error('connection lost'));
    await settle();
    stream.resume();
    expect((await failed).message).toBe('connection lost');
    expect(parts).toHaveLength(1);
  });

  it('lets a part read ahead fail after the stream was destroyed, without an unhandled rejection', async () => {
    const { storage, asked } = chunkSource();
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const stream = storage.read('file-a', 2 * CHUNK_BYTES);
      stream.once('data', () => stream.destroy());
      const closed = new Promise((resolve) => stream.on('close', resolve));
      await settle();
      asked[0].answer(part(CHUNK_BYTES, 0));
      await closed;
      asked[1].fail(new Error('connection lost'));
      await settle();
      await settle();
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});

describe('PostgresFileStorage.write', () => {
  /** A repository that keeps each inserted chunk's buffer, and a copy of its bytes as they were at the insert. */
  function chunkSink() {
    const inserted: { fileId: string; n: number; buffer: Buffer; bytes: Buffer }[] = [];
    const files = {
      insertChunk: async (fileId: string, n: number, data: Buffer) => {
        inserted.push({ fileId, n, buffer: data, bytes: Buffer.from(data) });
        await settle();
      },
    } as unknown as FilesRepository;
    return { storage: new PostgresFileStorage(files), inserted };
  }
  const tx = {} as never;

  it('fills the next chunk while the last is inserted, never into a buffer whose insert is unanswered', async () => {
    const answers: (() => void)[] = [];
    const inserted: { n: number; buffer: Buffer; first: number }[] = [];
    const files = {
      insertChunk: (_fileId: string, n: number, data: Buffer) =>
        new Promise<void>((answer) => {
          inserted.push({ n, buffer: data, first: data[0] });
          answers.push(answer);
        }),
    } as unknown as FilesRepository;
    const storage = new PostgresFileStorage(files);
    let pulled = 0;
    async function* upload() {
      for (let i = 1; i <= 3; i++) {
        pulled = i;
        yield Buffer.alloc(CHUNK_BYTES, i);
      }
    }
    // Pulled only as the storage reads (a Readable would read ahead).
    const written = storage.write('file-p', upload() as unknown as Readable, tx);
    await settle();
    // Chunk 0 is being inserted and chunk 1 was filled meanwhile; chunk 2 waits for chunk 0's answer.
    expect([inserted.length, pulled]).toEqual([1, 2]);
    answers[0]();
    await settle();
    expect(inserted.map(({ n }) => n)).toEqual([0, 1]);
    expect(inserted[1].buffer.buffer).not.toBe(inserted[0].buffer.buffer);
    answers[1]();
    await settle();
    // Chunk 2 went into chunk 0's buffer, answered by then; chunk 1's bytes are as they were sent.
    expect(inserted[2].buffer.buffer).toBe(inserted[0].buffer.buffer);
    expect(inserted.map(({ first }) => first)).toEqual([1, 2, 3]);
    expect(inserted[1].buffer[0]).toBe(2);
    answers[2]();
    expect(await written).toBe(3 * CHUNK_BYTES);
  });

  it('waits for an insert in flight before it fails, and hands on the insert’s error', async () => {
    let fail: (error: Error) => void = () => undefined;
    let calls = 0;
    const files = {
      insertChunk: () => {
        calls++;
        return new Promise<void>((_answer, reject) => (fail = reject));
      },
    } as unknown as FilesRepository;
    const storage = new PostgresFileStorage(files);
    const written = storage.write('file-q', Readable.from([Buffer.alloc(CHUNK_BYTES, 1), Buffer.alloc(10, 2)]), tx);
    await settle();
    expect(calls).toBe(1);
    fail(new Error('insert failed'));
    await expect(written).rejects.toThrow('insert failed');
    expect(calls).toBe(1);
  });

  it('fills chunks of CHUNK_BYTES, and the next uploads reuse a finished upload’s buffer, one each at a time', async () => {
    const { storage, inserted } = chunkSink();
    const first = Buffer.alloc(CHUNK_BYTES + 5, 1);
    expect(await storage.write('file-a', Readable.from([first.subarray(0, 100), first.subarray(100)]), tx)).toBe(first.length);
    expect(inserted.map(({ n, bytes }) => [n, bytes.length, bytes[0]])).toEqual([
      [0, CHUNK_BYTES, 1],
      [1, 5, 1],
    ]);
    const buffer = inserted[0].buffer;
    const [b, c] = await Promise.all([
      storage.write('file-b', Readable.from([Buffer.alloc(10, 2)]), tx),
      storage.write('file-c', Readable.from([Buffer.alloc(20, 3)]), tx),
    ]);
    expect([b, c]).toEqual([10, 20]);
    const [forB, forC] = ['file-b', 'file-c'].map((id) => inserted.find(({ fileId }) => fileId === id)!);
    expect([forB.bytes.equals(Buffer.alloc(10, 2)), forC.bytes.equals(Buffer.alloc(20, 3))]).toEqual([true, true]);
    expect(forB.buffer.buffer === buffer.buffer || forC.buffer.buffer === buffer.buffer).toBe(true);
    expect(forB.buffer.buffer).not.toBe(forC.buffer.buffer);
  });
});

describe('PostgresFileStorage and the young collections', () => {
  const moved = transferred as jest.MockedFunction<typeof transferred>;
  beforeEach(() => moved.mockClear());

  it('counts the bytes of every part a download reads', async () => {
    const { storage, asked } = chunkSource();
    const body = collect(storage.read('file-a', HALF + 10));
    await settle();
    asked[0].answer(part(HALF, 1));
    await settle();
    asked[1].answer(part(10, 2, HALF + 10));
    await body;
    expect(moved.mock.calls).toEqual([[HALF], [10]]);
  });

  it('counts the bytes of every chunk an upload writes', async () => {
    const files = { insertChunk: async () => undefined } as unknown as FilesRepository;
    const written = await new PostgresFileStorage(files).write('file-a', Readable.from([Buffer.alloc(CHUNK_BYTES + 5, 1)]), {} as never);
    expect(written).toBe(CHUNK_BYTES + 5);
    expect(moved.mock.calls).toEqual([[CHUNK_BYTES], [5]]);
  });
});
