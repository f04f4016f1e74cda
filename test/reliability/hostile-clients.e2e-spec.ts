import type { Server } from 'node:http';
import type { Pool } from 'pg';
import request from 'supertest';
import { PG_POOL } from '../../src/database/sql';
import { partialUpload, postHead } from '../support/reliability/partial-upload';
import { waitFor } from '../support/reliability/wait-for';
import { bearer, KEY_A, startTestApp, TestApp } from '../support/test-app';

const openConnections = (server: Server) =>
  new Promise<number>((resolve, reject) => server.getConnections((error, count) => (error ? reject(error) : resolve(count))));

describe('reliability: hostile clients', () => {
  let t: TestApp & { url?: string };
  let port: number;
  beforeAll(async () => {
    t = await startTestApp({
      listen: true,
      connections: { headersTimeoutMs: 1_000, bodyTimeoutMs: 2_000, idleTimeoutMs: 6_000, uploadIdleTimeoutMs: 1_000, maxConnections: 200 },
    });
    port = Number(new URL(t.url as string).port);
  });
  afterAll(async () => {
    await t.close();
  });

  it('large bodies without keys, stalled uploads (JSON, files), slow readers, many parts at once: /healthz answered, every socket freed', async () => {
    const thread = await t.http.post('/v1/threads').set(bearer(KEY_A)).send({}).expect(200);
    // A thread whose list page is large enough to fill a socket's buffers.
    const content = Array.from({ length: 100 }, () => ({ type: 'text', text: 'x'.repeat(2_560) }));
    for (let i = 0; i < 40; i++) await t.http.post(`/v1/threads/${thread.body.id}/messages`).set(bearer(KEY_A)).send({ role: 'user', content }).expect(200);
    // The pool's connections opened beforehand: on a loaded machine, opening them during the burst below can take longer
    // than the pool waits for one (3 s), which would answer an upload 503 for a reason this test is not about.
    const pool = t.app.get<Pool>(PG_POOL);
    const opened = await Promise.all(Array.from({ length: pool.options.max ?? 10 }, () => pool.connect()));
    for (const client of opened) client.release();

    const noKey = Array.from({ length: 10 }, () => partialUpload(port, postHead('/v1/threads', 9_000_000), Buffer.from('{"x":[' + '0,'.repeat(32_000))));
    const stalled = Array.from({ length: 10 }, () => partialUpload(port, postHead('/v1/threads', 9_000_000, bearer(KEY_A)), '{'));
    // File uploads that stop: held to their progress (UPLOAD_IDLE_TIMEOUT_MS), not to the body timeout, and freed as well.
    const form = '--b\r\nContent-Disposition: form-data; name="file"; filename="f.bin"\r\n\r\n' + 'x'.repeat(64 * 1024);
    const fileHead = [
      'POST /v1/files HTTP/1.1',
      'Host: x',
      'Content-Type: multipart/form-data; boundary=b',
      'Content-Length: 9000000',
      `Authorization: Bearer ${KEY_A}`,
    ].join('\r\n');
    const stalledFiles = Array.from({ length: 5 }, () => partialUpload(port, `${fileHead}\r\n\r\n`, form));
    const slowReaders = Array.from({ length: 3 }, () => {
      const reader = partialUpload(port, `GET /v1/threads/${thread.body.id}/messages?limit=100 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${KEY_A}\r\n\r\n`);
      reader.socket.pause();
      return reader;
    });
    const manyParts = request(t.url as string)
      .post(`/v1/threads/${thread.body.id}/messages`)
      .set(bearer(KEY_A))
      .send({ role: 'user', content: Array.from({ length: 200_000 }, () => ({ type: 'text', text: 'x' })) });

    // Meanwhile, the service answers.
    for (let i = 0; i < 5; i++)
      await request(t.url as string)
        .get('/healthz')
        .expect(200);
    expect((await manyParts).status).toBe(400);
    await request(t.url as string)
      .get('/healthz')
      .expect(200);

    // A paused reader never sees the close (it reads nothing); the server's count of connections below does.
    for (const [kind, clients] of Object.entries({ noKey, stalled, stalledFiles })) {
      for (const client of clients)
        await waitFor(`the server to close a hostile connection (${kind}, ${client.status()})`, () => client.closed(), { timeoutMs: 20_000 });
    }
    for (const client of noKey) expect(client.status()).toBe(401);
    for (const client of stalled) expect(client.status()).toBe(408);
    // 408 in the envelope as a rule (test/upload-timeouts.e2e-spec.ts checks it); on a machine loaded enough that the
    // connection's idle timeout gets there first, closed unanswered: either way freed, and nothing stored.
    for (const client of stalledFiles) expect([408, undefined]).toContain(client.status());
    // The paused readers go when their idle timeout (6 s) runs out after the server's last write to them.
    await waitFor('no connection left open', async () => (await openConnections(t.app.getHttpServer() as Server)) === 0, { timeoutMs: 30_000 });
    // None of the stalled files was stored, in part or whole.
    expect((await t.db.query('SELECT (SELECT count(*) FROM files)::int AS files, (SELECT count(*) FROM file_chunks)::int AS chunks')).rows[0]).toEqual({
      files: 0,
      chunks: 0,
    });
    // The server has let go of the paused readers too (the count above includes them); free their client ends.
    for (const reader of slowReaders) reader.socket.destroy();
    await request(t.url as string)
      .get('/healthz')
      .expect(200);
  }, 120_000);
});
