import { createHash, timingSafeEqual } from 'node:crypto';
import { defaults, Pool } from 'pg';

/**
 * What both floor servers share: their settings from the environment (PORT, HOST, DATABASE_URL,
 * API_KEYS as `name:key,...`, DB_POOL_SIZE), the connection pool, and the API key check the service
 * makes (a hash compared in constant time).
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

/** The tenant of a bearer key, or the 401 message to answer. */
export function authenticate(authorization: string | undefined): { tenant: string } | { refused: string } {
  const match = typeof authorization === 'string' ? /^Bearer\s+(.+)$/i.exec(authorization.trim()) : null;
  const secret = match ? match[1].trim() : undefined;
  if (secret !== undefined) {
    const hash = sha256(secret);
    let tenant: string | undefined;
    for (const key of KEYS) if (timingSafeEqual(key.hash, hash)) tenant ??= key.tenant;
    if (tenant !== undefined) return { tenant };
  }
  return { refused: secret === undefined ? "You didn't provide an API key." : 'Incorrect API key provided.' };
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
