import { join } from 'node:path';
import { DataSource, DataSourceOptions } from 'typeorm';
import { migrations } from './migrations';

/**
 * Every feature's entities, found by file name: the migrations CLI has no Nest modules to register
 * them (the app's modules register their own with `TypeOrmModule.forFeature`).
 */
export const ENTITY_FILES = join(__dirname, '..', '**', '*.entity.{js,ts}');

export interface DatabaseSettings {
  url: string;
  poolSize?: number;
  /**
   * Server-side statement_timeout (the driver's read timeout is a little longer); unset for
   * migrations. Kept below the request timeout, so that a statement is cancelled before its
   * request is answered 504 and no write lands after the client was told it timed out.
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
      ...(settings.queryTimeoutMs ? { statement_timeout: settings.queryTimeoutMs, query_timeout: settings.queryTimeoutMs + 500 } : {}),
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
