import { DataSource, DataSourceOptions } from 'typeorm';
import type { DbPoolMode } from '../config/app.config';
import { ApiKeyEntity } from '../common/auth/api-key.entity';
import { IdempotencyKeyEntity } from '../common/idempotency/idempotency-key.entity';
import { MessageEntity } from '../messages/message.entity';
import { ThreadEntity } from '../threads/thread.entity';
import { migrations } from './migrations';

export const entities = [ThreadEntity, MessageEntity, IdempotencyKeyEntity, ApiKeyEntity];

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
   * Server-side statement_timeout (the driver's read timeout is a little longer); unset for
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
    entities,
    migrations,
    migrationsTransactionMode: 'each',
    synchronize: false,
    parseInt8: true,
    logging: false,
    extra: {
      max: settings.poolSize ?? 10,
      connectionTimeoutMillis: 3000,
      application_name: 'assistants-threads',
      ...(settings.queryTimeoutMs ? { query_timeout: settings.queryTimeoutMs + 500 } : {}),
      ...(settings.queryTimeoutMs && (settings.poolMode ?? 'direct') === 'direct' ? { statement_timeout: settings.queryTimeoutMs } : {}),
    },
  };
}

export function createDataSource(settings: DatabaseSettings): DataSource {
  return new DataSource(dataSourceOptions(settings));
}

/** Applies pending migrations on a connection of its own, without the request time limits. */
export async function runMigrations(url: string): Promise<void> {
  const dataSource = createDataSource({ url, poolSize: 1 });
  await dataSource.initialize();
  try {
    await dataSource.runMigrations({ transaction: 'each' });
  } finally {
    await dataSource.destroy();
  }
}
