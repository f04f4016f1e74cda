import { Client } from 'pg';
import { ConfigError } from '../config/app.config';

/** SEARCH_CONFIG must name a text-search configuration the server has: every search would fail otherwise. */
export async function checkSearchConfig(url: string, config: string): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_catalog.pg_ts_config WHERE cfgname = $1', [config]);
    if (found.rowCount === 0) {
      throw new ConfigError(
        `SEARCH_CONFIG names '${config}', which is no text-search configuration of this PostgreSQL server (SELECT cfgname FROM pg_ts_config lists them)`,
      );
    }
  } finally {
    await client.end();
  }
}
