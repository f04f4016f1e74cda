import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT as EXPORT_EXIT, runExportCommand } from '../src/cli/export';
import { EXIT as IMPORT_EXIT, runImportCommand } from '../src/cli/import';
import { FILE_CHUNK_BYTES } from '../src/cli/transfer-format';
import { startS3Server, TestS3Server } from './support/s3-server';
import { bearer, bytesOf, KEY_A, KEY_B, snapshot, startTestApp, TestApp } from './support/test-app';

/**
 * Files in npm run export / npm run import: uploaded through the API, exported with their bytes,
 * imported into another database (PostgreSQL chunks, and S3), and compared field by field and byte
 * for byte through the API; re-runs verify and skip; a cut or corrupted file fails alone, leaving
 * nothing of it; an export of chosen threads carries only the files they name.
 */

type Line = Record<string, unknown> & { object: string };

let source: TestApp;
let target: TestApp;
let dir: string;
const ids: Record<'doc' | 'big' | 'empty' | 'loose' | 'expired' | 'image' | 'other', string> = {} as never;
const threads: Record<'withDoc' | 'withBig' | 'plain', string> = {} as never;
const BIG = randomBytes(2 * 1024 * 1024 + 3 * FILE_CHUNK_BYTES + 12345);
const DOC = Buffer.from('a document ünïcödé\n');
/** doc, big, empty, loose (21 bytes), image (5000 bytes). */
const TOTAL = DOC.length + BIG.length + 0 + 21 + 5000;

const run = async (command: typeof runExportCommand, args: string[], env: NodeJS.ProcessEnv) => {
  const out: string[] = [];
  const err: string[] = [];
  const code = await command(args, { out: (text) => out.push(text), err: (text) => err.push(text) }, env);
  return { code, out: out.join('\n'), err: err.join('\n') };
};

const linesOf = (file: string): Line[] =>
  readFileSync(file, 'utf8')
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line) as Line);

const writeLines = (file: string, lines: (Line | string)[]) =>
  writeFileSync(file, lines.map((line) => (typeof line === 'string' ? line : JSON.stringify(line))).join('\n') + '\n');

/** Every live file of the tenant as the API shows it, with its bytes and content type. */
async function filesOf(app: TestApp, key: string) {
  const list = await app.http.get('/v1/files').set(bearer(key)).query({ order: 'asc' });
  const result: { file: unknown; type: string; sha256: string; length: number }[] = [];
  for (const file of list.body.data as { id: string }[]) {
    expect((await app.http.get(`/v1/files/${file.id}`).set(bearer(key))).body).toEqual(file);
    const content = await bytesOf(app.http.get(`/v1/files/${file.id}/content`).set(bearer(key)));
    expect(content.status).toBe(200);
    const body = content.body as Buffer;
    result.push({ file, type: String(content.headers['content-type']), sha256: createHash('sha256').update(body).digest('hex'), length: body.length });
  }
  return result;
}

/** Every thread of the tenant with all its messages, as the API answers them (v2). */
async function threadsOf(app: TestApp, key: string): Promise<unknown[]> {
  const list = await app.http.get('/v1/threads').set(bearer(key)).query({ limit: '100', order: 'asc' });
  const result: unknown[] = [];
  for (const thread of list.body.data as { id: string }[]) {
    const messages = await app.http.get(`/v1/threads/${thread.id}/messages`).set(bearer(key)).query({ limit: '100', order: 'asc' });
    result.push({ thread, messages: messages.body.data });
  }
  return result;
}

const upload = async (app: TestApp, key: string, content: Buffer, filename: string, contentType: string, purpose = 'assistants', expires?: number) => {
  let call = app.http.post('/v1/files').set(bearer(key)).field('purpose', purpose);
  if (expires !== undefined) call = call.field('expires_after[anchor]', 'created_at').field('expires_after[seconds]', String(expires));
  const response = await call.attach('file', content, { filename, contentType });
  expect(response.status).toBe(200);
  return response.body.id as string;
};

const countsOf = async (app: TestApp) =>
  (await app.db.query(`SELECT (SELECT count(*) FROM files)::int AS files, (SELECT count(*) FROM file_chunks)::int AS chunks`)).rows[0] as {
    files: number;
    chunks: number;
  };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'export-import-files-'));
  source = await startTestApp({ files: { references: 'strict' } });
  target = await startTestApp({ files: { references: 'strict' } });
  ids.doc = await upload(source, KEY_A, DOC, 'notes ü.txt', 'text/plain', 'assistants', 7200);
  ids.big = await upload(source, KEY_A, BIG, 'data.bin', 'application/octet-stream', 'user_data');
  ids.empty = await upload(source, KEY_A, Buffer.alloc(0), 'empty.txt', 'text/plain');
  ids.loose = await upload(source, KEY_A, Buffer.from('referenced by nothing'), 'loose.csv', 'text/csv', 'batch');
  ids.image = await upload(source, KEY_A, randomBytes(5000), 'cat.png', 'image/png', 'vision');
  ids.expired = await upload(source, KEY_A, Buffer.from('gone'), 'gone.txt', 'text/plain', 'assistants', 3600);
  ids.other = await upload(source, KEY_B, Buffer.from('beta'), 'beta.txt', 'text/plain');
  // Expired, not yet purged: not exported.
  await source.db.query(`UPDATE files SET expires_at = created_at - 1 WHERE id = $1`, [ids.expired]);
  const withDoc = await source.http
    .post('/v1/threads')
    .set(bearer(KEY_A))
    .send({ messages: [{ role: 'user', content: 'read this', attachments: [{ file_id: ids.doc, tools: [{ type: 'file_search' }] }] }] });
  expect(withDoc.status).toBe(200);
  threads.withDoc = withDoc.body.id;
  const withBig = await source.http
    .post('/v1/threads')
    .set(bearer(KEY_A))
    .send({ tool_resources: { code_interpreter: { file_ids: [ids.big] } } });
  expect(withBig.status).toBe(200);
  threads.withBig = withBig.body.id;
  const image = await source.http
    .post(`/v1/threads/${threads.withBig}/messages`)
    .set(bearer(KEY_A))
    .send({ role: 'user', content: [{ type: 'image_file', image_file: { file_id: ids.image } }] });
  expect(image.status).toBe(200);
  threads.plain = (
    await source.http
      .post('/v1/threads')
      .set(bearer(KEY_A))
      .send({ messages: [{ role: 'user', content: 'no files' }] })
  ).body.id;
}, 60000);

afterAll(async () => {
  await source?.close();
  await target?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('export and import of files', () => {
  const full = () => join(dir, 'alpha.jsonl');

  it('exports the live files, bytes in bounded base64 chunks with a SHA-256, before the threads', async () => {
    const exported = await run(runExportCommand, ['--tenant', 'alpha', '--out', full()], { DATABASE_URL: source.databaseUrl });
    expect(exported).toMatchObject({
      code: EXPORT_EXIT.ok,
      out: `Exported 5 file(s) (${TOTAL} bytes), 3 thread(s) and 3 message(s) of tenant 'alpha' to ${full()}.`,
    });
    const lines = linesOf(full());
    const firstThread = lines.findIndex((line) => line.object === 'thread');
    expect(lines[0]).toEqual({ object: 'export', format: 2 });
    expect(lines.slice(firstThread).every((line) => line.object === 'thread' || line.object === 'thread.message' || line.object === 'thread_end')).toBe(true);
    const fileLines = lines.filter((line) => line.object === 'file');
    expect(fileLines.map((line) => line.id)).toEqual([ids.doc, ids.big, ids.empty, ids.loose, ids.image]);
    expect(fileLines[0]).toEqual({
      object: 'file',
      id: ids.doc,
      filename: 'notes ü.txt',
      purpose: 'assistants',
      bytes: DOC.length,
      created_at: expect.any(Number),
      expires_at: (fileLines[0].created_at as number) + 7200,
      status: 'processed',
      content_type: 'text/plain',
    });
    // The big file: its chunks in order, none over FILE_CHUNK_BYTES, then its end line with the digest.
    const start = lines.findIndex((line) => line.id === ids.big);
    const chunks = Math.ceil(BIG.length / FILE_CHUNK_BYTES);
    const parts = lines.slice(start + 1, start + 2 + chunks);
    expect(parts.map((line) => line.object)).toEqual([...Array(chunks).fill('file_chunk'), 'file_end']);
    const data = parts.slice(0, chunks).map((line) => Buffer.from(line.data as string, 'base64'));
    expect(parts.slice(0, chunks).map((line) => line.offset)).toEqual(data.map((_, i) => i * FILE_CHUNK_BYTES));
    expect(Math.max(...data.map((d) => d.length))).toBe(FILE_CHUNK_BYTES);
    expect(Buffer.concat(data).equals(BIG)).toBe(true);
    expect(parts[chunks]).toEqual({ object: 'file_end', file_id: ids.big, sha256: createHash('sha256').update(BIG).digest('hex') });
    // The empty file has no chunk.
    const empty = lines.findIndex((line) => line.id === ids.empty);
    expect(lines[empty + 1]).toEqual({ object: 'file_end', file_id: ids.empty, sha256: createHash('sha256').digest('hex') });
  });

  it('imports them: every field and every byte as the API shows them, referenced files usable under strict references', async () => {
    const imported = await run(runImportCommand, ['--tenant', 'alpha', '--in', full()], { DATABASE_URL: target.databaseUrl });
    expect(imported).toMatchObject({ code: IMPORT_EXIT.ok });
    expect(imported.out).toBe(
      `Imported 5 file(s) (${TOTAL} bytes); 0 already there (verified, skipped); ` +
        '0 expired (not imported); 0 failed.\nImported 3 thread(s) with 3 message(s); 0 already there (verified, skipped); 0 failed.',
    );
    const expected = await filesOf(source, KEY_A);
    expect(expected).toHaveLength(5);
    expect(expected.find((f) => (f.file as { id: string }).id === ids.big)?.sha256).toBe(createHash('sha256').update(BIG).digest('hex'));
    expect(await filesOf(target, KEY_A)).toEqual(expected);
    expect(await filesOf(target, KEY_B)).toEqual([]);
    expect(await threadsOf(target, KEY_A)).toEqual(await threadsOf(source, KEY_A));
    // The big file's bytes are in PostgreSQL chunks of the storage's size.
    expect((await target.db.query(`SELECT count(*)::int AS n FROM file_chunks WHERE file_id = $1`, [ids.big])).rows[0].n).toBe(3);
    expect((await target.db.query(`SELECT id FROM files WHERE id = $1`, [ids.expired])).rows).toEqual([]);
    // The target checks references (strict): the imported file is the tenant's, live, and can be named.
    const named = await target.http
      .post(`/v1/threads/${threads.withDoc}/messages`)
      .set(bearer(KEY_A))
      .send({ role: 'user', content: 'again', attachments: [{ file_id: ids.doc, tools: [{ type: 'file_search' }] }] });
    expect(named.status).toBe(200);
    await target.http.delete(`/v1/threads/${threads.withDoc}/messages/${named.body.id}`).set(bearer(KEY_A)).expect(200);
    expect((await target.http.post(`/v1/threads/${threads.plain}/messages`).set(bearer(KEY_B)).send({ role: 'user', content: 'x' })).status).toBe(404);
  });

  it('a re-run verifies and skips, changing nothing; a file that differs is reported and the exit code is 1', async () => {
    const before = await snapshot(target.db);
    const again = await run(runImportCommand, ['--tenant', 'alpha', '--in', full()], { DATABASE_URL: target.databaseUrl });
    expect(again).toMatchObject({
      code: IMPORT_EXIT.ok,
      out:
        'Imported 0 file(s) (0 bytes); 5 already there (verified, skipped); 0 expired (not imported); 0 failed.\n' +
        'Imported 0 thread(s) with 0 message(s); 3 already there (verified, skipped); 0 failed.',
    });
    expect(await snapshot(target.db)).toBe(before);

    // Same fields, other bytes (with a consistent digest); same bytes, another name.
    const lines = linesOf(full());
    const loose = lines.findIndex((line) => line.id === ids.loose);
    const otherBytes = Buffer.from('referenced by nothinG');
    const changed = lines.map((line, i) => {
      if (i === loose + 1) return { ...line, data: otherBytes.toString('base64') };
      if (i === loose + 2) return { ...line, sha256: createHash('sha256').update(otherBytes).digest('hex') };
      if (line.id === ids.empty) return { ...line, filename: 'renamed.txt' };
      return line;
    });
    writeLines(join(dir, 'changed.jsonl'), changed);
    const result = await run(runImportCommand, ['--tenant', 'alpha', '--in', join(dir, 'changed.jsonl')], { DATABASE_URL: target.databaseUrl });
    expect(result.code).toBe(IMPORT_EXIT.failure);
    expect(result.out).toContain('3 already there (verified, skipped); 0 expired (not imported); 2 failed.');
    expect(result.out).toContain(`failed ${ids.empty}: already imported with other values`);
    expect(result.out).toContain(`failed ${ids.loose}: already imported, and its bytes differ from the file`);
    expect(await snapshot(target.db)).toBe(before);
  });

  it('a cut or corrupted file fails alone, with its reason, and nothing of it is stored', async () => {
    const fresh = await startTestApp({ files: { references: 'strict' } });
    try {
      const lines = linesOf(full());
      const big = lines.findIndex((line) => line.id === ids.big);
      const doc = lines.findIndex((line) => line.id === ids.doc);
      const corrupted = [...lines];
      // The doc's byte flipped: its digest no longer matches. The big file loses its last chunk and end line.
      const docData = Buffer.from(lines[doc + 1].data as string, 'base64');
      docData[0] ^= 1;
      corrupted[doc + 1] = { ...lines[doc + 1], data: docData.toString('base64') };
      const chunks = Math.ceil(BIG.length / FILE_CHUNK_BYTES);
      corrupted.splice(big + chunks, 2);
      writeLines(join(dir, 'corrupted.jsonl'), corrupted);
      const result = await run(runImportCommand, ['--tenant', 'alpha', '--in', join(dir, 'corrupted.jsonl')], { DATABASE_URL: fresh.databaseUrl });
      expect(result.code).toBe(IMPORT_EXIT.failure);
      expect(result.out).toMatch(new RegExp(`failed ${ids.doc}: line ${doc + 3}: the bytes' SHA-256 is [0-9a-f]{64}, the file_end line says [0-9a-f]{64}`));
      expect(result.out).toContain(
        `failed ${ids.big}: cut short: line ${big + chunks + 1} comes after ${(chunks - 1) * FILE_CHUNK_BYTES} of its ${BIG.length} bytes, without its file_end line`,
      );
      expect(result.out).toContain('Imported 3 file(s)');
      expect(result.out).toContain('Imported 3 thread(s) with 3 message(s)');
      const stored = await fresh.db.query(`SELECT id FROM files ORDER BY id`);
      expect(stored.rows.map((r) => r.id).sort()).toEqual([ids.empty, ids.loose, ids.image].sort());
      const chunkRows = await fresh.db.query(`SELECT DISTINCT file_id FROM file_chunks ORDER BY file_id`);
      expect(chunkRows.rows.map((r) => r.file_id).sort()).toEqual([ids.loose, ids.image].sort());

      // A file cut inside a line at the end, as by a full disk: that file fails, nothing of it is stored.
      const before = await snapshot(fresh.db);
      writeLines(join(dir, 'cut.jsonl'), [lines[doc], JSON.stringify(lines[doc + 1]).slice(0, 20)]);
      const cut = await run(runImportCommand, ['--tenant', 'alpha', '--in', join(dir, 'cut.jsonl')], { DATABASE_URL: fresh.databaseUrl });
      expect(cut.code).toBe(IMPORT_EXIT.failure);
      expect(cut.out).toContain(`failed ${ids.doc}: line 2: not a JSON object`);
      writeLines(join(dir, 'cut.jsonl'), [lines[doc]]);
      expect((await run(runImportCommand, ['--tenant', 'alpha', '--in', join(dir, 'cut.jsonl')], { DATABASE_URL: fresh.databaseUrl })).out).toContain(
        `failed ${ids.doc}: cut short: the file ends after 0 of its ${DOC.length} bytes, without its file_end line`,
      );
      expect(await snapshot(fresh.db)).toBe(before);
    } finally {
      await fresh.close();
    }
  }, 60000);

  it('an export of chosen threads carries the files they name, each once, before the thread that names it first', async () => {
    writeFileSync(join(dir, 'ids.txt'), `${threads.plain}\n${threads.withBig}\n${threads.withDoc}\n`);
    const out = join(dir, 'chosen.jsonl');
    const result = await run(runExportCommand, ['--tenant', 'alpha', '--threads', join(dir, 'ids.txt'), '--out', out], { DATABASE_URL: source.databaseUrl });
    expect(result.code).toBe(EXPORT_EXIT.ok);
    const lines = linesOf(out).filter((line) => line.object === 'file' || line.object === 'thread');
    expect(lines.map((line) => line.id)).toEqual([threads.plain, ids.big, ids.image, threads.withBig, ids.doc, threads.withDoc]);
    writeFileSync(join(dir, 'one.txt'), `${threads.plain}\n`);
    await run(runExportCommand, ['--tenant', 'alpha', '--threads', join(dir, 'one.txt'), '--out', out], { DATABASE_URL: source.databaseUrl });
    expect(linesOf(out).map((line) => line.object)).toEqual(['export', 'thread', 'thread.message', 'thread_end']);
  });
});

describe('import of files into S3 storage', () => {
  let s3: TestS3Server;
  let onS3: TestApp;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    s3 = await startS3Server();
    onS3 = await startTestApp({ files: { storage: 's3', s3: s3.config, references: 'strict' } });
    env = {
      DATABASE_URL: onS3.databaseUrl,
      FILE_STORAGE: 's3',
      S3_BUCKET: s3.config.bucket,
      S3_ENDPOINT: s3.config.endpoint,
      S3_ACCESS_KEY_ID: s3.config.credentials?.accessKeyId,
      S3_SECRET_ACCESS_KEY: s3.config.credentials?.secretAccessKey,
      S3_PREFIX: s3.config.prefix,
    };
  });
  afterAll(async () => {
    await onS3?.close();
    await s3?.close();
  });

  it('stores each file as an object, whole or not at all, and exports it back from there', async () => {
    const lines = linesOf(join(dir, 'alpha.jsonl'));
    const big = lines.findIndex((line) => line.id === ids.big);
    const corrupted = lines.map((line, i) => (i === big + 2 ? { ...line, data: Buffer.alloc(FILE_CHUNK_BYTES).toString('base64') } : line));
    writeLines(join(dir, 's3-corrupted.jsonl'), corrupted);
    const failed = await run(runImportCommand, ['--tenant', 'alpha', '--in', join(dir, 's3-corrupted.jsonl')], env);
    expect(failed.code).toBe(IMPORT_EXIT.failure);
    expect(failed.out).toContain(`failed ${ids.big}: line ${big + 1 + Math.ceil(BIG.length / FILE_CHUNK_BYTES) + 1}: the bytes' SHA-256 is`);
    expect((await s3.keys()).sort()).toEqual([ids.doc, ids.empty, ids.loose, ids.image].map((id) => `files/${id}`).sort());
    expect((await onS3.db.query(`SELECT id FROM files WHERE id = $1`, [ids.big])).rows).toEqual([]);

    const completed = await run(runImportCommand, ['--tenant', 'alpha', '--in', join(dir, 'alpha.jsonl')], env);
    expect(completed.out).toContain('Imported 1 file(s)');
    expect(completed.code).toBe(IMPORT_EXIT.ok);
    expect(await countsOf(onS3)).toEqual({ files: 5, chunks: 0 });
    const byId = (files: Awaited<ReturnType<typeof filesOf>>) =>
      [...files].sort((a, b) => ((a.file as { id: string }).id < (b.file as { id: string }).id ? -1 : 1));
    expect(byId(await filesOf(onS3, KEY_A))).toEqual(byId(await filesOf(source, KEY_A)));

    // Exported back from S3: the same lines, the big file (imported last) now last of the files.
    const back = join(dir, 's3-export.jsonl');
    expect((await run(runExportCommand, ['--tenant', 'alpha', '--out', back], env)).code).toBe(EXPORT_EXIT.ok);
    const sorted = (file: string) => readFileSync(file, 'utf8').trimEnd().split('\n').sort();
    expect(sorted(back)).toEqual(sorted(join(dir, 'alpha.jsonl')));
  }, 60000);
});

describe('import from an endpoint with files', () => {
  it('copies the files the threads name (GET /files/{id} and its content), once each; a re-run verifies and skips them', async () => {
    const endpoint = await startTestApp({ databaseUrl: source.databaseUrl, listen: true, files: { references: 'strict' } });
    const copy = await startTestApp({ files: { references: 'strict' } });
    try {
      // A thread that names a file the source no longer has: the file is left out, the thread imported.
      const gone = await upload(source, KEY_A, Buffer.from('soon deleted'), 'gone.txt', 'text/plain');
      const withGone = await source.http
        .post('/v1/threads')
        .set(bearer(KEY_A))
        .send({ messages: [{ role: 'user', content: 'x', attachments: [{ file_id: gone, tools: [{ type: 'file_search' }] }] }] });
      await source.http.delete(`/v1/files/${gone}`).set(bearer(KEY_A)).expect(200);
      const args = ['--tenant', 'alpha', '--from-endpoint', `${endpoint.url}/v1`, '--dialect', 'openai', '--key', KEY_A, '--concurrency', '2'];
      const first = await run(runImportCommand, args, { DATABASE_URL: copy.databaseUrl });
      const bytes = DOC.length + BIG.length + 5000;
      expect(first).toMatchObject({
        code: IMPORT_EXIT.ok,
        out:
          `Imported 3 file(s) (${bytes} bytes); 0 already there (verified, skipped); 0 expired (not imported); 0 failed.\n` +
          'Imported 4 thread(s) with 4 message(s); 0 already there (verified, skipped); 0 failed.',
      });
      const named = new Set([ids.doc, ids.big, ids.image]);
      const byId = (files: Awaited<ReturnType<typeof filesOf>>) =>
        files.filter((f) => named.has((f.file as { id: string }).id)).sort((a, b) => ((a.file as { id: string }).id < (b.file as { id: string }).id ? -1 : 1));
      expect(byId(await filesOf(copy, KEY_A))).toEqual(byId(await filesOf(source, KEY_A)));
      expect((await copy.db.query(`SELECT count(*)::int AS n FROM files`)).rows[0].n).toBe(3);
      expect(await threadsOf(copy, KEY_A)).toEqual(await threadsOf(source, KEY_A));

      const before = await snapshot(copy.db);
      const again = await run(runImportCommand, args, { DATABASE_URL: copy.databaseUrl });
      expect(again.out).toBe(
        'Imported 0 file(s) (0 bytes); 3 already there (verified, skipped); 0 expired (not imported); 0 failed.\n' +
          'Imported 0 thread(s) with 0 message(s); 4 already there (verified, skipped); 0 failed.',
      );
      expect(await snapshot(copy.db)).toBe(before);
      await source.db.query(`DELETE FROM threads WHERE id = $1`, [withGone.body.id]);
    } finally {
      await copy.close();
      await endpoint.close();
    }
  }, 60000);
});
