import { nextPart, PartCopyReader } from './part-copy';

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');

function int16(value: number): Buffer {
  const buffer = Buffer.alloc(2);
  buffer.writeInt16BE(value);
  return buffer;
}

function int32(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeInt32BE(value);
  return buffer;
}

const header = (extension = Buffer.alloc(0)) => Buffer.concat([SIGNATURE, int32(0), int32(extension.length), extension]);
const row = (slice: Buffer, chunkBytes: number) => Buffer.concat([int16(2), int32(slice.length), slice, int32(4), int32(chunkBytes)]);
const TRAILER = int16(-1);

/** The reader fed `copy` in messages of `size` bytes (a COPY's data may be cut anywhere). */
function read(copy: Buffer, size = copy.length) {
  const reader = new PartCopyReader();
  for (let at = 0; at < copy.length; at += size) reader.take(copy.subarray(at, at + size));
  return reader.part();
}

describe('PartCopyReader', () => {
  const slices = [Buffer.from('first slice '), Buffer.from('second slice'), Buffer.from('!')];
  const copy = Buffer.concat([header(), ...slices.map((slice) => row(slice, 9000)), TRAILER]);

  it.each([copy.length, 1, 7, 64])('joins the slices of a part, whatever the messages (%i bytes each)', (size) => {
    const part = read(copy, size);
    expect(part?.data.toString()).toBe('first slice second slice!');
    expect(part?.chunkBytes).toBe(9000);
  });

  it('reads past a header extension area', () => {
    expect(read(Buffer.concat([header(Buffer.from('ext')), row(Buffer.from('x'), 1), TRAILER]))).toMatchObject({ chunkBytes: 1 });
  });

  it('answers nothing for a COPY of no rows (past the file’s last part)', () => {
    expect(read(Buffer.concat([header(), TRAILER]))).toBeUndefined();
  });

  it.each([
    ['no header', Buffer.concat([Buffer.from('COPY 1\n'), TRAILER])],
    ['no trailer', Buffer.concat([header(), row(Buffer.from('x'), 1)])],
    ['a row cut short', Buffer.concat([header(), row(Buffer.from('xyz'), 3)]).subarray(0, -5)],
    ['a row of three fields', Buffer.concat([header(), int16(3), TRAILER])],
    ['a null slice', Buffer.concat([header(), int16(2), int32(-1), int32(4), int32(1), TRAILER])],
    ['bytes past the trailer', Buffer.concat([header(), TRAILER, Buffer.from('x')])],
  ])('refuses %s', (_what, bytes) => {
    expect(() => read(bytes)).toThrow(/a part's COPY data/);
  });

  it('refuses more data than eight slices, without writing past its buffer', () => {
    const big = Buffer.alloc(32 * 1024);
    const many = Buffer.concat([header(), ...new Array(9).fill(row(big, 9 * big.length)), TRAILER]);
    expect(() => read(many, 4096)).toThrow(/more than the \d+ bytes of 8 slices/);
  });

  it('goes on in the same chunk until its size, then at the next chunk', () => {
    expect(nextPart({ n: 2, offset: 0 }, { data: Buffer.alloc(10), chunkBytes: 25 })).toEqual({ n: 2, offset: 10 });
    expect(nextPart({ n: 2, offset: 20 }, { data: Buffer.alloc(5), chunkBytes: 25 })).toEqual({ n: 3, offset: 0 });
  });
});
