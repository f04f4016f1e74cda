import type { Readable } from 'node:stream';
import type { FilesRepository } from '../files.repository';
import { CHUNK_BYTES, PostgresFileStorage } from './postgres.storage';

/** A repository whose chunk reads wait until the test answers them, in the order they were asked for. */
function chunkSource() {
  const asked: { n: number; answer: (data: Buffer | undefined) => void; fail: (error: Error) => void }[] = [];
  const files = {
    readChunk: (_fileId: string, n: number) => new Promise<Buffer | undefined>((answer, fail) => asked.push({ n, answer, fail })),
  } as unknown as FilesRepository;
  return { storage: new PostgresFileStorage(files), asked };
}

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
  it('reads the next chunk while the last is consumed, and nothing past the file size', async () => {
    const { storage, asked } = chunkSource();
    const bytes = 2 * CHUNK_BYTES + 10;
    const stream = storage.read('file-a', bytes);
    const askedAtEachChunk: number[] = [];
    stream.on('data', () => askedAtEachChunk.push(asked.length));
    const body = collect(stream);
    await settle();
    expect(asked.map((a) => a.n)).toEqual([0]);
    asked[0].answer(Buffer.alloc(CHUNK_BYTES, 1));
    await settle();
    expect(asked.map((a) => a.n)).toEqual([0, 1]);
    asked[1].answer(Buffer.alloc(CHUNK_BYTES, 2));
    await settle();
    expect(asked.map((a) => a.n)).toEqual([0, 1, 2]);
    asked[2].answer(Buffer.alloc(10, 3));
    const content = await body;
    expect(content.length).toBe(bytes);
    expect([content[0], content[CHUNK_BYTES], content[bytes - 1]]).toEqual([1, 2, 3]);
    await settle();
    expect(asked).toHaveLength(3);
    // Each chunk but the last reached the reader with the next one already asked for.
    expect(askedAtEachChunk).toEqual([2, 3, 3]);
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
    asked[0].answer(Buffer.alloc(CHUNK_BYTES));
    await settle();
    asked[1].answer(undefined);
    await expect(body).rejects.toThrow('chunk 1 is missing, 1 bytes short');
  });

  it('fails the stream with the error of a chunk read ahead, once it is reached', async () => {
    const { storage, asked } = chunkSource();
    const stream = storage.read('file-a', 2 * CHUNK_BYTES);
    const parts: Buffer[] = [];
    stream.on('data', (part: Buffer) => {
      parts.push(part);
      stream.pause();
    });
    const failed = new Promise<Error>((resolve) => stream.on('error', resolve));
    await settle();
    asked[0].answer(Buffer.alloc(CHUNK_BYTES));
    await settle();
    // Paused after the first chunk: the chunk read ahead fails while nobody waits on it.
    asked[1].fail(new Error('connection lost'));
    await settle();
    stream.resume();
    expect((await failed).message).toBe('connection lost');
    expect(parts).toHaveLength(1);
  });

  it('lets a chunk read ahead fail after the stream was destroyed, without an unhandled rejection', async () => {
    const { storage, asked } = chunkSource();
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const stream = storage.read('file-a', 2 * CHUNK_BYTES);
      stream.once('data', () => stream.destroy());
      const closed = new Promise((resolve) => stream.on('close', resolve));
      await settle();
      asked[0].answer(Buffer.alloc(CHUNK_BYTES));
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
