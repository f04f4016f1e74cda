import { DynamicModule, Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { DATABASE_SETTINGS, DatabaseSettings, dataSourceOptions } from './data-source';
import { PG_POOL, Sql } from './sql';

/**
 * The data source and its pg pool, provided once. Each feature module registers its own entities
 * (`TypeOrmModule.forFeature`); this module knows none of them.
 */
@Global()
@Module({})
export class DatabaseModule {
  static forRoot(settings: DatabaseSettings): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [TypeOrmModule.forRoot({ ...dataSourceOptions(settings), autoLoadEntities: true })],
      providers: [
        // The pool TypeORM's postgres driver opened: the hot paths query it directly, without a query runner.
        { provide: PG_POOL, inject: [DataSource], useFactory: (dataSource: DataSource): Pool => (dataSource.driver as unknown as { master: Pool }).master },
        // The pool mode, direct URL and statement timeout: how Sql sends statements, where the key store listens.
        { provide: DATABASE_SETTINGS, useValue: settings },
        Sql,
      ],
      exports: [PG_POOL, DATABASE_SETTINGS, Sql],
    };
  }
}
