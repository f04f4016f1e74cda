import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import { defaults, Pool } from 'pg';

/**
 * What both floor servers share: their settings from the environment (PORT, HOST, DATABASE_URL,
 * API_KEYS as `name:key,...`, DB_POOL_SIZE), the connection pool, the API key check the service
 * makes (a hash compared in constant time), JSON answers and errors, and serving until a signal.
 */

const env = process.env;
if (!env.DATABASE_URL) throw new Error('DATABASE_URL is required');
if (!env.API_KEYS) throw new Error('API_KEYS is required');

export const HOST = env.HOST || '127.0.0.1';
export const portOr = (fallback: number): number => Number(env.PORT ?? fallback);

const sha256 = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/** `name:key` names the tenant; a bare key's tenant is derived from its hash, as the service does. */
const KEYS = env.API_KEYS.split(',')
  .map((entry) => entry.trim())
  .filter(Boolean)
  .map((entry) => {
    const colon = entry.indexOf(':');
    const secret = colon > 0 ? entry.slice(colon + 1) : entry;
    return { tenant: colon > 0 ? entry.slice(0, colon) : `key-${sha256(secret).toString('hex').slice(0, 16)}`, hash: sha256(secret) };
  });

/** An answer in the OpenAI error envelope. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly param: string | null = null,
    readonly code: string | null = null,
    readonly type = 'invalid_request_error',
  ) {
    super(message);
  }
}

export function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** The tenant of a bearer key; a 401 otherwise. */
export function tenantOf(authorization: string | undefined): string {
  const match = typeof authorization === 'string' ? /^Bearer\s+(.+)$/i.exec(authorization.trim()) : null;
  const secret = match ? match[1].trim() : undefined;
  if (secret !== undefined) {
    const hash = sha256(secret);
    let tenant: string | undefined;
    for (const key of KEYS) if (timingSafeEqual(key.hash, hash)) tenant ??= key.tenant;
    if (tenant !== undefined) return tenant;
  }
  throw new HttpError(401, secret === undefined ? "You didn't provide an API key." : 'Incorrect API key provided.', null, 'invalid_api_key');
}

/** The floor's pool; bigint columns as numbers, as the service's data source reads them (parseInt8). */
export function floorPool(applicationName: string): Pool {
  defaults.parseInt8 = true;
  return new Pool({
    connectionString: env.DATABASE_URL,
    max: Number(env.DB_POOL_SIZE || 10),
    connectionTimeoutMillis: 5000,
    application_name: applicationName,
  });
}

/**
 * Serves `handle` on HOST and `port`: a thrown HttpError is its envelope, anything else a 500 (or a
 * dropped connection once headers are out); SIGTERM or SIGINT closes the server, then the pool.
 */
export function serve(name: string, port: number, pool: Pool, handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>): void {
  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent) return res.destroy();
      if (error instanceof HttpError) {
        return send(res, error.status, { error: { message: error.message, type: error.type, param: error.param, code: error.code } });
      }
      console.error(error);
      send(res, 500, { error: { message: 'The server had an error while processing your request.', type: 'server_error', param: null, code: null } });
    });
  });
  let stopping = false;
  const shutdown = (): void => {
    if (stopping) return;
    stopping = true;
    server.close(() => void pool.end().finally(() => process.exit(0)));
    server.closeIdleConnections();
    setTimeout(() => process.exit(0), 5000).unref();
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
  server.listen(port, HOST, () => {
    process.stdout.write(`${name} listening on http://${HOST}:${port}\n`);
  });
}
