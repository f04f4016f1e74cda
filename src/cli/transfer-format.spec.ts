import { fileChunkLine, fileEndLine, fileLine, LineError, MAX_FILE_CHUNK_BYTES, parseLine } from './transfer-format';

const file = {
  id: 'file-abc',
  bytes: 3,
  createdAt: 1700000000,
  expiresAt: null,
  filename: 'a b.txt',
  purpose: 'assistants' as const,
  contentType: 'text/plain',
};

const parse = (value: unknown) => parseLine(JSON.stringify(value));
const reason = (value: unknown): string => {
  try {
    parse(value);
  } catch (error) {
    if (error instanceof LineError) return error.message;
    throw error;
  }
  return 'parsed';
};

describe('the file lines of the export format', () => {
  it('reads back what an export writes', () => {
    expect(parse(fileLine(file))).toEqual({ kind: 'file', file });
    expect(parse(fileChunkLine(file.id, 0, Buffer.from('abc')))).toEqual({ kind: 'file_chunk', fileId: file.id, offset: 0, data: Buffer.from('abc') });
    const sha = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';
    expect(parse(fileEndLine(file.id, sha))).toEqual({ kind: 'file_end', fileId: file.id, sha256: sha });
  });

  it('takes a file object without content type (another source) as application/octet-stream, and the purposes of other services', () => {
    const { content_type, ...object } = fileLine(file);
    void content_type;
    expect(parse({ ...object, purpose: 'assistants_output' })).toMatchObject({
      file: { contentType: 'application/octet-stream', purpose: 'assistants_output' },
    });
  });

  it.each([
    ['a name with a slash', { ...fileLine(file), filename: 'a/b' }, "'filename' is not a file name"],
    ['a bad purpose', { ...fileLine(file), purpose: 'Assistants!' }, "'purpose' is not a file purpose"],
    ['a negative size', { ...fileLine(file), bytes: -1 }, "'bytes' is not a byte count"],
    ['a bad expiry', { ...fileLine(file), expires_at: 'soon' }, "'expires_at' is not a Unix time"],
    ['a bad content type', { ...fileLine(file), content_type: 'text' }, "'content_type' is not a media type"],
    ['a chunk without a file id', { object: 'file_chunk', offset: 0, data: '' }, "'file_id' is not a well-formed id of at most 64 characters"],
    [
      'a thread id longer than the store keeps',
      { object: 'thread', id: `thread_${'x'.repeat(58)}`, created_at: 0 },
      "'id' is not a well-formed id of at most 64 characters",
    ],
    ['a chunk at a fractional offset', { ...fileChunkLine('file-abc', 0, Buffer.from('x')), offset: 0.5 }, "'offset' is not a byte offset"],
    ['a chunk of non-base64', { ...fileChunkLine('file-abc', 0, Buffer.from('x')), data: 'a*b=' }, "'data' is not base64"],
    ['a chunk without padding', { ...fileChunkLine('file-abc', 0, Buffer.from('x')), data: 'eA' }, "'data' is not base64"],
    ['a chunk with stray bits (not canonical)', { ...fileChunkLine('file-abc', 0, Buffer.from('x')), data: 'eB==' }, "'data' is not base64"],
    ['a chunk too large', fileChunkLine('file-abc', 0, Buffer.alloc(MAX_FILE_CHUNK_BYTES + 3)), `'data' holds more than ${MAX_FILE_CHUNK_BYTES} bytes`],
    ['an end with an uppercase digest', fileEndLine('file-abc', 'A'.repeat(64)), "'sha256' is not a SHA-256 in lowercase hex"],
    [
      'an unknown object',
      { object: 'vector_store', id: 'vs_1', created_at: 1 },
      "'object' is none of 'export', 'thread', 'thread.message', 'thread_end', 'file', 'file_chunk', 'file_end'",
    ],
  ])('refuses %s', (_name, value, expected) => {
    expect(reason(value)).toBe(expected);
  });
});
