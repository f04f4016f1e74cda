import type { Server } from 'node:http';
import { partialUpload, PartialUpload } from './support/reliability/partial-upload';
import { waitFor } from './support/reliability/wait-for';
import { bearer, bytesOf, KEY_A, startTestApp, TestApp } from './support/test-app';

/**
 * Uploads (POST /files) are timed by their progress, UPLOAD_IDLE_TIMEOUT_MS, not by BODY_TIMEOUT_MS:
 * a slow upload that keeps sending outlives the body timeout (and REQUEST_TIMEOUT_MS, which counts
 * from its last byte), while one that stops sending fails with 408 and leaves nothing stored.
 */
const BODY_TIMEOUT_MS = 300;
const REQUEST_TIMEOUT_MS = 1_000;
const UPLOAD_IDLE_TIMEOUT_MS = 1_500;
/** A slow client's pace: a piece every this many milliseconds, far from the upload idle timeout. */
const PACE_MS = 100;
/** Pieces of a slow upload: it lasts longer than both BODY_TIMEOUT_MS and REQUEST_TIMEOUT_MS. */
const PIECES = Math.ceil((2 * REQUEST_TIMEOUT_MS) / PACE_MS);

const BOUNDARY = 'slowuploadboundary';
const formHead = (filename: string) =>
  `--${BOUNDARY}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nassistants\r\n` +
  `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: application/octet-stream\r\n\r\n`;
const FORM_TAIL = `\r\n--${BOUNDARY}--\r\n`;

const DIALECTS = [
  ['OpenAI', '/v1/files', { Authorization: `Bearer ${KEY_A}` }],
  ['Azure', '/openai/files?api-version=2024-10-01-preview', { 'api-key': KEY_A }],
] as const;

function uploadHead(path: string, headers: Record<string, string>, length: number): string {
  const lines = [
    `POST ${path} HTTP/1.1`,
    'Host: 127.0.0.1',
    `Content-Type: multipart/form-data; boundary=${BOUNDARY}`,
    `Content-Length: ${length}`,
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ];
  return lines.join('\r\n') + '\r\n\r\n';
}

/** The status, headers (lower case) and JSON body of the one response a raw client received. */
function responseOf(upload: PartialUpload): {
  status: number | undefined;
  headers: string;
  body: { error?: Record<string, unknown> } & Record<string, unknown>;
} {
  const text = upload.received();
  const split = text.indexOf('\r\n\r\n');
  return { status: upload.status(), headers: text.slice(0, split).toLowerCase(), body: JSON.parse(text.slice(split + 4)) };
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Writes `pieces` at the pace of a slow client (the pace is the scenario, not a wait for the server). */
async function sendSlowly(upload: PartialUpload, pieces: (Buffer | string)[]): Promise<void> {
  for (const piece of pieces) {
    await pause(PACE_MS);
    upload.write(piece);
  }
}

describe('upload timeouts: progress, not the whole body', () => {
  let t: TestApp & { url?: string };
  let port: number;
  beforeAll(async () => {
    t = await startTestApp({
      listen: true,
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
      connections: {
        headersTimeoutMs: BODY_TIMEOUT_MS,
        bodyTimeoutMs: BODY_TIMEOUT_MS,
        idleTimeoutMs: 10_000,
        uploadIdleTimeoutMs: UPLOAD_IDLE_TIMEOUT_MS,
        maxConnections: 50,
      },
      files: { references: 'strict' },
    });
    port = Number(new URL(t.url as string).port);
  });
  afterAll(async () => {
    await t?.close();
  });

  const stored = async () => (await t.db.query('SELECT (SELECT count(*) FROM files)::int AS files, (SELECT count(*) FROM file_chunks)::int AS chunks')).rows[0];
  const openConnections = () =>
    new Promise<number>((resolve, reject) => (t.app.getHttpServer() as Server).getConnections((error, count) => (error ? reject(error) : resolve(count))));

  it('the pace used below is one BODY_TIMEOUT_MS cuts: a JSON body sent that slowly is answered 408 and its connection closed', async () => {
    const body = JSON.stringify({ metadata: { note: 'x'.repeat(PIECES - 1) } });
    const pieces = [...body];
    const head = [
      `POST /v1/threads HTTP/1.1`,
      'Host: 127.0.0.1',
      'Content-Type: application/json',
      `Content-Length: ${body.length}`,
      `Authorization: Bearer ${KEY_A}`,
    ];
    const slow = partialUpload(port, head.join('\r\n') + '\r\n\r\n', pieces.shift());
    void sendSlowly(slow, pieces);
    await waitFor('the server to close the slow JSON request', () => slow.closed(), { timeoutMs: 15_000 });
    expect(slow.status()).toBe(408);
  });

  it.each(DIALECTS)(
    '%s: a slow upload that keeps sending outlives BODY_TIMEOUT_MS and REQUEST_TIMEOUT_MS, and is stored whole',
    async (_dialect, path, headers) => {
      const before = await stored();
      const pieces = Array.from({ length: PIECES }, (_, i) => Buffer.alloc(4096, i));
      const content = Buffer.concat(pieces);
      const head = formHead('slow.bin');
      const upload = partialUpload(port, uploadHead(path, headers, head.length + content.length + FORM_TAIL.length), head);
      await sendSlowly(upload, [...pieces, FORM_TAIL]);
      await waitFor('the answer to the slow upload', () => upload.received().endsWith('}'), { timeoutMs: 15_000 });
      const { status, body } = responseOf(upload);
      expect([status, body]).toEqual([200, expect.objectContaining({ object: 'file', bytes: content.length, filename: 'slow.bin' })]);
      // Kept alive: a slow upload is not a stalled one.
      expect(upload.closed()).toBe(false);
      upload.socket.destroy();
      const download = await bytesOf(t.http.get(`/v1/files/${body.id as string}/content`).set(bearer(KEY_A)));
      expect((download.body as Buffer).equals(content)).toBe(true);
      expect(await stored()).toEqual({ files: before.files + 1, chunks: before.chunks + 1 });
    },
  );

  it.each(DIALECTS)(
    '%s: an upload that stops sending fails after UPLOAD_IDLE_TIMEOUT_MS with 408 in the envelope, its connection closed, nothing stored',
    async (_dialect, path, headers) => {
      const before = await stored();
      const head = formHead('stalled.bin');
      // More than a chunk (1 MiB) is sent, so that the upload's transaction has stored some of it, then nothing more.
      const sent = Buffer.alloc(1024 * 1024 + 4096, 7);
      const upload = partialUpload(port, uploadHead(path, headers, head.length + 4 * 1024 * 1024 + FORM_TAIL.length), Buffer.concat([Buffer.from(head), sent]));
      await waitFor('the server to close the stalled upload', () => upload.closed(), { timeoutMs: 15_000 });
      const { status, headers: received, body } = responseOf(upload);
      expect(status).toBe(408);
      expect(received).toMatch(/\r\nconnection: close(\r\n|$)/);
      // The upload's own rule answered, not the whole-body timeout (Node's 408, which BODY_TIMEOUT_MS would have sent long before).
      expect(body).toEqual({
        error: {
          message: expect.stringMatching(/^The upload stalled: none of its bytes arrived for 1500 ms/),
          type: 'invalid_request_error',
          param: null,
          code: 'request_timeout',
        },
      });
      expect(await stored()).toEqual(before);
      // The service goes on: the next upload is stored.
      const next = await t.http.post('/v1/files').set(bearer(KEY_A)).field('purpose', 'assistants').attach('file', Buffer.from('after the stall'), 'next.txt');
      expect([next.status, next.body.bytes]).toEqual([200, 15]);
    },
  );

  it('every connection of the tests above was freed', async () => {
    await waitFor('no connection left open', async () => (await openConnections()) === 0, { timeoutMs: 15_000 });
  });
});
