import { DataSource, DataSourceOptions } from 'typeorm';
import { IdempotencyKeyEntity } from '../common/idempotency/idempotency-key.entity';
import { MessageEntity } from '../messages/message.entity';
import { ThreadEntity } from '../threads/thread.entity';
import { migrations } from './migrations';

export const entities = [ThreadEntity, MessageEntity, IdempotencyKeyEntity];

export interface DatabaseSettings {
  url: string;
  poolSize?: number;
  migrationsRun?: boolean;
}

export function dataSourceOptions(settings: DatabaseSettings): DataSourceOptions {
  return {
    type: 'postgres',
    url: settings.url,
    entities,
    migrations,
    migrationsRun: settings.migrationsRun ?? false,
    migrationsTransactionMode: 'each',
    synchronize: false,
    parseInt8: true,
    logging: false,
    extra: {
      max: settings.poolSize ?? 10,
      connectionTimeoutMillis: 5000,
      application_name: 'assistants-threads',
    },
  };
}

export function createDataSource(settings: DatabaseSettings): DataSource {
  return new DataSource(dataSourceOptions(settings));
}
