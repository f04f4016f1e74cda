import { ConfigError } from '../config/app.config';
import { withClient } from './with-client';

/** SEARCH_CONFIG must name a text-search configuration the server has: every search would fail otherwise. */
export async function checkSearchConfig(url: string, config: string): Promise<void> {
  const found = await withClient({ connectionString: url }, (client) => client.query('SELECT 1 FROM pg_catalog.pg_ts_config WHERE cfgname = $1', [config]));
  if (found.rowCount === 0) {
    throw new ConfigError(
      `SEARCH_CONFIG names '${config}', which is no text-search configuration of this PostgreSQL server (SELECT cfgname FROM pg_ts_config lists them)`,
    );
  }
}

/**
 * In direct mode, one connection as the service's are made, with the session setting they send at
 * connection start: a pooler in front refuses it, and the start then fails naming DB_POOL_MODE
 * rather than after Nest's retries, in the pooler's words.
 */
export async function checkDirectConnection(url: string): Promise<void> {
  await withClient({ connectionString: url, statement_timeout: 60_000 }, async () => undefined);
}
