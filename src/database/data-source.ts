import { join } from 'node:path';
import { DataSource, DataSourceOptions } from 'typeorm';
import type { DbPoolMode } from '../config/app.config';
import { migrations } from './migrations';

/**
 * Every feature's entities, found by file name: the migrations CLI has no Nest modules to register
 * them (the app's modules register their own with `TypeOrmModule.forFeature`).
 */
export const ENTITY_FILES = join(__dirname, '..', '**', '*.entity.{js,ts}');

/** Injection token of the app's DatabaseSettings. */
export const DATABASE_SETTINGS = Symbol('DATABASE_SETTINGS');

export interface DatabaseSettings {
  url: string;
  /** What lies between the service and PostgreSQL (see DbPoolMode); `direct` when unset. */
  poolMode?: DbPoolMode;
  /** A connection that bypasses the pooler, for what needs a session of its own (LISTEN). */
  directUrl?: string;
  /** How often key changes are read when they cannot be listened for (transaction mode, no directUrl). */
  keyPollMs?: number;
  poolSize?: number;
  /**
   * Server-side statement_timeout (the statement executor's read timeout, sql.ts, is a little longer); unset for
   * migrations. Kept below the request timeout, so that a statement is cancelled before its
   * request is answered 504 and no write lands after the client was told it timed out.
   * Sent as a startup parameter only in `direct` mode: PgBouncer refuses that parameter (in
   * both of its modes, with its default settings); the statement executor (sql.ts) applies it
   * otherwise.
   */
  queryTimeoutMs?: number;
}

export function dataSourceOptions(settings: DatabaseSettings): DataSourceOptions {
  return {
    type: 'postgres',
    url: settings.url,
    migrations,
    migrationsTransactionMode: 'each',
    synchronize: false,
    parseInt8: true,
    logging: false,
    extra: {
      max: settings.poolSize ?? 10,
      connectionTimeoutMillis: 3000,
      application_name: 'assistants-threads',
      ...(settings.queryTimeoutMs && (settings.poolMode ?? 'direct') === 'direct' ? { statement_timeout: settings.queryTimeoutMs } : {}),
    },
  };
}

export function createDataSource(settings: DatabaseSettings, entities: DataSourceOptions['entities'] = []): DataSource {
  return new DataSource({ ...dataSourceOptions(settings), entities });
}

/** Applies pending migrations on a connection of its own, without the request time limits; returns their names. */
export async function runMigrations(url: string): Promise<string[]> {
  const dataSource = createDataSource({ url, poolSize: 1 });
  await dataSource.initialize();
  try {
    return (await dataSource.runMigrations({ transaction: 'each' })).map((migration) => migration.name);
  } finally {
    await dataSource.destroy();
  }
}
