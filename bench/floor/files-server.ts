/**
 * The files floor: the least a server can do for `POST /v1/files` (multipart) and `GET /v1/files/{id}/content`
 * and still store and serve the bytes as the service does, in the same rows: node:http, pg and busboy, nothing
 * else. The same API-key check as bench/floor/server.ts; the upload parsed as it streams (busboy) into 1 MiB
 * chunks (the service's CHUNK_BYTES) inserted into `file_chunks` in one transaction with the file's row (the
 * service's INSERT of the row, one INSERT per chunk, the UPDATE that completes the row, as named prepared
 * statements), the next chunk read from the upload while the previous one is being inserted; the download reads
 * the chunks a part at a time, one statement each (the service's COPY of 256 KiB of a chunk in 32 KiB slices,
 * binary) and writes them out with the service's headers, the next part fetched while the previous one is
 * being written, until the file's bytes are out. Compact checks only: the `purpose` field, one `file` part.
 *
 * Env: PORT, HOST (default 127.0.0.1), DATABASE_URL, API_KEYS (name:key,...), DB_POOL_SIZE (default 10).
 * It serves an already migrated database; it never changes the schema.
 */
import busboy from 'busboy';
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { floorPool, HttpError, portOr, send, serve, tenantOf } from './floor-setup';
import type { PoolClient } from 'pg';
import { contentDisposition, presentFile } from '../../src/files/file.presenter';
import { FILE_TRANSFER_STATEMENTS } from '../../src/files/files.repository';
import { readPartOn, type PartPosition } from '../../src/files/part-copy';
import { chunksOf, CHUNK_BYTES, partsInOrder } from '../../src/files/storage/postgres.storage';

const PORT = portOr(8091);
const pool = floorPool('bench-floor-files');

// ---- SQL: the service's statements (src/files/files.repository.ts) ------------------------------------------

const named = (name: keyof typeof FILE_TRANSFER_STATEMENTS, values: unknown[]) => ({ ...FILE_TRANSFER_STATEMENTS[name], values });

interface FileRow {
  id: string;
  bytes: number;
  createdAt: number;
  expiresAt: number | null;
  filename: string;
  purpose: 'assistants';
  contentType: string;
}

// ---- responses, errors, keys ---------------------------------------------------------------------------------

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
function fileId(): string {
  let out = 'file-';
  while (out.length < 29) for (const byte of randomBytes(32)) if (byte < 248 && out.length < 29) out += ALPHABET[byte % 62];
  return out;
}

const PURPOSES = new Set(['assistants', 'batch', 'fine-tune', 'vision', 'user_data', 'evals']);
const MIME_TYPE = /^[A-Za-z0-9][\w.+-]{0,126}\/[A-Za-z0-9][\w.+-]{0,126}$/;
const MAX_BYTES = 512 * 1024 * 1024;

// ---- upload -------------------------------------------------------------------------------------------------

/** Chunks of CHUNK_BYTES into file_chunks, one INSERT in flight while the next chunk fills. */
async function storeChunks(client: PoolClient, id: string, data: AsyncIterable<Buffer>): Promise<number> {
  let n = 0;
  let total = 0;
  let inFlight: Promise<unknown> | undefined;
  // A new buffer for each chunk: the one before may still wait to be sent.
  for await (const chunk of chunksOf(data, () => Buffer.allocUnsafe(CHUNK_BYTES))) {
    total += chunk.length;
    if (inFlight) await inFlight;
    inFlight = client.query(named('insertChunk', [id, n++, chunk]));
  }
  if (inFlight) await inFlight;
  return total;
}

async function upload(req: IncomingMessage, tenant: string): Promise<unknown> {
  if (!/^multipart\/form-data\s*;/i.test(req.headers['content-type'] ?? ''))
    throw new HttpError(400, 'Expected a multipart/form-data body.', null, 'invalid_content_type');
  const client = await pool.connect();
  let open = false;
  try {
    await client.query('BEGIN');
    open = true;
    const id = fileId();
    const row = await new Promise<FileRow>((resolve, reject) => {
      const parser = busboy({ headers: req.headers, defParamCharset: 'utf8', limits: { fileSize: MAX_BYTES, fields: 10, fieldSize: 1024, parts: 20 } });
      let purpose: string | undefined;
      let stored: Promise<{ bytes: number; filename: string }> | undefined;
      let failed = false;
      const fail = (error: unknown) => {
        if (failed) return;
        failed = true;
        req.unpipe(parser);
        req.resume();
        reject(error instanceof Error ? error : new Error(String(error)));
      };
      parser.on('field', (name, value) => {
        if (name !== 'purpose') return fail(new HttpError(400, `Unknown parameter: '${name}'.`, name, 'unknown_parameter'));
        if (!PURPOSES.has(value)) return fail(new HttpError(400, `Invalid 'purpose': '${value}'.`, 'purpose', 'invalid_value'));
        purpose = value;
      });
      parser.on('file', (name, data, info) => {
        if (name !== 'file' || stored) {
          data.resume();
          return fail(new HttpError(400, `Unexpected file part '${name}'.`, name, 'invalid_value'));
        }
        data.once('limit', () => fail(new HttpError(413, 'File too large.', 'file', 'file_too_large')));
        const contentType = MIME_TYPE.test(info.mimeType) ? info.mimeType.toLowerCase() : 'application/octet-stream';
        stored = client
          .query(named('insert', [id, tenant, null, info.filename, 'user_data', contentType]))
          .then(() => storeChunks(client, id, data))
          .then((bytes) => ({ bytes, filename: info.filename }));
        stored.catch(fail);
      });
      parser.on('error', fail);
      parser.on('close', () => {
        if (failed) return;
        if (!stored) return fail(new HttpError(400, "Missing required parameter: 'file'.", 'file', 'missing_required_parameter'));
        if (purpose === undefined) return fail(new HttpError(400, "Missing required parameter: 'purpose'.", 'purpose', 'missing_required_parameter'));
        const fields = purpose;
        stored
          .then(({ bytes, filename }) => client.query<FileRow>(named('complete', [id, bytes, filename, fields, null])))
          .then((result) => resolve(result.rows[0]), fail);
      });
      req.pipe(parser);
    });
    await client.query('COMMIT');
    open = false;
    return presentFile(row);
  } finally {
    if (open) await client.query('ROLLBACK').catch(() => undefined);
    client.release();
  }
}

// ---- download -----------------------------------------------------------------------------------------------

async function download(res: ServerResponse, tenant: string, id: string): Promise<void> {
  const file = (await pool.query<FileRow>(named('find', [id, tenant]))).rows[0];
  if (!file) throw new HttpError(404, `No such File object: ${id}`, 'id', null);
  res.writeHead(200, { 'Content-Type': file.contentType, 'Content-Length': file.bytes, 'Content-Disposition': contentDisposition(file.filename) });
  const read = (at: PartPosition) => readPartOn(pool, id, at);
  for await (const data of partsInOrder(id, file.bytes, read)) {
    if (!res.write(data)) await new Promise<void>((resolveDrain) => res.once('drain', resolveDrain));
    // Leaving the loop ends the parts: the one read ahead settles quietly.
    if (res.destroyed) return;
  }
  res.end();
}

// ---- routing -------------------------------------------------------------------------------------------------

const CONTENT = /^\/v1\/files\/(file-[A-Za-z0-9]{1,60})\/content$/;

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  if (req.method === 'GET' && (path === '/healthz' || path === '/readyz')) {
    if (path === '/readyz') await pool.query('SELECT 1');
    return send(res, 200, { status: 'ok' });
  }
  if (req.method === 'POST' && (path === '/v1/files' || path === '/v1/files/')) return send(res, 200, await upload(req, tenantOf(req.headers.authorization)));
  const match = CONTENT.exec(path);
  if (req.method === 'GET' && match) return download(res, tenantOf(req.headers.authorization), match[1]);
  throw new HttpError(404, `Invalid URL (${req.method} ${path})`);
}

serve('files floor', PORT, pool, handle);
