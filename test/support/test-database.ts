import { randomBytes } from 'node:crypto';
import { Client, Pool } from 'pg';
import { DbPoolMode, dbPoolMode } from '../../src/config/app.config';

/** Set by the global setup: the server every test database lives on, and the migrated template to clone. */
export const ADMIN_URL_ENV = 'TEST_ADMIN_URL';
export const TEMPLATE_ENV = 'TEST_TEMPLATE_DB';
export const RUN_PREFIX_ENV = 'TEST_RUN_PREFIX';
/** The server the apps under test reach: the admin server itself, or a pooler in front of it. */
export const APP_URL_ENV = 'TEST_APP_URL';

/** The pool mode the apps under test use (DB_POOL_MODE of the test run). */
export function testPoolMode(): DbPoolMode {
  return dbPoolMode(process.env);
}

/**
 * The direct URL of a test database given its URL for the apps: the tests' own reads and locks
 * go straight to the server, past any pooler.
 */
export function directUrlOf(url: string): string {
  const adminUrl = process.env[ADMIN_URL_ENV];
  const appUrl = process.env[APP_URL_ENV];
  if (!adminUrl || !appUrl) return url;
  const parsed = new URL(url);
  if (parsed.host !== new URL(appUrl).host) return url;
  return databaseUrl(adminUrl, decodeURIComponent(parsed.pathname.slice(1)));
}

export function databaseUrl(adminUrl: string, database: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

export async function withAdmin<T>(adminUrl: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A fresh database cloned from the migrated template: each test file gets its own. */
export async function cloneTestDatabase(): Promise<{ url: string; directUrl: string; name: string; drop: () => Promise<void> }> {
  const adminUrl = process.env[ADMIN_URL_ENV];
  const appUrl = process.env[APP_URL_ENV] ?? adminUrl;
  const template = process.env[TEMPLATE_ENV];
  const prefix = process.env[RUN_PREFIX_ENV];
  if (!adminUrl || !template || !prefix) throw new Error('the jest global setup did not run');
  const name = `${prefix}${randomBytes(6).toString('hex')}`;
  await withAdmin(adminUrl, async (client) => {
    for (let attempt = 0; ; attempt++) {
      try {
        await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)} TEMPLATE ${client.escapeIdentifier(template)}`);
        return;
      } catch (error) {
        // 55006: the template is briefly in use by another clone being made.
        if ((error as { code?: string }).code !== '55006' || attempt >= 50) throw error;
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
  });
  return {
    url: databaseUrl(appUrl ?? adminUrl, name),
    directUrl: databaseUrl(adminUrl, name),
    name,
    drop: () => withAdmin(adminUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(name)} WITH (FORCE)`)).then(() => undefined),
  };
}

/**
 * A pool on a test database, for the test's own reads (straight to the server, past any pooler). pg-pool's end() resolves before its
 * connections have closed, so the DROP DATABASE ... WITH (FORCE) that follows may terminate one
 * of them: that error is expected then, and must not fail the suite as an unhandled 'error'.
 */
export function testPool(url: string, max = 2): Pool {
  const pool = new Pool({ connectionString: directUrlOf(url), max });
  pool.on('error', () => undefined);
  return pool;
}
