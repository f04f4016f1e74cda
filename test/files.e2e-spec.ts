import { randomBytes } from 'node:crypto';
import { nextPart, readPartOn, type ChunkPart, type PartPosition } from '../src/files/part-copy';
import { bearer, bytesOf, KEY_A, KEY_B, startTestApp, TestApp } from './support/test-app';
import { AZURE_V1_VERSIONS, AZURE_V2_VERSIONS } from './support/api-versions';

/** A multipart/form-data body written out by hand: the headers exactly as given (form-data would rewrite filenames). */
export function multipart(parts: { name: string; disposition?: string; contentType?: string; data: Buffer | string }[]): { body: Buffer; type: string } {
  const boundary = 'testboundary7MA4YWxkTrZu0gW';
  const chunks: Buffer[] = [];
  for (const part of parts) {
    const head = [`--${boundary}`, `Content-Disposition: form-data; name="${part.name}"${part.disposition ?? ''}`];
    if (part.contentType) head.push(`Content-Type: ${part.contentType}`);
    chunks.push(Buffer.from(`${head.join('\r\n')}\r\n\r\n`), Buffer.from(part.data), Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), type: `multipart/form-data; boundary=${boundary}` };
}

const FILE_KEYS = ['bytes', 'created_at', 'filename', 'id', 'object', 'purpose', 'status'];

describe('Files API', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ files: { references: 'strict', maxBytes: 1024 * 1024 } });
  });
  afterAll(() => t.close());

  const upload = (content: Buffer | string, filename = 'notes.txt', purpose = 'assistants', key = KEY_A, path = '/v1/files') =>
    t.http.post(path).set(bearer(key)).field('purpose', purpose).attach('file', Buffer.from(content), { filename, contentType: 'text/plain' });

  it('uploads, retrieves, lists, downloads and deletes a file', async () => {
    const created = await upload('hello, files', 'notes.txt');
    expect(created.status).toBe(200);
    expect(Object.keys(created.body).sort()).toEqual(FILE_KEYS);
    expect(created.body).toMatchObject({ object: 'file', bytes: 12, filename: 'notes.txt', purpose: 'assistants', status: 'processed' });
    expect(created.body.id).toMatch(/^file-[A-Za-z0-9]{24}$/);
    const id = created.body.id as string;

    const retrieved = await t.http.get(`/v1/files/${id}`).set(bearer(KEY_A));
    expect(retrieved.body).toEqual(created.body);

    const content = await bytesOf(t.http.get(`/v1/files/${id}/content`).set(bearer(KEY_A)));
    expect(content.status).toBe(200);
    expect((content.body as Buffer).toString()).toBe('hello, files');
    expect(content.headers['content-type']).toMatch(/^text\/plain/);
    expect(content.headers['content-length']).toBe('12');
    expect(content.headers['content-disposition']).toBe(`attachment; filename="notes.txt"; filename*=UTF-8''notes.txt`);

    const list = await t.http.get('/v1/files').set(bearer(KEY_A));
    expect(list.body).toMatchObject({ object: 'list', first_id: id, last_id: id, has_more: false });
    expect(list.body.data).toEqual([created.body]);

    const deleted = await t.http.delete(`/v1/files/${id}`).set(bearer(KEY_A));
    expect(deleted.body).toEqual({ id, object: 'file', deleted: true });
    expect((await t.http.get(`/v1/files/${id}`).set(bearer(KEY_A))).status).toBe(404);
    const { rows } = await t.db.query('SELECT count(*)::int AS n FROM file_chunks WHERE file_id = $1', [id]);
    expect(rows[0].n).toBe(0);
  });

  it('serves the Azure dialect in every supported api-version', async () => {
    for (const version of [...AZURE_V1_VERSIONS, ...AZURE_V2_VERSIONS]) {
      const created = await t.http
        .post(`/openai/files?api-version=${version}`)
        .set('api-key', KEY_A)
        .field('purpose', 'assistants')
        .attach('file', Buffer.from(version), 'v.txt');
      expect(created.status).toBe(200);
      const got = await t.http.get(`/openai/files/${created.body.id}?api-version=${version}`).set('api-key', KEY_A);
      expect(got.body).toEqual(created.body);
    }
    expect((await t.http.get('/openai/files').set('api-key', KEY_A)).status).toBe(400);
  });

  it('encodes any filename safely in Content-Disposition', async () => {
    const name = 'résumé "final"; x=1.txt';
    const form = multipart([
      { name: 'purpose', data: 'assistants' },
      { name: 'file', disposition: `; filename*=UTF-8''${encodeURIComponent(name)}`, contentType: 'text/plain', data: 'x' },
    ]);
    const created = await t.http.post('/v1/files').set(bearer(KEY_A)).set('content-type', form.type).send(form.body);
    expect(created.body.filename).toBe(name);
    const content = await t.http.get(`/v1/files/${created.body.id}/content`).set(bearer(KEY_A));
    expect(content.headers['content-disposition']).toBe(
      `attachment; filename="r_sum_ _final_; x=1.txt"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%22final%22%3B%20x%3D1.txt`,
    );
  });

  it("answers another tenant's file as a missing one", async () => {
    const created = await upload('secret');
    for (const [method, path] of [
      ['get', `/v1/files/${created.body.id}`],
      ['get', `/v1/files/${created.body.id}/content`],
      ['delete', `/v1/files/${created.body.id}`],
    ] as const) {
      const response = await t.http[method](path).set(bearer(KEY_B));
      expect(response.status).toBe(404);
      expect(response.body.error.message).toBe(`No file found with id '${created.body.id}'.`);
    }
    const list = await t.http.get('/v1/files').set(bearer(KEY_B));
    expect(list.body.data.map((f: { id: string }) => f.id)).not.toContain(created.body.id);
  });

  const raw = (parts: Parameters<typeof multipart>[0]) => {
    const form = multipart(parts);
    return t.http.post('/v1/files').set(bearer(KEY_A)).set('content-type', form.type).send(form.body);
  };

  it('rejects bad uploads with clear 400s and stores nothing', async () => {
    const before = await t.db.query('SELECT (SELECT count(*) FROM files)::int AS files, (SELECT count(*) FROM file_chunks)::int AS chunks');
    const cases: [string, () => ReturnType<typeof upload>, string | null, RegExp][] = [
      ['no file part', () => t.http.post('/v1/files').set(bearer(KEY_A)).field('purpose', 'assistants'), 'file', /Missing required parameter: 'file'/],
      [
        'two file parts',
        () =>
          t.http
            .post('/v1/files')
            .set(bearer(KEY_A))
            .field('purpose', 'assistants')
            .attach('file', Buffer.from('a'), 'a.txt')
            .attach('file', Buffer.from('b'), 'b.txt'),
        'file',
        /more than one/,
      ],
      ['unknown purpose', () => upload('x', 'a.txt', 'fun'), 'purpose', /expected one of 'assistants'/],
      [
        'a path in the filename',
        () =>
          raw([
            { name: 'purpose', data: 'assistants' },
            { name: 'file', disposition: '; filename="../etc/passwd"', data: 'x' },
          ]),
        'file',
        /path separators/,
      ],
      [
        'a Windows path in the filename',
        () =>
          raw([
            { name: 'purpose', data: 'assistants' },
            { name: 'file', disposition: '; filename="C:\\\\x\\\\a.txt"', data: 'x' },
          ]),
        'file',
        /path separators/,
      ],
      [
        'a control character in the filename',
        () =>
          raw([
            { name: 'purpose', data: 'assistants' },
            { name: 'file', disposition: `; filename*=UTF-8''a%01b.txt`, data: 'x' },
          ]),
        'file',
        /control characters/,
      ],
      [
        'a file part without a filename',
        () =>
          raw([
            { name: 'purpose', data: 'assistants' },
            { name: 'file', contentType: 'application/octet-stream', data: 'x' },
          ]),
        'file',
        /the filename must be 1 to 255 characters/,
      ],
      [
        'expires_after far beyond its range',
        () => upload('x').field('expires_after[anchor]', 'created_at').field('expires_after[seconds]', '99999999999'),
        'expires_after.seconds',
        /from 3600 to 2592000, but got 99999999999 instead/,
      ],
      ['purpose twice', () => upload('x').field('purpose', 'batch'), 'purpose', /given more than once/],
      ['an unknown field', () => upload('x').field('colour', 'blue'), 'colour', /Unknown parameter: 'colour'/],
      [
        'a text field named file',
        () =>
          raw([
            { name: 'purpose', data: 'assistants' },
            { name: 'file', data: 'not a file' },
          ]),
        'file',
        /expected a file/,
      ],
      [
        'a broken multipart body',
        () => t.http.post('/v1/files').set(bearer(KEY_A)).set('content-type', 'multipart/form-data; boundary=zz').send('--zz\r\nnonsense'),
        null,
        /multipart/,
      ],
      [
        'a form that ends inside the file part',
        () =>
          t.http
            .post('/v1/files')
            .set(bearer(KEY_A))
            .set('content-type', 'multipart/form-data; boundary=zz')
            .send(
              '--zz\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nassistants\r\n' +
                '--zz\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\nhalf a fi',
            ),
        null,
        /Unexpected end of form/,
      ],
      ['a JSON body', () => t.http.post('/v1/files').set(bearer(KEY_A)).send({ purpose: 'assistants' }), null, /multipart\/form-data/],
      ['a text body', () => t.http.post('/v1/files').set(bearer(KEY_A)).set('content-type', 'text/plain').send('hello'), null, /multipart\/form-data/],
      [
        'expires_after out of range',
        () => upload('x').field('expires_after[anchor]', 'created_at').field('expires_after[seconds]', '60'),
        'expires_after.seconds',
        /3600/,
      ],
    ];
    for (const [name, request, param, message] of cases) {
      const response = await request();
      expect([name, response.status]).toEqual([name, 400]);
      expect(response.body.error.param).toBe(param);
      expect(response.body.error.message).toMatch(message);
    }
    const after = await t.db.query('SELECT (SELECT count(*) FROM files)::int AS files, (SELECT count(*) FROM file_chunks)::int AS chunks');
    expect(after.rows).toEqual(before.rows);
  });

  it('downloads a chunk byte for byte, read in parts of 256 KiB copied in binary, the last part shorter', async () => {
    // Just under FILE_MAX_BYTES (the multipart body around it counts): three whole parts and a shorter one.
    const bytes = randomBytes(1024 * 1024 - 4096);
    const created = await upload(bytes, 'random.bin');
    expect(created.status).toBe(200);
    const content = await bytesOf(t.http.get(`/v1/files/${created.body.id}/content`).set(bearer(KEY_A)));
    expect(content.status).toBe(200);
    expect((content.body as Buffer).equals(bytes)).toBe(true);
    const parts: ChunkPart[] = [];
    const positions: PartPosition[] = [];
    let at: PartPosition = { n: 0, offset: 0 };
    while (at.n === 0) {
      const part = await readPartOn(t.db, created.body.id, at);
      if (!part) throw new Error(`nothing at ${JSON.stringify(at)}`);
      positions.push(at);
      parts.push(part);
      at = nextPart(at, part);
    }
    expect(positions.map((p) => p.offset)).toEqual([0, 1, 2, 3].map((i) => i * 256 * 1024));
    expect(parts.map((part) => part.data.length)).toEqual([256 * 1024, 256 * 1024, 256 * 1024, 252 * 1024]);
    expect(parts.map((part) => part.chunkBytes)).toEqual(new Array(4).fill(bytes.length));
    expect(Buffer.concat(parts.map((part) => part.data)).equals(bytes)).toBe(true);
    expect(await readPartOn(t.db, created.body.id, at)).toBeUndefined();
    // The id is a literal in the COPY's text: a quote in it is data, not SQL.
    expect(await readPartOn(t.db, `${created.body.id}' OR true --`, { n: 0, offset: 0 })).toBeUndefined();
  });

  it('answers 413 past FILE_MAX_BYTES', async () => {
    const response = await upload(Buffer.alloc(1024 * 1024 + 1, 1));
    expect(response.status).toBe(413);
    expect(response.body.error).toMatchObject({ code: 'file_too_large', param: 'file' });
  });

  it('keeps the expiry and forgets expired files everywhere, and their bytes', async () => {
    const created = await upload('soon gone').field('expires_after[anchor]', 'created_at').field('expires_after[seconds]', '3600');
    expect(created.status).toBe(200);
    expect(created.body.expires_at).toBe(created.body.created_at + 3600);
    await t.db.query('UPDATE files SET expires_at = created_at - 1 WHERE id = $1', [created.body.id]);
    expect((await t.http.get(`/v1/files/${created.body.id}`).set(bearer(KEY_A))).status).toBe(404);
    expect((await t.http.get(`/v1/files/${created.body.id}/content`).set(bearer(KEY_A))).status).toBe(404);
    const list = await t.http.get('/v1/files').set(bearer(KEY_A));
    expect(list.body.data.map((f: { id: string }) => f.id)).not.toContain(created.body.id);
    const { FilesService } = await import('../src/files/files.service');
    expect(await t.app.get(FilesService).purgeExpired()).toBe(1);
    const { rows } = await t.db.query(
      'SELECT (SELECT count(*) FROM files WHERE id = $1)::int AS files, (SELECT count(*) FROM file_chunks WHERE file_id = $1)::int AS chunks',
      [created.body.id],
    );
    expect(rows[0]).toEqual({ files: 0, chunks: 0 });
  });

  it('a batch file expires after 30 days unless told otherwise; other purposes are kept until deleted', async () => {
    const batch = await upload('{}', 'b.jsonl', 'batch');
    expect(batch.status).toBe(200);
    expect(batch.body.expires_at).toBe(batch.body.created_at + 30 * 24 * 3600);
    const sooner = await upload('{}', 'b.jsonl', 'batch').field('expires_after[anchor]', 'created_at').field('expires_after[seconds]', '7200');
    expect(sooner.body.expires_at).toBe(sooner.body.created_at + 7200);
    const kept = await upload('x', 'a.txt', 'user_data');
    expect(kept.body.expires_at).toBeUndefined();
  });
});
