import { GetObjectCommand } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { Client } from 'pg';
import * as transferCollections from '../src/runtime/transfer-collections';
import { startS3Server, TestS3Server } from './support/s3-server';
import { bearer, bytesOf, KEY_A, KEY_B, startTestApp, TestApp } from './support/test-app';

/** FILE_STORAGE=s3 against s3rver 3.7.1 on loopback: the bytes in the bucket, the rows in PostgreSQL. */
describe('Files API on S3 storage', () => {
  let s3: TestS3Server;
  let t: TestApp & { url?: string };
  beforeAll(async () => {
    s3 = await startS3Server();
    t = await startTestApp({ listen: true, files: { storage: 's3', s3: s3.config, references: 'strict' } });
  });
  afterAll(async () => {
    await t?.close();
    await s3?.close();
  });

  const counts = async () => (await t.db.query('SELECT (SELECT count(*) FROM files)::int AS files, (SELECT count(*) FROM file_chunks)::int AS chunks')).rows[0];

  it('uploads, retrieves, lists, downloads byte for byte and deletes a file, its object with it', async () => {
    // Three parts of the multipart upload (8 MiB each), the last a short one.
    const content = randomBytes(2 * 8 * 1024 * 1024 + 12345);
    const created = await t.http.post('/v1/files').set(bearer(KEY_A)).field('purpose', 'assistants').attach('file', content, 'data.bin');
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({ object: 'file', bytes: content.length, filename: 'data.bin', purpose: 'assistants', status: 'processed' });
    const id = created.body.id as string;
    expect(await s3.keys()).toEqual([`files/${id}`]);
    // The bytes are in the bucket, not in the database.
    expect(await counts()).toEqual({ files: 1, chunks: 0 });
    const stored = await s3.client.send(new GetObjectCommand({ Bucket: s3.config.bucket, Key: `files/${id}` }));
    expect(Buffer.from(await (stored.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray()).equals(content)).toBe(true);

    expect((await t.http.get(`/v1/files/${id}`).set(bearer(KEY_A))).body).toEqual(created.body);
    const list = await t.http.get('/v1/files').set(bearer(KEY_A));
    expect(list.body.data).toEqual([created.body]);
    expect((await t.http.get('/v1/files').set(bearer(KEY_B))).body.data).toEqual([]);

    const download = await bytesOf(t.http.get(`/v1/files/${id}/content`).set(bearer(KEY_A)));
    expect(download.status).toBe(200);
    expect(download.headers['content-length']).toBe(String(content.length));
    expect((download.body as Buffer).equals(content)).toBe(true);
    expect((await t.http.get(`/v1/files/${id}/content`).set(bearer(KEY_B))).status).toBe(404);

    const azure = await bytesOf(t.http.get(`/openai/files/${id}/content?api-version=2025-04-01-preview`).set('api-key', KEY_A));
    expect((azure.body as Buffer).equals(content)).toBe(true);

    expect((await t.http.delete(`/v1/files/${id}`).set(bearer(KEY_A))).body).toEqual({ id, object: 'file', deleted: true });
    expect(await s3.keys()).toEqual([]);
    expect((await t.http.get(`/v1/files/${id}/content`).set(bearer(KEY_A))).status).toBe(404);
  });

  it('stores a small file (a single PUT) and an empty one', async () => {
    for (const content of [Buffer.from('hello, s3'), Buffer.alloc(0)]) {
      const created = await t.http.post('/v1/files').set(bearer(KEY_A)).field('purpose', 'user_data').attach('file', content, 'small.txt');
      expect([created.status, created.body]).toEqual([200, expect.objectContaining({ bytes: content.length })]);
      const download = await bytesOf(t.http.get(`/v1/files/${created.body.id}/content`).set(bearer(KEY_A)));
      expect((download.body as Buffer).equals(content)).toBe(true);
      const deleted = await t.http.delete(`/v1/files/${created.body.id}`).set(bearer(KEY_A));
      expect([deleted.status, deleted.body]).toEqual([200, expect.anything()]);
    }
    expect(await s3.keys()).toEqual([]);
  });

  it('counts the bytes it moves, up and down, toward the young collections', async () => {
    const moved = jest.spyOn(transferCollections, 'transferred');
    const counted = () => moved.mock.calls.reduce((sum, [bytes]) => sum + bytes, 0);
    try {
      const content = randomBytes(300_000);
      const created = await t.http.post('/v1/files').set(bearer(KEY_A)).field('purpose', 'user_data').attach('file', content, 'counted.bin');
      expect(created.status).toBe(200);
      const uploaded = counted();
      const download = await bytesOf(t.http.get(`/v1/files/${created.body.id}/content`).set(bearer(KEY_A)));
      expect((download.body as Buffer).equals(content)).toBe(true);
      expect([uploaded, counted() - uploaded]).toEqual([content.length, content.length]);
      await t.http.delete(`/v1/files/${created.body.id}`).set(bearer(KEY_A));
    } finally {
      moved.mockRestore();
    }
  });

  it('removes the object of an upload refused after its bytes were stored', async () => {
    // The purpose comes after the file part: the bytes are in the bucket when the form turns out wrong.
    const refused = await t.http.post('/v1/files').set(bearer(KEY_A)).attach('file', randomBytes(1000), 'a.bin').field('purpose', 'fun');
    expect([refused.status, refused.body]).toEqual([400, expect.anything()]);
    expect(refused.body.error.param).toBe('purpose');
    expect(await counts()).toEqual({ files: 0, chunks: 0 });
    expect(await s3.keys()).toEqual([]);
  });

  it('removes the objects of expired files', async () => {
    const created = await t.http
      .post('/v1/files')
      .set(bearer(KEY_A))
      .field('purpose', 'assistants')
      .field('expires_after[anchor]', 'created_at')
      .field('expires_after[seconds]', '3600')
      .attach('file', Buffer.from('soon gone'), 'soon.txt');
    expect(await s3.keys()).toEqual([`files/${created.body.id}`]);
    await t.db.query('UPDATE files SET expires_at = created_at - 1 WHERE id = $1', [created.body.id]);
    const { FilesService } = await import('../src/files/files.service');
    expect(await t.app.get(FilesService).purgeExpired()).toBe(1);
    expect(await s3.keys()).toEqual([]);
  });

  /** Polls the database (not a clock) until `condition` holds. */
  async function until(condition: string): Promise<void> {
    const client = new Client({ connectionString: t.databaseUrl });
    await client.connect();
    try {
      while (!(await client.query(condition)).rows[0].ok) await new Promise((resolve) => setImmediate(resolve));
    } finally {
      await client.end();
    }
  }

  it('a client that disconnects mid-upload leaves no row and no object', async () => {
    const boundary = 'abortboundary';
    const request = httpRequest(new URL('/v1/files', t.url), {
      method: 'POST',
      headers: { ...bearer(KEY_A), 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(64 * 1024 * 1024) },
    });
    request.on('error', () => undefined);
    // The service has sent a part of the multipart upload to the bucket.
    const partStored = s3.answered((incoming) => incoming.method === 'PUT' && /[?&]partNumber=/.test(incoming.url ?? ''));
    request.write(
      `--${boundary}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nassistants\r\n` +
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\n\r\n`,
    );
    request.write(Buffer.alloc(20 * 1024 * 1024, 7));
    await partStored;
    await until(
      `SELECT count(*) > 0 AS ok FROM pg_stat_activity WHERE datname = current_database() ` +
        `AND query LIKE '%INSERT INTO files%' AND state LIKE '%in transaction%'`,
    );
    request.destroy();
    await until(`SELECT count(*) = 0 AS ok FROM pg_stat_activity WHERE datname = current_database() AND state LIKE '%in transaction%'`);
    expect(await counts()).toEqual({ files: 0, chunks: 0 });
    expect(await s3.keys()).toEqual([]);
    // The service still answers, and still stores.
    const after = await t.http.post('/v1/files').set(bearer(KEY_A)).field('purpose', 'assistants').attach('file', Buffer.from('after'), 'after.txt');
    expect(after.status).toBe(200);
    expect(await s3.keys()).toEqual([`files/${after.body.id}`]);
    await t.http.delete(`/v1/files/${after.body.id}`).set(bearer(KEY_A));
  });
});
