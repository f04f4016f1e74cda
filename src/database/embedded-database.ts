import { AppConfig } from '../config/app.config';
import { EmbeddedPostgres } from './embedded-postgres';

export interface DatabaseHandle {
  url: string;
  embedded?: EmbeddedPostgres;
}

/**
 * DATABASE_URL when configured, else the embedded server whose data lives under DATA_DIR.
 * With `attach`, a command-line tool uses the embedded server the service is running, if it is.
 */
export async function openDatabase(config: Pick<AppConfig, 'databaseUrl' | 'dataDir'>, options: { attach?: boolean } = {}): Promise<DatabaseHandle> {
  if (config.databaseUrl) return { url: config.databaseUrl };
  const embedded = new EmbeddedPostgres({ dataDir: config.dataDir });
  const running = options.attach ? embedded.runningUrl() : undefined;
  if (running) return { url: running };
  return { url: await embedded.startForApp(), embedded };
}
