import type { Server } from 'node:http';
import request from 'supertest';
import { waitFor } from './support/reliability/wait-for';
import { partialUpload, postHead } from './support/reliability/partial-upload';
import { bearer, KEY_A, startTestApp, TestApp } from './support/test-app';

/** The start of a large JSON body: `{"x":[0,0,0,...` */
const bodyStart = (bytes: number) => Buffer.from('{"x":[' + '0,'.repeat(Math.floor(bytes / 2)));

const openConnections = (server: Server) =>
  new Promise<number>((resolve, reject) => server.getConnections((error, count) => (error ? reject(error) : resolve(count))));

describe('Abuse: no key no work, timeouts that free sockets', () => {
  let t: TestApp & { url?: string };
  let port: number;
  let server: Server;

  beforeAll(async () => {
    t = await startTestApp({
      listen: true,
      connections: { headersTimeoutMs: 500, bodyTimeoutMs: 1_000, idleTimeoutMs: 5_000, uploadIdleTimeoutMs: 1_000, maxConnections: 50 },
      metricsToken: 'metrics-token-0123456789abcdef',
    });
    port = Number(new URL(t.url as string).port);
    server = t.app.getHttpServer() as Server;
  });
  afterAll(async () => {
    await t.close();
  });

  it.each([
    ['without a key', '/v1/threads', {}, 401],
    ['with a wrong key', '/v1/threads', bearer('sk-wrong-0123456789abcdefghijkl'), 401],
    ['on an unknown route', '/v1/no-such-route', bearer(KEY_A), 404],
    ['on an unknown route, percent-encoded', '/%761/threads/thread_x/nothing', {}, 404],
    ['without a key, path percent-encoded', '/%761/threads', {}, 401],
    ['in the Azure dialect without a key', '/openai/threads?api-version=2024-05-01-preview', {}, 401],
  ])('a large body %s is answered before it is sent, and the connection closed', async (_what, path, headers, status) => {
    const declared = 9 * 1024 * 1024;
    const upload = partialUpload(port, postHead(path, declared, headers as Record<string, string>), bodyStart(64 * 1024));
    // The rest of the body is never sent: only a server that answers without it can answer.
    await waitFor('the answer', () => upload.status(), { timeoutMs: 10_000 });
    expect(upload.status()).toBe(status);
    expect(upload.received()).toMatch(/\r\nconnection: close\r\n/i);
    expect(upload.received()).toContain('"error":{');
    await request(t.url as string)
      .get('/healthz')
      .expect(200);
    await waitFor('the server to close the connection', () => upload.closed(), { timeoutMs: 10_000 });
    expect(upload.sent()).toBeLessThan(declared);
  });

  it('a stalled upload with a valid key is answered 408 after the body timeout and its socket closed', async () => {
    const uploads = Array.from({ length: 5 }, () => partialUpload(port, postHead('/v1/threads', 10_000_000, bearer(KEY_A)), '{'));
    await request(t.url as string)
      .get('/healthz')
      .expect(200);
    for (const upload of uploads) await waitFor('the server to close a stalled upload', () => upload.closed(), { timeoutMs: 15_000 });
    expect(uploads.map((upload) => upload.status())).toEqual(uploads.map(() => expect.any(Number)));
    for (const upload of uploads) expect([408, 504]).toContain(upload.status());
    await waitFor('no connection left open', async () => (await openConnections(server)) === 0, { timeoutMs: 10_000 });
  });

  it('headers that never end are answered 408 and the socket closed', async () => {
    const upload = partialUpload(port, 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
    await waitFor('the server to close the connection', () => upload.closed(), { timeoutMs: 15_000 });
    expect(upload.status()).toBe(408);
  });

  /** A GET of `path` written by hand with `headers` (each line ending in CRLF), answered in the error envelope. */
  const answerRaw = async (path: string, headers: string) => {
    const upload = partialUpload(port, `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${headers}\r\n`);
    await waitFor('the answer', () => upload.received().includes('}}'), { timeoutMs: 10_000 });
    upload.socket.destroy();
    return { status: upload.status(), text: upload.received() };
  };

  it('two Authorization headers are a 400, not "the first wins"', async () => {
    const twice = await answerRaw('/v1/threads/thread_x', `Authorization: Bearer ${KEY_A}\r\nAuthorization: Bearer sk-other-0123456789abcdefghij\r\n`);
    expect(twice.status).toBe(400);
    expect(twice.text).toMatch(/more than one 'authorization' header/);
  });

  it('a key header sent twice in any letter case is a 400; one of each kind is not', async () => {
    const azure = '/openai/threads/thread_x?api-version=2024-05-01-preview';
    const twice = await answerRaw(azure, `authorization: Bearer ${KEY_A}\r\nAUTHORIZATION: Bearer ${KEY_A}\r\n`);
    expect(twice.status).toBe(400);
    expect(twice.text).toMatch(/more than one 'authorization' header/);
    const keys = await answerRaw(azure, `Api-Key: ${KEY_A}\r\napi-key: ${KEY_A}\r\n`);
    expect(keys.status).toBe(400);
    expect(keys.text).toMatch(/more than one 'api-key' header/);
    const one = await answerRaw(azure, `Authorization: Bearer ${KEY_A}\r\nApi-Key: ${KEY_A}\r\nX-Api-Key: ${KEY_A}\r\nX-Api-Key: ${KEY_A}\r\n`);
    expect(one.status).toBe(404);
  });

  it('GET /metrics needs METRICS_TOKEN when it is set', async () => {
    const refused = await request(t.url as string)
      .get('/metrics')
      .expect(401);
    expect(refused.body.error.code).toBe('invalid_api_key');
    await request(t.url as string)
      .get('/metrics')
      .set(bearer('metrics-token-0123456789abcdeX'))
      .expect(401);
    const metrics = await request(t.url as string)
      .get('/metrics')
      .set(bearer('metrics-token-0123456789abcdef'))
      .expect(200);
    expect(metrics.text).toContain('http_requests_total');
  });
});

describe('Abuse: settings', () => {
  it('/docs and /openapi.json can be switched off', async () => {
    const t = await startTestApp({ docsEnabled: false });
    try {
      await t.http.get('/openapi.json').expect(404);
      await t.http.get('/docs').expect(404);
      await t.http.get('/healthz').expect(200);
    } finally {
      await t.close();
    }
  });

  it('connections beyond MAX_CONNECTIONS are closed at once; the others are served', async () => {
    const t = await startTestApp({
      listen: true,
      connections: { headersTimeoutMs: 5_000, bodyTimeoutMs: 5_000, idleTimeoutMs: 10_000, uploadIdleTimeoutMs: 5_000, maxConnections: 2 },
    });
    try {
      const port = Number(new URL(t.url as string).port);
      const held = [partialUpload(port, 'GET /healthz HTTP/1.1\r\nHost: x\r\n'), partialUpload(port, 'GET /healthz HTTP/1.1\r\nHost: x\r\n')];
      await waitFor('two connections', async () => (await openConnections(t.app.getHttpServer() as Server)) === 2, { timeoutMs: 5_000 });
      const extra = partialUpload(port, 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
      await waitFor('the extra connection to be closed', () => extra.closed(), { timeoutMs: 5_000 });
      expect(extra.status()).toBeUndefined();
      for (const upload of held) upload.socket.destroy();
      await waitFor('the held connections gone', async () => (await openConnections(t.app.getHttpServer() as Server)) === 0, { timeoutMs: 5_000 });
      await request(t.url as string)
        .get('/healthz')
        .expect(200);
    } finally {
      await t.close();
    }
  });
});

describe('Abuse: an aborted upload', () => {
  it('is logged as 499 at info level, not as a server error', async () => {
    const logLines: string[] = [];
    const t = await startTestApp({ listen: true, logLines });
    try {
      const port = Number(new URL(t.url as string).port);
      const upload = partialUpload(port, postHead('/v1/threads', 1_000_000, bearer(KEY_A)), '{"metadata":');
      await waitFor('the upload to be received', async () => (await openConnections(t.app.getHttpServer() as Server)) === 1, { timeoutMs: 5_000 });
      upload.socket.destroy();
      const line = await waitFor('the request log line', () => logLines.map((text) => JSON.parse(text)).find((entry) => entry.msg === 'request'), {
        timeoutMs: 10_000,
      });
      expect(line).toMatchObject({ status: 499, level: 30 });
      expect(logLines.map((text) => JSON.parse(text).level)).not.toContain(50);
    } finally {
      await t.close();
    }
  });
});
