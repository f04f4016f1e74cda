import { AppConfig } from '../config/app.config';
import { EmbeddedPostgres } from './embedded-postgres';

export interface DatabaseHandle {
  url: string;
  embedded?: EmbeddedPostgres;
}

/** DATABASE_URL when configured, else the embedded server whose data lives under DATA_DIR. */
export async function openDatabase(config: Pick<AppConfig, 'databaseUrl' | 'dataDir'>): Promise<DatabaseHandle> {
  if (config.databaseUrl) return { url: config.databaseUrl };
  const embedded = new EmbeddedPostgres({ dataDir: config.dataDir });
  return { url: await embedded.start(), embedded };
}
